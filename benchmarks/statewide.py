"""California at the portals' scale: ``california-2026`` for 30 days (targets < 5 min, < 8 GiB).

The built-in scenario has one synthetic city per California agency on the Flock portals
(11,501 cameras), each with its vehicles from counts (``population:``). The run is what
``alprsim run california-2026`` does before the agencies search, stage by stage: build the
world, simulate the warm-up and 30 days, compute the report, write report.json, report.md,
cameras.csv and reads.parquet (written on a second thread while the report is computed, as
the CLI does). It runs in a child process so that its peak resident memory
is its own, not that of benchmarks run before it; each stage's own peak is read from
``/proc/self/status`` (VmHWM, reset between stages through ``/proc/self/clear_refs``).

Figures, each beside a baseline from the same run: the measured period's reads (beside the
scenario's own expectation, the sum of cameras x reads per camera per day x days; the
warm-up's reads are reported apart: they fill the store, nobody measures them); wall time
(beside the time the vectorised read generation alone took, simulate stage); peak memory
(beside the bytes the reads themselves occupy, warm-up included). Targets: 300 s and 8 GiB.

    python -m benchmarks statewide          # 30 days
    python -m benchmarks.statewide 3        # 3 measured days (after the 30-day warm-up)
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


def _status_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_rss_bytes() -> int:
    """This process's peak resident memory since the last ``_reset_peak`` (VmHWM)."""
    return _status_bytes("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM to the current RSS
    except OSError:
        pass  # then each stage's figure is the peak so far


def child(out: Path, days: float | None) -> dict:
    """The run itself (in the child process); returns its figures."""
    t0, c0 = time.perf_counter(), _cpu_s()
    from scenarios.builder import build_world
    from scenarios.files import load_scenario, with_overrides
    from scenarios.output_files import staged_outputs
    from scenarios.report import REPORT_LAST, BackgroundReads, build_report, write_outputs
    from scenarios.runner import run_world
    from sim.records import READ_COLUMNS

    stage_peak, stage_end = {}, {}  # peak resident memory in each stage, and what stays at its end
    spec = with_overrides(load_scenario(SCENARIO), days=days)
    world = build_world(spec)
    t1 = time.perf_counter()
    stage_peak["build"] = _peak_rss_bytes()
    stage_end["build"] = _status_bytes("VmRSS") or 0
    _reset_peak()
    records = run_world(world)
    t2 = time.perf_counter()
    stage_peak["simulate"] = _peak_rss_bytes()
    stage_end["simulate"] = _status_bytes("VmRSS") or 0
    _reset_peak()
    with staged_outputs(out, last=REPORT_LAST) as staged:
        # as ``alprsim run`` does: reads.parquet is written on a second thread while the
        # report is computed (and, in the CLI, while the agencies search)
        reads_file = BackgroundReads(staged.path("reads.parquet"))
        reads_file.start(records)
        report = build_report(world, records)
        t3 = time.perf_counter()
        stage_peak["report"] = _peak_rss_bytes()
        stage_end["report"] = _status_bytes("VmRSS") or 0
        _reset_peak()
        write_outputs(staged, world, records, report, reads_file=reads_file)
    t4 = time.perf_counter()
    stage_peak["write"] = _peak_rss_bytes()
    stage_end["write"] = _status_bytes("VmRSS") or 0
    per_day = sum(o.cameras * (o.reads_per_camera_per_day or 0) for o in spec.owners)
    measured = report["reads"]["total"]
    pop = report["world"].get("population", {})
    return {"days": spec.days, "warmup_days": records.warmup_days, "reads": measured,
            "expected_reads": per_day * spec.days, "warmup_reads": report["reads"]["warmup_reads"],
            "expected_warmup_reads": per_day * records.warmup_days,
            "cameras": len(records.cameras), "vehicles": len(records.vehicles),
            "population_vehicles": pop.get("vehicles"),
            "median_per_camera_per_day": report["reads"]["per_camera_per_day"]["median"],
            "per_vehicle": report["reads"]["per_vehicle"],
            "read_bytes": len(records.reads) * sum(dt.itemsize for dt in READ_COLUMNS.values()),
            "build_s": t1 - t0, "simulate_s": t2 - t1, "report_s": t3 - t2, "write_s": t4 - t3,
            "report_write_s": t4 - t2, "total_s": t4 - t0, "cpu_s": _cpu_s() - c0,
            "peak_rss_bytes": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, *stage_peak.values()),
            "stage_peak_gib": {k: round(v / 2**30, 2) for k, v in stage_peak.items()},
            "stage_end_gib": {k: round(v / 2**30, 2) for k, v in stage_end.items()},
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
         vehicles=r["vehicles"], population_vehicles=r["population_vehicles"],
         median_reads_per_camera_per_day=r["median_per_camera_per_day"], per_vehicle=r["per_vehicle"],
         warmup_days=r["warmup_days"], warmup_reads=r["warmup_reads"],
         expected_warmup_reads=r["expected_warmup_reads"])
    emit("statewide.wall", r["total_s"], "s", baseline=r["simulate_s"], target_s=TARGET_S,
         met=r["total_s"] < TARGET_S, build_s=round(r["build_s"], 2), simulate_s=round(r["simulate_s"], 2),
         report_s=round(r["report_s"], 2), write_s=round(r["write_s"], 2),
         report_write_s=round(r["report_write_s"], 2), cpu_s=round(r["cpu_s"], 2), **common)
    emit("statewide.peak_memory", gib, "GiB", baseline=r["read_bytes"] / 2**30, target_gib=TARGET_GIB,
         met=gib < TARGET_GIB, by_stage_gib=r["stage_peak_gib"], resident_at_stage_end_gib=r["stage_end_gib"])
    emit("statewide.throughput", r["reads"] / r["total_s"], "reads/s", baseline=r["reads"] / r["simulate_s"],
         records_sha256=r["records_sha256"])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(child(Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else None)))
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else None)
