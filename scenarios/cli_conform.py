"""``alprsim conform URL``: run the conformance kit against a lookup service.

Exit codes: 0 every test of the chosen levels passed; 1 a test failed (or broke);
3 none failed but some were skipped (the verdict is incomplete); 2 bad arguments.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lookup.client import ApiError
from lookup.policy import PolicyError
from scenarios.conformance import conform, fixture_document
from scenarios.conformance.compare import compare_files
from scenarios.conformance.fixture import BY_SLUG, Keys

EXIT = {"passed": 0, "failed": 1, "incomplete": 3}


def _keys(pairs: list[str], auditor: str | None) -> Keys:
    keys = Keys()
    for pair in pairs:
        name, sep, secret = pair.partition("=")
        org, _, role = name.partition(":")
        if not sep or not secret or org not in BY_SLUG:
            raise typer.BadParameter(f"--key {pair!r}: expected SLUG=KEY or SLUG:camera=KEY with SLUG one of the "
                                     f"fixture's ({', '.join(BY_SLUG)})", param_hint="--key")
        keys.by_org_role[(org, role or "agency")] = secret
    if auditor:
        keys.by_org_role[("conf-auditor", "auditor")] = auditor
    return keys


def _policies_group(app: typer.Typer) -> typer.Typer:
    """The ``policies`` group registered by scenarios.cli_policies (compare joins it)."""
    for group in app.registered_groups:
        if group.name == "policies":
            return group.typer_instance
    raise RuntimeError("register scenarios.cli_policies before scenarios.cli_conform")


def register(app: typer.Typer) -> None:
    @_policies_group(app).command("compare")
    def compare_command(
        pack: str = typer.Argument(..., help="built-in pack name or a pack YAML file"),
        policy_file: Path = typer.Argument(..., help="a Cedar (.cedar) or Rego (.rego) policy"),
        limit: int = typer.Option(50, "--limit", help="disagreements to print"),
    ) -> None:
        """Run the standard request corpus through a pack and a Cedar or Rego file; list every disagreement."""
        err = Console(stderr=True, soft_wrap=True)
        try:
            total, differ = compare_files(pack, policy_file)
        except PolicyError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        out = Console(soft_wrap=True)
        for d in differ[:limit]:
            out.print(f"{d.item.label}: {d.item.describe()}\n    {pack}: {d.ours.effect} ({d.ours.rule_ref})   "
                      f"{policy_file.name}: {d.theirs.effect} ({d.theirs.rule})", highlight=False, markup=False)
        if len(differ) > limit:
            out.print(f"... and {len(differ) - limit} more", highlight=False)
        out.print(f"{len(differ)} of {total} requests decided differently by {pack} and {policy_file.name}",
                  highlight=False, markup=False)
        raise typer.Exit(1 if differ else 0)

    @app.command("conform")
    def conform_command(
        url: str = typer.Argument(None, help="the service's base URL, e.g. http://127.0.0.1:8000"),
        admin_key: str | None = typer.Option(None, "--admin-key", envvar="ALPRSIM_ADMIN_KEY",
                                             help="provision the fixture through our admin routes"),
        key: list[str] = typer.Option([], "--key", help="SLUG=KEY (agency) or SLUG:camera=KEY, for a service "
                                                         "provisioned from the fixture file; repeat"),
        auditor_key: str | None = typer.Option(None, "--auditor-key", help="conf-auditor's auditor key"),
        pack: str = typer.Option("ca-sb34-sb54", "--pack", help="the policy pack the service must enforce"),
        level: list[int] = typer.Option([1, 2, 3], "--level", help="levels to run (1 access, 2 policy, "
                                                                     "3 audit and data); repeat"),
        out: Path = typer.Option(Path("conform-out"), "--out", help="folder for junit.xml, results.json, verdict.md"),
        db: Path | None = typer.Option(None, "--db", help="the service's SQLite file, for the tamper tests "
                                                          "(our service only; rows are restored)"),
        only: list[str] = typer.Option([], "--only", help="run only these test ids; repeat"),
        keep_pack: bool = typer.Option(False, "--keep-pack", help="with --admin-key: do not set the pack"),
        print_fixture: bool = typer.Option(False, "--print-fixture", help="print the fixture file (JSON) and exit"),
    ) -> None:
        """Run numbered conformance tests against a lookup service; write a verdict for CI."""
        err = Console(stderr=True, soft_wrap=True)
        if print_fixture:
            typer.echo(json.dumps(fixture_document(pack), indent=2))
            return
        if not url:
            err.print("[bold red]error:[/] give the service's URL (or --print-fixture)", highlight=False)
            raise typer.Exit(2)
        bad = sorted(set(level) - {1, 2, 3})
        if bad:
            err.print(f"[bold red]error:[/] --level {bad[0]}: levels are 1, 2 and 3", highlight=False)
            raise typer.Exit(2)
        if admin_key is None and not key and not auditor_key:
            err.print("[bold red]error:[/] no keys: pass --admin-key (our admin routes) or the fixture's keys with "
                      "--key SLUG=KEY (see --print-fixture)", highlight=False)
            raise typer.Exit(2)
        try:
            keys = _keys(key, auditor_key)
        except typer.BadParameter as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        progress = Progress(TextColumn("[bold]conform"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=err, transient=True,
                            disable=not sys.stderr.isatty() and not os.environ.get("ALPRSIM_PROGRESS"))
        failures: list[str] = []
        with progress:
            task = progress.add_task("tests", total=None, last="")

            def started(n: int) -> None:
                progress.update(task, total=n)

            def done(result) -> None:
                progress.update(task, advance=1, last=f"{result.id} {result.status}")
                if result.status in ("failed", "error"):
                    failures.append(f"{result.id} {result.status}: {result.message.splitlines()[0][:160]}")
            try:
                verdict = conform(url, out, pack, level, admin_key, keys,
                                  str(db) if db else None, only, started, done, set_pack=not keep_pack)
            except (ApiError, httpx.HTTPError) as exc:
                err.print(f"[bold red]error:[/] {url}: {exc}", highlight=False)
                raise typer.Exit(2) from None
            except PolicyError as exc:
                err.print(f"[bold red]error:[/] --pack: {exc}", highlight=False)
                raise typer.Exit(2) from None
        for line in failures:
            err.print(line, highlight=False, markup=False)
        counts = {s: sum(r.status == s for r in verdict.results) for s in ("passed", "failed", "error", "skipped")}
        err.print(f"[bold]{verdict.outcome.upper()}[/]: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['error']} broke, {counts['skipped']} skipped; wrote "
                  + ", ".join(str(p) for p in verdict.files), highlight=False)
        raise typer.Exit(EXIT[verdict.outcome])


__all__ = ["register"]
