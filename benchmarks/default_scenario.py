"""The default scenario end to end: ``alprsim run`` on ``bay-area``, 30 days (target < 30 s).

End to end is the command itself, run in this process (typer's CliRunner): load the
scenario, build the world, simulate 30 days with the agencies searching under the
scenario's policy, write report.json, report.md, cameras.csv, the audit exports and
reads.parquet. Its stage times come from the run's own ``report.json`` (build,
simulate); writing is the rest.

Baseline, in the same run: the same scenario without the agencies (traffic, capture and
the read store only: ``build_world``, ``run_world``, ``build_report``, ``write_outputs``),
so the ratio shows what the agencies' searches cost on top of the traffic. The machine
is shared: each figure carries the process CPU time and the load average, because wall
time on a loaded 2-core machine overstates what the run needs.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks import emit, log

TARGET_S = 30.0


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def traffic_only(out: Path) -> dict[str, float]:
    from scenarios.builder import build_world
    from scenarios.files import load_scenario
    from scenarios.report import build_report, write_outputs
    from scenarios.runner import run_world

    t0, c0 = time.perf_counter(), _cpu_s()
    world = build_world(load_scenario("bay-area"))
    t1 = time.perf_counter()
    records = run_world(world)
    t2 = time.perf_counter()
    write_outputs(out, world, records, build_report(world, records))
    t3 = time.perf_counter()
    return {"total_s": t3 - t0, "build_s": t1 - t0, "simulate_s": t2 - t1, "write_s": t3 - t2,
            "cpu_s": _cpu_s() - c0, "reads": len(records.reads)}


def command(out: Path) -> dict[str, float]:
    from typer.testing import CliRunner

    from scenarios.cli import app

    t0, c0 = time.perf_counter(), _cpu_s()
    result = CliRunner().invoke(app, ["run", "--out", str(out)])
    total, cpu = time.perf_counter() - t0, _cpu_s() - c0
    if result.exit_code != 0:
        raise SystemExit(f"default_scenario: alprsim run failed ({result.exit_code}): {result.output}")
    report = json.loads((out / "report.json").read_text())
    timings = report.get("timings_s", {})
    build, simulate = timings.get("build", 0.0), timings.get("simulate", 0.0)
    # the simulate stage's laps (scenarios.experiment.run_policy): plan the searches, the
    # traffic (warm-up included), the agencies' searches, the metrics
    laps = {f"{k}_s": round(v, 2) for k, v in timings.items() if k in ("plan", "traffic", "agencies", "measure")}
    return {"total_s": total, "build_s": build, "simulate_s": simulate, "write_s": total - build - simulate,
            "cpu_s": cpu, "reads": report["reads"]["total"], "records_sha256": report["records_sha256"], "laps": laps}


def main() -> None:
    load_before = os.getloadavg()[0]
    log(f"default_scenario: load average {load_before:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        base = traffic_only(Path(tmp) / "traffic-only")
        log(f"traffic only: {base['total_s']:.1f} s ({base['cpu_s']:.1f} s CPU), {base['reads']:,} reads")
        full = command(Path(tmp) / "run")
        log(f"alprsim run: {full['total_s']:.1f} s ({full['cpu_s']:.1f} s CPU), {full['reads']:,} reads")
    load_after = os.getloadavg()[0]
    for stage in ("build_s", "simulate_s", "write_s"):
        emit(f"default_scenario.{stage[:-2]}", full[stage], "s", baseline=base[stage],
             **(full["laps"] if stage == "simulate_s" else {}))
    emit("default_scenario.end_to_end", full["total_s"], "s", baseline=base["total_s"],
         target_s=TARGET_S, met=full["total_s"] < TARGET_S, cpu_s=round(full["cpu_s"], 2),
         baseline_cpu_s=round(base["cpu_s"], 2), reads=full["reads"], records_sha256=full["records_sha256"],
         load_average=[round(load_before, 2), round(load_after, 2)], cores=os.cpu_count())


if __name__ == "__main__":
    main()
