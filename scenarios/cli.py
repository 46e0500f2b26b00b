"""The ``alprsim`` command line (typer). Each command parses, makes one call, and prints."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from agencies.dynamics import ADVERSARIES
from cameras.image_path import ImagePathMisreadModel, write_gallery
from scenarios.builder import build_world
from scenarios.cli_cameras import register as register_cameras
from scenarios.cli_conform import register as register_conform
from scenarios.cli_demo import register as register_demo
from scenarios.cli_errors import user_error
from scenarios.cli_forensics import register as register_forensics
from scenarios.cli_policies import register as register_policies
from scenarios.cli_serve import register as register_serve
from scenarios.cli_sweep import register as register_sweep
from scenarios.experiment import (
    Variant,
    compare,
    load_policy,
    run_policy,
    scenario_policy,
    variants,
)
from scenarios.files import (
    ScenarioError,
    builtin_names,
    builtin_text,
    json_schema,
    load_scenario,
    with_overrides,
)
from scenarios.output_files import output_folder_problem, staged_outputs
from scenarios.plot_arms_race import arms_race_compare_png
from scenarios.plots import compare_png
from scenarios.replications import paired_differences, summarise
from scenarios.report import REPORT_LAST, BackgroundReads, compare_markdown, write_outputs
from sim.traffic import DAY_S

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="alprsim: a testbed for license-plate-reader data sharing.")
scenarios_app = typer.Typer(no_args_is_help=True, help="Built-in scenarios and scenario files.")
app.add_typer(scenarios_app, name="scenarios")
register_policies(app)
register_forensics(app)
register_serve(app)
register_cameras(app)
register_demo(app)
register_conform(app)
register_sweep(app)
console = Console(stderr=True)
MAX_DAYS = 366  # as the scenario file's days field (scenarios.files)


def fail(message: str) -> None:
    """Print a user error (no traceback) and exit 2."""
    raise user_error(message)


@app.command()
def run(
    scenario: str = typer.Argument("bay-area", help="built-in scenario name or YAML file"),
    seed: int | None = typer.Option(None, "--seed", help="root seed (default: the scenario's)"),
    days: float | None = typer.Option(None, "--days", help="simulated days (default: the scenario's)"),
    out: Path = typer.Option(Path("alprsim-out"), "--out", help="output folder"),
    reads_format: str = typer.Option("parquet", "--reads-format", help="parquet, csv or none"),
    policy: str | None = typer.Option(None, "--policy", help="policy pack or file (default: the scenario's)"),
    service: str | None = typer.Option(None, "--service", help="run against a lookup service at this URL "
                                       "(admin key from ALPRSIM_ADMIN_KEY)"),
    policy_file: str | None = typer.Option(None, "--policy-file", help="a Cedar (.cedar) or Rego (.rego) policy "
                                           "deciding instead of the pack's layers (docs/policies.md)"),
    camera_mode: str = typer.Option("fast", "--camera-mode", help="fast (calibrated misread model) or image "
                                    "(render and read every pass with OpenCV: small scenarios only)"),
    replications: int = typer.Option(1, "--replications", help="seeds to run (seed, seed+1, ...): every figure "
                                     "becomes a mean with a 95% interval"),
    warmup_days: float | None = typer.Option(None, "--warmup-days", help="days simulated before the measured "
                                             "ones (default: the scenario's, 30)"),
    adversary: str | None = typer.Option(None, "--adversary", help="static or adaptive outside agencies "
                                         "(default: the scenario's; docs/arms-race.md)"),
    audit_days: float | None = typer.Option(None, "--audit-days", help="every owner audits its log every so many "
                                            "days (0: nobody audits; default: the scenario's audits)"),
) -> None:
    """Simulate a scenario and write report.json, report.md, cameras.csv, the reads and the trace."""
    if reads_format not in ("parquet", "csv", "none"):
        fail(f"--reads-format: {reads_format!r} is not parquet, csv or none")
    if camera_mode not in ("fast", "image"):
        fail(f"--camera-mode: {camera_mode!r} is not fast or image")
    if not 1 <= replications <= 1000:
        fail(f"--replications: {replications} must be between 1 and 1000")
    if warmup_days is not None and not 0 <= warmup_days <= 3650:
        fail(f"--warmup-days: {warmup_days:g} must be between 0 and 3650")
    try:
        spec = with_overrides(load_scenario(scenario), seed=seed, days=days, warmup_days=warmup_days)
        _check_overrides(seed, spec.days, spec.warmup_days)
        _check_arms_race([adversary] if adversary else [], [audit_days] if audit_days is not None else [])
        spec = with_arms_race(spec, adversary, audit_days)
        _check_out(out)
        chosen = scenario_policy(spec, policy)
        if service and chosen is None:
            fail("--service: the scenario has no policy; name one with --policy")
        if chosen is not None:
            load_policy(chosen, spec)  # a bad policy file fails here, before the world is built
        # report.json appears last, or not at all; reads.parquet is written while the agencies search
        with staged_outputs(out, last=REPORT_LAST) as staged:
            reads_file = BackgroundReads(staged.path("reads.parquet")) if reads_format == "parquet" else None
            try:
                t0 = time.perf_counter()
                with console.status(f"building {spec.name}: road network, paths, population, cameras"):
                    world = build_world(spec)
                    if camera_mode == "image":
                        world = dataclasses.replace(world, misread=ImagePathMisreadModel(gallery_size=24))
                t_build = time.perf_counter() - t0
                with Progress(TextColumn("[bold]simulating"), BarColumn(), TextColumn("day {task.fields[day]:.1f}"),
                              TextColumn("{task.fields[reads]:,} reads"), TimeElapsedColumn(), console=console,
                              transient=True, disable=not sys.stderr.isatty()) as progress:
                    warmup_s = np.ceil(spec.warmup_days) * DAY_S
                    task = progress.add_task("run", total=spec.days * DAY_S + warmup_s, day=0.0, reads=0)

                    def on_batch(now_s: int, reads: int) -> None:
                        progress.update(task, completed=now_s + warmup_s, day=now_s / DAY_S, reads=reads)

                    timings = {"build": t_build}
                    outcome = run_policy(world, chosen, on_batch=on_batch, timings=timings, service_url=service,
                                         policy_file=policy_file,
                                         after_traffic=reads_file.start if reads_file and replications == 1 else None)
                    reports = [outcome.report]
                    for k in range(1, replications):
                        progress.update(task, completed=0)
                        other = build_world(dataclasses.replace(spec, seed=spec.seed + k))
                        reports.append(run_policy(other, chosen, on_batch=on_batch, service_url=service,
                                                  policy_file=policy_file).report)
                t_run = time.perf_counter() - t0 - t_build
                timings["simulate"] = t_run
                records, report = outcome.records, outcome.report
                report["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
                if camera_mode == "image":
                    write_gallery(world.misread.gallery, staged.path("gallery"))  # writes gallery/index.md
                    report["gallery"] = "gallery/index.md"
                if replications > 1:
                    staged.path("replications.json").write_text(json.dumps(reports, indent=2) + "\n")
                    report = summarise(reports)
                written = write_outputs(staged, world, records, report, reads_format, outcome.agencies, reads_file)
            finally:
                if reads_file is not None:
                    reads_file.finish()
    except ScenarioError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{out}: cannot write the outputs ({exc.strerror or exc})")
    if replications > 1:
        console.print(f"[bold]{spec.name}[/]: {replications} seeds from {spec.seed}; figures are means with 95% "
                      f"intervals (report.json; each seed's report in replications.json; files of seed {spec.seed})",
                      highlight=False)
        console.print("wrote " + ", ".join(str(p) for p in written), highlight=False)
        return
    r = report["reads"]
    console.print(f"[bold]{spec.name}[/]: {r['total']:,} reads from {r['cameras']:,} cameras over "
                  f"{spec.days:g} days; median {r['per_camera_per_day']['median']:,.0f} reads/camera/day; "
                  f"misread rate {r['misread_rate']:.1%}; built in {t_build:.1f}s, simulated in {t_run:.1f}s",
                  highlight=False)
    pv = r.get("per_vehicle")
    if pv:
        console.print(f"{r['vehicles']:,} vehicles, {pv['mean_per_vehicle_per_day']:.2f} reads per vehicle per day; "
                      f"{pv['vehicles_read']:,} read, {pv['p50_30d']:,.0f} times in 30 days at the median "
                      f"(p99 {pv['p99_30d']:,.0f})", highlight=False)
    if "leakage" in report:
        fed, oos = report["leakage"]["federal"], report["leakage"]["out_of_state"]
        console.print(f"policy {report['policy']}: federal {fed['reads_delivered']:,} reads delivered, "
                      f"{fed['targets_located']}/{fed['targets']} targets located; out-of-state "
                      f"{oos['reads_delivered']:,} reads; {report['cost']['legit_denied']:,} of "
                      f"{report['cost']['legit_searches']:,} legitimate searches denied", highlight=False)
    console.print(f"records sha256 {report['records_sha256']}", highlight=False)
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False)


@app.command("compare")
def compare_command(
    scenario: str = typer.Argument("bay-area", help="built-in scenario name or YAML file"),
    policies: list[str] = typer.Option(..., "--policy", help="a policy pack or file; repeat to compare"),
    seed: int | None = typer.Option(None, "--seed"),
    days: float | None = typer.Option(None, "--days"),
    out: Path = typer.Option(Path("alprsim-out"), "--out", help="output folder"),
    replications: int = typer.Option(1, "--replications", help="seeds per policy (seed, seed+1, ...), each "
                                     "shared by every policy; figures become means with 95% intervals"),
    warmup_days: float | None = typer.Option(None, "--warmup-days"),
    adversaries: list[str] = typer.Option([], "--adversary", help="static or adaptive; repeat to compare "
                                           "(each policy is run with each; docs/arms-race.md)"),
    audit_days: list[float] = typer.Option([], "--audit-days", help="every owner audits every so many days "
                                           "(0: nobody audits); repeat to compare"),
) -> None:
    """Run the same world, traffic and requests under each policy; write compare.json and compare.md.

    With ``--replications N`` every figure is a mean with its 95% interval, and each policy
    after the first also gets its paired difference from the first (same seeds).
    ``--adversary`` and ``--audit-days`` add columns: every policy with every adversary and
    audit cadence, all on the same world, traffic and targets."""
    if not 1 <= replications <= 1000:
        fail(f"--replications: {replications} must be between 1 and 1000")
    try:
        spec = with_overrides(load_scenario(scenario), seed=seed, days=days, warmup_days=warmup_days)
        _check_overrides(seed, spec.days, spec.warmup_days)
        _check_arms_race(adversaries, audit_days)
        _check_out(out)
        for name in policies:
            load_policy(name, spec)  # a bad policy file fails here, before any simulation
        chosen = variants(policies, adversaries or None, audit_days or None)
        labels = [v.label for v in chosen]
        if len(set(labels)) != len(labels):
            fail("--policy/--adversary/--audit-days: a combination is repeated")
        with console.status("comparing") as status:
            per_seed = compare(spec, chosen, on_policy=lambda name: status.update(f"simulating under {name}"),
                               replications=replications)
        reports = {name: summarise(r) for name, r in per_seed.items()}
        if replications > 1:
            first = labels[0]
            reports["paired_differences"] = {
                name: {"versus": first, **paired_differences(per_seed[first], per_seed[name])} for name in labels[1:]}
        table = compare_markdown(reports)
        with staged_outputs(out, last=("compare.json",)) as staged:
            if replications > 1:
                staged.path("replications.json").write_text(json.dumps(per_seed, indent=2) + "\n")
            compare_png(per_seed, staged.path("plots") / "compare.png")  # intervals over the seeds
            arms_race_compare_png(per_seed, staged.path("plots") / "arms_race.png")
            staged.path("compare.md").write_text(table + "\n![Leakage against legitimate cost, per policy]"
                                                 "(plots/compare.png)\n\n![Federal leakage week by week, per "
                                                 "column](plots/arms_race.png)\n")
            staged.path("compare.json").write_text(json.dumps(reports, indent=2) + "\n")
    except ScenarioError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{out}: cannot write the outputs ({exc.strerror or exc})")
    typer.echo(table)


def _check_overrides(seed: int | None, days: float, warmup_days: float = 0.0) -> None:
    """--seed, --days and --warmup-days as the scenario file's own fields allow them."""
    if not (math.isfinite(warmup_days) and 0 <= warmup_days <= 3650):
        fail(f"--warmup-days: {warmup_days:g} must be between 0 and 3650")
    if seed is not None and not 0 <= seed < 2**63:
        fail(f"--seed: {seed} must be a non-negative 63-bit integer")
    if not (math.isfinite(days) and 0 < days <= MAX_DAYS):
        fail(f"--days: {days:g} must be a number of days in (0, {MAX_DAYS}]")


