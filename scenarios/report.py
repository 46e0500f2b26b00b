"""Metrics of the reads and the report files: report.json, report.md, reads and cameras.

Metrics are pure functions of ``RunRecords`` (plus the world's description); they never
touch the clock or the store.
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lookup.audit_export import network_audit_csv, search_audit_csv
from scenarios.builder import World
from scenarios.plot_exposure import per_vehicle_metrics, plot_exposure
from sim.plates import STATES, text_bytes
from sim.records import READ_COLUMNS, Reads, RunRecords


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"median": 0.0, "p10": 0.0, "p90": 0.0}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"median": round(float(p50), 2), "p10": round(float(p10), 2), "p90": round(float(p90), 2)}


def reads_metrics(records: RunRecords) -> dict:
    reads = records.reads
    per_camera = np.bincount(reads.camera, minlength=len(records.cameras)) / records.days
    misread = reads.plate != records.vehicles.plate[reads.vehicle]
    by_owner = np.bincount(reads.owner, minlength=len(records.owners))
    owner_stats = {}
    for o, slug in enumerate(records.owners):
        cams = records.cameras.owner == o
        owner_stats[slug] = {"cameras": int(cams.sum()), "per_camera_per_day": _quantiles(per_camera[cams])}
    return {
        "total": int(len(reads)),
        "cameras": int(len(records.cameras)),
        "per_camera_per_day": _quantiles(per_camera),
        "misread_rate": round(float(misread.mean()) if len(reads) else 0.0, 5),
        "no_read_rate": round(records.no_reads / max(records.no_reads + len(reads), 1), 5),
        "by_owner": {slug: int(by_owner[o]) for o, slug in enumerate(records.owners)},
        "owners": owner_stats,
        "distinct_vehicles": int(np.count_nonzero(np.bincount(reads.vehicle, minlength=len(records.vehicles)))),
        "vehicles": int(len(records.vehicles)),
        "per_vehicle": per_vehicle_metrics(records),
    }


def build_report(world: World, records: RunRecords, timings_s: dict[str, float] | None = None) -> dict:
    spec = world.spec
    return {
        "scenario": spec.name,
        "seed": records.seed,
        "days": records.days,
        "records_sha256": records.records_sha256,
        "reads": reads_metrics(records),
        "world": {
            "network": world.net.name, "nodes": world.net.n_nodes, "road_segments": world.net.n_edges,
            "zones": world.net.n_zones, "calibration": world.calibration,
            **({"population": world.population} if world.population else {}),
            **({"camera_import": world.camera_import} if world.camera_import else {}),
        },
        **({"timings_s": {k: round(v, 3) for k, v in timings_s.items()}} if timings_s else {}),
    }


def render_markdown(report: dict) -> str:
    r = report["reads"]
    lines = [
        f"# alprsim run: {report['scenario']}",
        "",
        f"Seed {report['seed']}, {report['days']:g} days. Records hash `{report['records_sha256'][:16]}…`.",
        "",
        "## Reads",
        "",
        f"- {r['total']:,} reads from {r['cameras']:,} cameras; {r['distinct_vehicles']:,} of "
        f"{r['vehicles']:,} vehicles were read at least once.",
        f"- Reads per camera per day: median {r['per_camera_per_day']['median']:,.0f} "
        f"(p10 {r['per_camera_per_day']['p10']:,.0f}, p90 {r['per_camera_per_day']['p90']:,.0f}).",
        f"- Misread rate {r['misread_rate']:.1%}; no-read rate {r['no_read_rate']:.1%}.",
        *_exposure_lines(report),
        "",
        "| owner | cameras | reads | median reads/camera/day |",
        "|---|---:|---:|---:|",
    ]
    for slug, stats in r["owners"].items():
        lines.append(f"| {slug} | {stats['cameras']:,} | {r['by_owner'][slug]:,} | "
                     f"{stats['per_camera_per_day']['median']:,.0f} |")
    if "gallery" in report:
        lines += ["", f"Image path: every pass was rendered and read with OpenCV; crops and readings in "
                  f"[{report['gallery']}]({report['gallery']})."]
    if "leakage" in report:
        lines += ["", leakage_markdown(report)]
    return "\n".join(lines) + "\n"


def _exposure_lines(report: dict) -> list[str]:
    pv = report["reads"].get("per_vehicle")
    if not pv:
        return []
    pop = report.get("world", {}).get("population", {})
    lines = []
    if pop:
        regions = ", ".join(f"{k} {v:,}" for k, v in pop["by_region"].items())
        lines.append(f"- Population: {pop['vehicles']:,} vehicles ({regions}).")
    lines.append(f"- Per vehicle: {pv['mean_per_vehicle_per_day']:.2f} reads a day on average over the whole "
                 f"population; a vehicle read at least once is read {pv['p50_30d']:,.1f} times in 30 days at the "
                 f"median (p90 {pv['p90_30d']:,.1f}, p99 {pv['p99_30d']:,.1f}). ![exposure](exposure.png)")
    return lines


def leakage_markdown(report: dict) -> str:
    fed, oos = report["leakage"]["federal"], report["leakage"]["out_of_state"]
    vis = report["visibility"]["federal_served_visible_in_audit"]
    cost = report["cost"]
    lines = [f"## Leakage under `{report['policy']}`", "",
             f"Searches: {report['searches']['total']:,} "
             + ", ".join(f"{k} {v:,}" for k, v in report["searches"]["by_true_beneficiary"].items()), "",
             "| true beneficiary | searches served | reads delivered | vehicles exposed | targets located | median hours to locate |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, block in (("federal", fed), ("out of state", oos)):
        hours = "–" if block["median_hours_to_locate"] is None else f"{block['median_hours_to_locate']:.0f}"
        lines.append(f"| {name} | {block['searches_served']:,} | {block['reads_delivered']:,} | "
                     f"{block['vehicles_exposed']:,} | {block['targets_located']}/{block['targets']} | {hours} |")
    lines += ["", "| channel | federal searches served | federal reads | out-of-state searches served | out-of-state reads |",
              "|---|---:|---:|---:|---:|"]
    for channel, f in fed["by_channel"].items():
        o = oos["by_channel"][channel]
        lines.append(f"| {channel} | {f['searches_served']:,} | {f['reads_delivered']:,} | {o['searches_served']:,} | "
                     f"{o['reads_delivered']:,} |")
    lines += ["", f"Visibility: {'–' if vis is None else f'{vis:.0%}'} of the served federal searches show a federal "
              "purpose or beneficiary in the owner's audit log.",
              f"Cost: {cost['legit_denied']:,} of {cost['legit_searches']:,} legitimate searches denied, "
              f"{cost['legit_without_hit']:,} without a hit; {cost['bystander_reads_delivered']:,} bystander reads "
              f"delivered; {cost['misread_false_hits']:,} misread false hits."]
    return "\n".join(lines)


def compare_markdown(reports: dict[str, dict]) -> str:
    """Policies side by side (same world, same requests)."""
    names = list(reports)
    rows = [
        ("federal reads delivered", lambda r: r["leakage"]["federal"]["reads_delivered"]),
        ("federal searches served", lambda r: r["leakage"]["federal"]["searches_served"]),
        ("federal vehicles exposed", lambda r: r["leakage"]["federal"]["vehicles_exposed"]),
        ("federal targets located", lambda r: f"{r['leakage']['federal']['targets_located']}/{r['leakage']['federal']['targets']}"),
        ("out-of-state reads delivered", lambda r: r["leakage"]["out_of_state"]["reads_delivered"]),
        ("out-of-state targets located",
         lambda r: f"{r['leakage']['out_of_state']['targets_located']}/{r['leakage']['out_of_state']['targets']}"),
        ("federal served, visible in audit", lambda r: r["visibility"]["federal_served_visible_in_audit"]),
        ("legitimate searches denied", lambda r: f"{r['cost']['legit_denied']}/{r['cost']['legit_searches']}"),
        ("legitimate searches without a hit", lambda r: r["cost"]["legit_without_hit"]),
        ("bystander reads delivered", lambda r: r["cost"]["bystander_reads_delivered"]),
    ]
    lines = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
    for label, get in rows:
        cells = []
        for n in names:
            v = get(reports[n])
            cells.append(f"{v:,}" if isinstance(v, int) else ("–" if v is None else f"{v:.0%}" if isinstance(v, float) else str(v)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    channels = list(reports[names[0]]["leakage"]["federal"]["by_channel"])
    lines += ["", "Federal reads delivered by channel:", "",
              "| channel | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
    for c in channels:
        lines.append(f"| {c} | " + " | ".join(f"{reports[n]['leakage']['federal']['by_channel'][c]['reads_delivered']:,}"
                                           for n in names) + " |")
    return "\n".join(lines) + "\n"


def plate_text_array(codes: np.ndarray) -> np.ndarray:
    """Plate codes as a numpy bytes array (no Python loop), for writing files."""
    return text_bytes(codes)


# Columns whose values repeat (dictionary encoding pays); the others are written plain, and
# the time column, sorted within row groups, as deltas.
_DICTIONARY_COLUMNS = ["camera", "owner", "plate_state", "make", "colour", "body", "plate_text", "camera_id",
                       "plate_state_code"]


def _reads_table(part: Reads, camera_ids: pa.Array, states: pa.Array) -> pa.Table:
    cols = {name: pa.array(getattr(part, name)) for name in READ_COLUMNS}
    cols["plate_text"] = pa.array(plate_text_array(part.plate), type=pa.binary()).cast(pa.string())
    # dictionary columns: the ids are stored once per row group, not once per read
    cols["camera_id"] = pa.DictionaryArray.from_arrays(pa.array(part.camera), camera_ids)
    cols["plate_state_code"] = pa.DictionaryArray.from_arrays(pa.array(part.plate_state), states)
    return pa.table(cols)


def write_reads_parquet(reads: Reads, records: RunRecords, path: Path, chunk_rows: int = 2_000_000) -> None:
    """Reads with readable plate text and camera ids, written in row groups.

    A writer thread encodes one row group while the next is being assembled (pyarrow
    releases the GIL while it encodes).
    """
    camera_ids = pa.array(records.cameras.camera_id, pa.string())
    states = pa.array(STATES, pa.string())
    writer = None
    pending = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            for lo in range(0, max(len(reads), 1), chunk_rows):
                table = _reads_table(reads.take(slice(lo, lo + chunk_rows)), camera_ids, states)
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd",
                                              use_dictionary=_DICTIONARY_COLUMNS,
                                              column_encoding={"time_s": "DELTA_BINARY_PACKED"})
                if pending is not None:
                    pending.result()
                pending = pool.submit(writer.write_table, table)
            if pending is not None:
                pending.result()
        finally:
            if writer is not None:
                writer.close()


def write_outputs(out_dir: Path, world: World, records: RunRecords, report: dict, reads_format: str = "parquet") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "report.md").write_text(render_markdown(report))
    written += [out_dir / "report.json", out_dir / "report.md"]
    written.append(plot_exposure(records, out_dir / "exposure.png"))
    cams = records.cameras
    with open(out_dir / "cameras.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["camera_id", "owner", "lon", "lat", "both_directions"])
        for i in range(len(cams)):
            w.writerow([cams.camera_id[i], records.owners[cams.owner[i]], f"{cams.lon[i]:.6f}", f"{cams.lat[i]:.6f}",
                        bool(cams.both_directions[i])])
    written.append(out_dir / "cameras.csv")
    audit = records.extra.get("audit")
    if audit is not None:
        written += write_audit_exports(out_dir / "audit", audit, records.owners, world.spec)
    if reads_format == "parquet":
        write_reads_parquet(records.reads, records, out_dir / "reads.parquet")
        written.append(out_dir / "reads.parquet")
    elif reads_format == "csv":
        path = out_dir / "reads.csv"
        reads = records.reads
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([*READ_COLUMNS, "plate_text"])
            text = plate_text_array(reads.plate)
            cols = [getattr(reads, n) for n in READ_COLUMNS]
            for i in range(len(reads)):
                w.writerow([c[i] for c in cols] + [text[i].decode()])
        written.append(path)
    return written


def write_audit_exports(folder: Path, audit, owners: tuple[str, ...], spec) -> list[Path]:
    """The run's audit log as agencies publish theirs: the portal search audit of every
    searching agency, and each camera owner's network audit."""
    start = datetime.fromisoformat(spec.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(spec.timezone))
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "search_audit.csv"]
    search_audit_csv(audit.rows(), start=start, path=paths[0])
    for owner in owners:
        path = folder / f"network_audit_{owner}.csv"
        network_audit_csv(audit.rows(), owner, start=start, path=path)
        paths.append(path)
    return paths
