"""Running a sweep: one task per (point, seed) on a local pool or Dask, resumable.

A task builds the point's world once and runs every policy on it (common random
numbers: the same traffic, reads and planned searches under each policy), and returns
one small row per policy with the outputs read from the run's report by dotted path. The
task is a plain top-level function of picklable values, so a process pool or a Dask
cluster can ship it.
"""

from __future__ import annotations

import difflib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.builder import build_world
from scenarios.experiment import plan_searches, run_policy, simulate
from scenarios.files import ScenarioError
from scenarios.sweep_file import Sweep, SweepError, parse_path, run_key, spec_from_mapping

RESULTS = "results.parquet"


@dataclass(frozen=True)
class RunTask:
    """One (point, seed): the resolved scenario mapping and the policies still to run on it."""

    point: int
    replication: int
    seed: int
    scenario: dict
    source: str
    base_dir: str
    policies: tuple[str, ...]
    keys: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class PolicyRun:
    policy: str
    key: str
    values: tuple[float | None, ...]  # one per output; None where the report has no figure (e.g. nothing located)
    run_s: float  # this policy's run plus its share of building the world, planning and the traffic


@dataclass(frozen=True)
class TaskResult:
    task: RunTask
    runs: tuple[PolicyRun, ...]
    problems: tuple[tuple[str, str], ...]  # (output, why it cannot be read from the report)


def output_value(report: dict, output: str) -> float | None:
    """A figure of a report by dotted path, or ``a / b`` (None when b is 0); KeyError if absent."""
    if "/" in output:
        num, den = (output_value(report, part.strip()) for part in output.split("/", 1))
        return None if num is None or not den else num / den
    node = report
    for name, selector in parse_path(output):
        if selector is not None or not isinstance(node, dict) or name not in node:
            raise KeyError(f"{output!r} is not in the run's report")
        node = node[name]
    if isinstance(node, dict):
        figures = ", ".join(f"{output}.{k}" for k in list(node)[:6])
        raise KeyError(f"{output!r} is a section of the report, not a figure; e.g. {figures}")
    if node is None:
        return None
    if isinstance(node, bool | int | float):
        return float(node)
    raise KeyError(f"{output!r} is {node!r}, not a number")


def figure_paths(report: dict, prefix: str = "") -> list[str]:
    """Every numeric figure's dotted path in a report."""
    out = []
    for key, value in report.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out += figure_paths(value, path + ".")
        elif value is None or isinstance(value, int | float):
            out.append(path)
    return out