def _check_arms_race(adversaries: list[str], audit_days: list[float]) -> None:
    for name in adversaries:
        if name not in ADVERSARIES:
            fail(f"--adversary: {name!r} is not one of {', '.join(ADVERSARIES)}")
    for days in audit_days:
        if not (math.isfinite(days) and 0 <= days <= 3650):
            fail(f"--audit-days: {days:g} must be between 0 (no audits) and 3650")


def with_arms_race(spec, adversary: str | None, audit_days: float | None):
    """The scenario with another adversary or audit cadence (``None``: the scenario's)."""
    variant = Variant("", adversary, audit_days)
    return dataclasses.replace(spec, interest=dataclasses.replace(spec.interest, dynamics=variant.dynamics(spec)))


def _check_out(out: Path) -> None:
    problem = output_folder_problem(out)
    if problem:
        fail(f"--out {out}: {problem}")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """Built-in scenario names and what each is."""
    for name in builtin_names():
        data = yaml.safe_load(builtin_text(name))
        first = " ".join(str(data.get("description", "")).split())
        typer.echo(f"{name:18} {first}")


@scenarios_app.command("show")
def scenarios_show(name: str) -> None:
    """Print a built-in scenario's YAML (copy it to make your own)."""
    try:
        typer.echo(builtin_text(name), nl=False)
    except ScenarioError as exc:
        fail(str(exc))


@scenarios_app.command("validate")
def scenarios_validate(files: list[Path]) -> None:
    """Check scenario files; exit 2 naming the file, line, field and value at the first error."""
    for path in files:
        try:
            spec = load_scenario(str(path))
        except ScenarioError as exc:
            fail(str(exc))
        typer.echo(f"{path}: ok ({spec.name}, {len(spec.owners)} owners, {spec.days:g} days)")


@scenarios_app.command("schema")
def scenarios_schema() -> None:
    """JSON Schema of the scenario file (for editor completion)."""
    typer.echo(json.dumps(json_schema(), indent=2))


def main() -> None:  # pragma: no cover - console entry point
    app()
