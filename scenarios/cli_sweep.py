"""``alprsim sweep FILE.yaml``: many scenarios x policies x seeds, on a local pool or Dask."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scenarios.cli_errors import user_error
from scenarios.sweep import engine_for, run_sweep
from scenarios.sweep_file import SweepError, load_sweep
from scenarios.sweep_report import write_report
from scenarios.sweep_summary import summary

console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    return user_error(message)


def register(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        file: Path = typer.Argument(..., help="sweep file (YAML): scenario, policies, grid or sample, outputs"),
        out: Path = typer.Option(Path("alprsim-sweep"), "--out", help="output folder (reruns resume here)"),
        workers: int | None = typer.Option(None, "--workers", help="local processes (default: all cores); "
                                           "with --dask local, the LocalCluster's workers"),
        dask: str | None = typer.Option(None, "--dask", help="'local' (a LocalCluster here) or a scheduler "
                                        "address, tcp://HOST:8786"),
        days: float | None = typer.Option(None, "--days", help="override the file's days"),
        replications: int | None = typer.Option(None, "--replications", help="override the file's replications"),
    ) -> None:
        """Run a sweep; write results.parquet, summary.json, report.md and PNG plots."""
        t0 = time.perf_counter()
        try:
            spec = load_sweep(file, days=days, replications=replications)
            engine = engine_for(workers, dask)
            with Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                          TextColumn("running {task.fields[running]}, left {task.fields[left]}"),
                          TimeElapsedColumn(), TextColumn("eta {task.fields[eta]}"), console=console,
                          transient=True, disable=not sys.stderr.isatty()) as progress:
                bar = progress.add_task("sweep", total=None, running=0, left=0, eta="-")
                started = [time.perf_counter()]  # reset once the engine is up
                per_task = len(spec.policies)

                def on_start(to_run: int, skipped: int) -> None:
                    started[0] = time.perf_counter()
                    running = min(engine.slots * per_task, to_run)
                    progress.update(bar, total=to_run, running=running, left=to_run - running)

                def on_result(done: int, tasks_left: int) -> None:
                    total = progress.tasks[0].total or 0
                    running = min(min(engine.slots, tasks_left) * per_task, total - done)
                    # the mean pace so far: rich's own estimate jumps when tasks finish together
                    eta = (time.perf_counter() - started[0]) / max(done, 1) * (total - done)
                    progress.update(bar, completed=done, running=running, left=total - done - running,
                                    eta=time.strftime("%H:%M:%S", time.gmtime(eta)))

                with engine:
                    result = run_sweep(spec, out, engine, on_result=on_result, on_start=on_start)
            written = write_report(out, spec, result.rows, summary(spec, result.rows, engine.name))
        except SweepError as exc:
            raise _fail(str(exc)) from None
        console.print(f"{len(result.rows)} runs ({len(spec.points)} points x {spec.model.replications} "
                      f"replications x {len(spec.policies)} policies): {result.executed} simulated now, "
                      f"{result.skipped} already in {out / 'results.parquet'}; {engine.name}; "
                      f"{time.perf_counter() - t0:.1f}s", highlight=False)
        console.print("wrote " + ", ".join(str(p) for p in [out / "results.parquet", *written]), highlight=False)