def _problems(report: dict, outputs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    problems = []
    for out in outputs:
        try:
            output_value(report, out)
        except KeyError as exc:
            known = figure_paths(report)
            close = []
            for part in out.split("/"):
                close += difflib.get_close_matches(part.strip(), known, n=4, cutoff=0.6)
            hint = f"; close: {', '.join(dict.fromkeys(close))}" if close else ""
            problems.append((out, f"{exc.args[0]}{hint}"))
    return tuple(problems)


def run_task(task: RunTask) -> TaskResult:
    """Build the world and simulate its traffic once; replay every policy's searches on it."""
    t0 = time.perf_counter()
    spec = spec_from_mapping(task.scenario, task.source, task.base_dir)
    world = build_world(spec)
    planned = plan_searches(world)
    traffic = simulate(world)  # the reads do not depend on the policy: simulated once, replayed per policy
    shared_s = (time.perf_counter() - t0) / len(task.policies)
    runs, problems = [], ()
    for policy, key in zip(task.policies, task.keys, strict=True):
        t = time.perf_counter()
        report = run_policy(world, policy, planned, traffic=traffic).report
        problems = problems or _problems(report, task.outputs)
        values = tuple(None if problems else output_value(report, o) for o in task.outputs)
        runs.append(PolicyRun(policy, key, values, shared_s + time.perf_counter() - t))
    return TaskResult(task, tuple(runs), problems)


# Engines: each yields results as tasks finish. ``slots`` is how many run at once.

class SerialEngine:
    """In this process, one task after another (``--workers 1``)."""

    slots = 1
    name = "1 worker (in process)"

    def run(self, fn: Callable, tasks: Iterable) -> Iterator:
        for task in tasks:
            yield fn(task)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class PoolEngine:
    """A local process pool of N workers."""

    def __init__(self, workers: int):
        self.slots = workers
        self.name = f"local pool, {workers} workers"
        self._pool: ProcessPoolExecutor | None = None

    def run(self, fn: Callable, tasks: Iterable) -> Iterator:
        futures = [self._pool.submit(fn, t) for t in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for f in futures:
                f.cancel()

    def __enter__(self):
        self._pool = ProcessPoolExecutor(max_workers=self.slots)
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


WORKER_PRELOAD = "scenarios.sweep"  # the module a Dask worker imports at start (docs/sweeps.md)


class DaskEngine:
    """Dask distributed: ``local`` starts a LocalCluster here; ``tcp://host:port`` joins a scheduler."""

    def __init__(self, address: str, workers: int | None = None):
        self.address = address
        self.workers = workers
        self.slots = workers or 1
        self.name = f"dask {address}"
        self._client = self._cluster = None

    def __enter__(self):
        from distributed import Client, LocalCluster
        if self.address == "local":
            # each worker imports alprsim as it starts (as a forked pool worker inherits it),
            # not inside its first run: a run's time is then the run's
            self._cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                                         processes=True, dashboard_address=None, silence_logs=logging.ERROR,
                                         preload=[WORKER_PRELOAD])
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise SweepError(f"--dask {self.address}: cannot reach the scheduler ({exc})") from None
        threads = sum(w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values())
        self.slots = max(threads, 1)
        self.name = f"dask {self.address}, {self.slots} worker threads"
        return self

    def run(self, fn: Callable, tasks: Iterable) -> Iterator:
        from distributed import as_completed as dask_completed
        futures = [self._client.submit(fn, t, pure=False) for t in tasks]
        try:
            for future in dask_completed(futures):
                yield future.result()
        finally:
            self._client.cancel(futures)

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def engine_for(workers: int | None, dask: str | None):
    """The engine the CLI options name (default: a pool of all local cores)."""
    if dask is not None:
        if dask != "local" and not dask.startswith(("tcp://", "tls://")):
            raise SweepError(f"--dask: {dask!r} is not 'local' or a scheduler address such as tcp://host:8786")
        return DaskEngine(dask, workers)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise SweepError(f"--workers: {workers} must be at least 1")
    return SerialEngine() if workers == 1 else PoolEngine(workers)


@dataclass(frozen=True)
class SweepRun:
    rows: list[dict]  # one per (point, replication, policy), in design order
    executed: int  # policy runs simulated now
    skipped: int  # policy runs already in results.parquet


def tasks_for(sweep: Sweep, done: set[str]) -> tuple[list[RunTask], list[tuple[int, int, str, str]]]:
    """The tasks still to run, and every run's (point, replication, policy, key) in design order."""
    tasks, order = [], []
    for i, point in enumerate(sweep.points):
        for r in range(sweep.model.replications):
            seed = sweep.model.seed + r
            resolved = sweep.resolved(point, seed)
            keys = [run_key(resolved, p) for p in sweep.policies]
            order += [(i, r, p, k) for p, k in zip(sweep.policies, keys, strict=True)]
            todo = [(p, k) for p, k in zip(sweep.policies, keys, strict=True) if k not in done]
            if todo:
                tasks.append(RunTask(i, r, seed, resolved, sweep.scenario_source, sweep.scenario_base_dir,
                                     tuple(p for p, _ in todo), tuple(k for _, k in todo), sweep.outputs))
    return tasks, order


def read_results(path: Path, outputs: tuple[str, ...]) -> dict[str, dict]:
    """Finished runs by key; a file without one of the outputs counts as nothing finished."""
    if not path.exists():
        return {}
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return {}
    if not {"run_key", *outputs} <= set(table.column_names):
        return {}
    return {row["run_key"]: row for row in table.to_pylist()}


def _row(sweep: Sweep, point: int, replication: int, policy: str, run: PolicyRun) -> dict:
    row = {"point": point, "policy": policy, "replication": replication, "seed": sweep.model.seed + replication}
    row.update(sweep.points[point])
    row.update(zip(sweep.outputs, (float("nan") if v is None else v for v in run.values), strict=True))
    row["run_s"] = round(run.run_s, 4)
    row["run_key"] = run.key
    return row


def write_results(path: Path, rows: list[dict]) -> None:
    """Atomically (a kill mid-write leaves the previous file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, path)


def run_sweep(sweep: Sweep, out_dir: Path, engine, on_result: Callable[[int, int], None] | None = None,
              on_start: Callable[[int, int], None] | None = None) -> SweepRun:
    """Run what is not in ``out_dir/results.parquet`` yet on a started engine (``with engine:``);
    rewrite the file after every task.

    ``on_start(to_run, skipped)`` once, then ``on_result(runs_done_now, tasks_left)``.
    """
    path = out_dir / RESULTS
    existing = read_results(path, sweep.outputs)
    tasks, order = tasks_for(sweep, set(existing))
    wanted = {k for *_, k in order}
    rows_by_key = {k: r for k, r in existing.items() if k in wanted}
    skipped = len(rows_by_key)
    if on_start:
        on_start(sum(len(t.policies) for t in tasks), skipped)
    executed = 0
    left = len(tasks)
    try:
        for result in engine.run(run_task, tasks):
            if result.problems:
                out, why = result.problems[0]
                raise SweepError(f"{sweep.line('outputs', sweep.outputs.index(out))}: outputs: {why}")
            for run in result.runs:
                rows_by_key[run.key] = _row(sweep, result.task.point, result.task.replication, run.policy, run)
            executed += len(result.runs)
            left -= 1
            write_results(path, [rows_by_key[k] for *_, k in order if k in rows_by_key])
            if on_result:
                on_result(executed, left)
    except ScenarioError as exc:
        raise SweepError(f"{sweep.source}: a run failed: {exc}") from None
    rows = [rows_by_key[k] for *_, k in order]
    write_results(path, rows)
    return SweepRun(rows, executed, skipped)
