"""California at the portals' scale: ``california-2026`` for 30 days (targets < 5 min, < 8 GiB).

The built-in scenario has one synthetic city per California agency on the Flock portals
(11,501 cameras). The run is what ``alprsim run california-2026`` does, stage by stage:
build the world, simulate 30 days, compute the report, write report.json, report.md,
cameras.csv and reads.parquet. It runs in a child process so that its peak resident
memory (``resource.getrusage``) is its own, not that of benchmarks run before it.

Figures, each beside a baseline from the same run: reads (beside the scenario's own
expectation, the sum of cameras x reads per camera per day x days); wall time (beside
the time the vectorised read generation alone took, simulate stage); peak memory
(beside the bytes the reads themselves occupy). Targets: 300 s and 8 GiB.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import emit, log

TARGET_S = 300.0
TARGET_GIB = 8.0
SCENARIO = "california-2026"


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(out: Path, days: float | None) -> dict:
    """The run itself (in the child process); returns its figures."""
    t0, c0 = time.perf_counter(), _cpu_s()
    from scenarios.builder import build_world
    from scenarios.files import load_scenario, with_overrides
    from scenarios.report import build_report, write_outputs
    from scenarios.runner import run_world
    from sim.records import READ_COLUMNS

    spec = with_overrides(load_scenario(SCENARIO), days=days)
    world = build_world(spec)
    t1 = time.perf_counter()
    records = run_world(world)
    t2 = time.perf_counter()
    report = build_report(world, records)
    write_outputs(out, world, records, report)
    t3 = time.perf_counter()
    expected = sum(o.cameras * (o.reads_per_camera_per_day or 0) for o in spec.owners) * spec.days
    return {"days": spec.days, "reads": len(records.reads), "expected_reads": expected,
            "cameras": len(records.cameras), "vehicles": len(records.vehicles),
            "median_per_camera_per_day": report["reads"]["per_camera_per_day"]["median"],
            "read_bytes": len(records.reads) * sum(dt.itemsize for dt in READ_COLUMNS.values()),
            "build_s": t1 - t0, "simulate_s": t2 - t1, "report_write_s": t3 - t2, "total_s": t3 - t0,
            "cpu_s": _cpu_s() - c0, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "records_sha256": records.records_sha256}


def main(days: float | None = None) -> None:
    load_before = os.getloadavg()[0]
    log(f"statewide: {SCENARIO} in a child process; load average {load_before:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "benchmarks.statewide", "--child", tmp] + ([str(days)] if days else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"statewide: the run failed:\n{proc.stderr[-4000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
    log(f"statewide: {r['reads']:,} reads in {r['total_s']:.0f} s, peak {r['peak_rss_bytes'] / 2**30:.2f} GiB")
    gib = r["peak_rss_bytes"] / 2**30
    common = {"load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count()}
    emit("statewide.reads", r["reads"], "reads", baseline=r["expected_reads"], days=r["days"], cameras=r["cameras"],
         vehicles=r["vehicles"], median_reads_per_camera_per_day=r["median_per_camera_per_day"])
    emit("statewide.wall", r["total_s"], "s", baseline=r["simulate_s"], target_s=TARGET_S,
         met=r["total_s"] < TARGET_S, build_s=round(r["build_s"], 2), simulate_s=round(r["simulate_s"], 2),
         report_write_s=round(r["report_write_s"], 2), cpu_s=round(r["cpu_s"], 2), **common)
    emit("statewide.peak_memory", gib, "GiB", baseline=r["read_bytes"] / 2**30, target_gib=TARGET_GIB,
         met=gib < TARGET_GIB)
    emit("statewide.throughput", r["reads"] / r["total_s"], "reads/s", baseline=r["reads"] / r["simulate_s"],
         records_sha256=r["records_sha256"])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(child(Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else None)))
    else:
        main()
