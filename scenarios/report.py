"""Metrics of the reads and the report files: report.json, report.md, reads and cameras.

Metrics are pure functions of ``RunRecords`` (plus the world's description); they never
touch the clock or the store.
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from agencies.records import AgencyRecords
from cameras.misread import misread_live_hits
from lookup.audit_export import network_audit_csv, search_audit_csv
from scenarios.builder import World
from scenarios.output_files import StagedOutputs, staged_outputs
from scenarios.plot_exposure import per_vehicle_metrics, plot_exposure
from scenarios.plots import plots_markdown, report_plots
from scenarios.trace_files import deliveries_table, searches_table
from sim.plates import STATES, text_bytes
from sim.records import READ_COLUMNS, Reads, RunRecords

REPORT_LAST = ("report.json",)  # the file that says a run is complete: renamed into place last


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"median": 0.0, "p10": 0.0, "p90": 0.0}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"median": round(float(p50), 2), "p10": round(float(p10), 2), "p90": round(float(p90), 2)}


def reads_metrics(records: RunRecords, misreads: int) -> dict:
    """Figures of the measured period's reads (the warm-up's are counted apart);
    ``misreads``: how many of them misread (``misread_live_metrics`` counts them)."""
    reads = records.measured_reads()  # views of the store's columns, no copy
    per_camera = np.bincount(reads.camera, minlength=len(records.cameras)) / records.days
    by_owner = np.bincount(reads.owner, minlength=len(records.owners))
    owner_stats = {}
    for o, slug in enumerate(records.owners):
        cams = records.cameras.owner == o
        owner_stats[slug] = {"cameras": int(cams.sum()), "per_camera_per_day": _quantiles(per_camera[cams])}
    return {
        "total": int(len(reads)),
        "cameras": int(len(records.cameras)),
        "per_camera_per_day": _quantiles(per_camera),
        "misread_rate": round(misreads / len(reads) if len(reads) else 0.0, 5),
        "no_read_rate": round(records.no_reads / max(records.no_reads + len(reads), 1), 5),
        "by_owner": {slug: int(by_owner[o]) for o, slug in enumerate(records.owners)},
        "owners": owner_stats,
        "distinct_vehicles": int(np.count_nonzero(np.bincount(reads.vehicle, minlength=len(records.vehicles)))),
        "vehicles": int(len(records.vehicles)),
        "per_vehicle": per_vehicle_metrics(records),
        "warmup_reads": int(len(records.reads) - len(reads)),
    }


def misread_live_metrics(world: World, records: RunRecords, chunk_rows: int = 4_000_000) -> dict:
    """Misreads of the measured period that spell another car's plate in the run (a search
    or hotlist alert then points at an innocent car), by day and night. Reads keep no speed,
    so the fast conditions are not apart here (``alprsim cameras evaluate`` splits them).
    Done in chunks: a state-wide run's reads are gigabytes, and no copy of them is made."""
    reads, plates = records.measured_reads(), records.vehicles.plate  # views: the warm-up is not measured
    true_codes, read_codes, nights = [], [], []  # of the misreads only: a percent or two of the reads
    for lo in range(0, len(reads), chunk_rows):
        part = slice(lo, lo + chunk_rows)
        true = plates[reads.vehicle[part]]
        rows = np.flatnonzero(reads.plate[part] != true)
        true_codes.append(true[rows])
        read_codes.append(reads.plate[part][rows])
        nights.append(world.capture.is_night(reads.time_s[part][rows], world.start_local_hour))
    # one look-up for all of them: the live plates are sorted once (13.8 M for the state), not per chunk
    hits = misread_live_hits(np.concatenate([np.empty(0, np.int64), *true_codes]),
                             np.concatenate([np.empty(0, np.int64), *read_codes]), plates)
    night = np.concatenate([np.empty(0, bool), *nights]).astype(np.int64)
    counts = np.zeros((2, 2), np.int64)  # [day, night] x [misreads, on live plates]
    np.add.at(counts, (night, 0), 1)
    np.add.at(counts, (night, 1), hits.astype(np.int64))

    def block(misreads: np.int64, on_live: np.int64) -> dict:
        n, hits = int(misreads), int(on_live)
        return {"misreads": n, "on_live_plates": hits, "share": round(hits / n, 5) if n else None}

    total = counts.sum(axis=0)
    return {**block(*total), "by_condition": {"day": block(*counts[0]), "night": block(*counts[1])}}


def build_report(world: World, records: RunRecords, timings_s: dict[str, float] | None = None) -> dict:
    spec = world.spec
    live = misread_live_metrics(world, records)  # it counts the misreads too: one pass over the reads
    return {
        "scenario": spec.name,
        "seed": records.seed,
        "days": records.days,
        "warmup_days": records.warmup_days,
        "records_sha256": records.records_sha256,
        "reads": {**reads_metrics(records, live["misreads"]), "misread_live_hits": live},
        "world": {
            "network": world.net.name, "nodes": world.net.n_nodes, "road_segments": world.net.n_edges,
            "zones": world.net.n_zones, "calibration": world.calibration,
            **({"population": world.population} if world.population else {}),
            **({"camera_import": world.camera_import} if world.camera_import else {}),
        },
        **({"timings_s": {k: round(v, 3) for k, v in timings_s.items()}} if timings_s else {}),
    }


def fig(value, percent: bool = False) -> str:
    """A figure for people: plain numbers with separators, intervals as ``mean [lo, hi]``."""
    if isinstance(value, dict) and "mean" in value:
        lo, hi = value["ci95"]
        if value["n"] == 0:
            return "–"
        return f"{fig(value['mean'], percent)} [{fig(lo, percent)}, {fig(hi, percent)}]"
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if percent:
        return f"{value:.1%}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def render_markdown(report: dict) -> str:
    r = report["reads"]
    seeds = (f"Seeds {report['seeds'][0]}–{report['seeds'][-1]} ({report['replications']} replications; figures "
             "are means with 95% intervals)") if "replications" in report else f"Seed {report['seed']}"
    lines = [
        f"# alprsim run: {report['scenario']}",
        "",
        f"{seeds}, {fig(report['days'])} days measured after a {fig(report.get('warmup_days', 0))}-day warm-up. "
        + (f"Records hash `{report['records_sha256'][:16]}…`." if "records_sha256" in report else ""),
        "",
        "## Reads",
        "",
        f"- {fig(r['total'])} reads from {fig(r['cameras'])} cameras; {fig(r['distinct_vehicles'])} of "
        f"{fig(r['vehicles'])} vehicles were read at least once.",
        f"- Reads per camera per day: median {fig(r['per_camera_per_day']['median'])} "
        f"(p10 {fig(r['per_camera_per_day']['p10'])}, p90 {fig(r['per_camera_per_day']['p90'])}).",
        f"- Misread rate {fig(r['misread_rate'], True)}; no-read rate {fig(r['no_read_rate'], True)}.",
        *_live_hit_lines(r),
        *_exposure_lines(report),
        "",
        "| owner | cameras | reads | median reads/camera/day |",
        "|---|---:|---:|---:|",
    ]
    for slug, stats in r["owners"].items():
        lines.append(f"| {slug} | {fig(stats['cameras'])} | {fig(r['by_owner'][slug])} | "
                     f"{fig(stats['per_camera_per_day']['median'])} |")
    if "gallery" in report:
        lines += ["", f"Image path: every pass was rendered and read with OpenCV; crops and readings in "
                  f"[{report['gallery']}]({report['gallery']})."]
    if "leakage" in report:
        lines += ["", leakage_markdown(report)]
    return "\n".join(lines) + "\n"


def _live_hit_lines(reads: dict) -> list[str]:
    live = reads.get("misread_live_hits")
    if not live:
        return []
    day, night = live["by_condition"]["day"], live["by_condition"]["night"]
    return [f"- Misreads that spell another car's plate in the run: {fig(live['on_live_plates'])} of "
            f"{fig(live['misreads'])} ({fig(live['share'], True)}; by day {fig(day['on_live_plates'])} of "
            f"{fig(day['misreads'])}, at night {fig(night['on_live_plates'])} of {fig(night['misreads'])})."]


def _exposure_lines(report: dict) -> list[str]:
    pv = report["reads"].get("per_vehicle")
    if not pv:
        return []
    pop = report.get("world", {}).get("population", {})
    lines = []
    if pop:
        regions = ", ".join(f"{k} {fig(v)}" for k, v in pop["by_region"].items())
        lines.append(f"- Population: {fig(pop['vehicles'])} vehicles ({regions}).")
    lines.append(f"- Per vehicle: {fig(pv['mean_per_vehicle_per_day'])} reads a day on average over the whole "
                 f"population; a vehicle read at least once is read {fig(pv['p50_30d'])} times in 30 days at the "
                 f"median (p90 {fig(pv['p90_30d'])}, p99 {fig(pv['p99_30d'])}). ![exposure](exposure.png)")
    return lines


def leakage_markdown(report: dict) -> str:
    fed, oos = report["leakage"]["federal"], report["leakage"]["out_of_state"]
    vis = report["visibility"]["federal_served_visible_in_audit"]
    cost = report["cost"]
    lines = [f"## Leakage under `{report['policy']}`", "",
             f"Searches in the measured period: {fig(report['searches']['total'])} ("
             + ", ".join(f"{k} {fig(v)}" for k, v in report["searches"]["by_true_beneficiary"].items()) + ")", "",
             "| true beneficiary | searches served | distinct reads delivered | deliveries | vehicles exposed | "
             "targets | located | mislocated | median hours to locate | median guess error (m) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, block in (("federal", fed), ("out of state", oos)):
        lines.append(f"| {name} | {fig(block['searches_served'])} | {fig(block['reads_delivered'])} | "
                     f"{fig(block['deliveries'])} | {fig(block['vehicles_exposed'])} | {fig(block['targets'])} | "
                     f"{fig(block['targets_located'])} | {fig(block['targets_mislocated'])} | "
                     f"{fig(block['median_hours_to_locate'])} | {fig(block['median_guess_error_m'])} |")
    lines += ["", "| channel | federal searches served | federal distinct reads | out-of-state searches served | "
              "out-of-state distinct reads |", "|---|---:|---:|---:|---:|"]
    for channel, f in fed["by_channel"].items():
        o = oos["by_channel"][channel]
        lines.append(f"| {channel} | {fig(f['searches_served'])} | {fig(f['reads_delivered'])} | "
                     f"{fig(o['searches_served'])} | {fig(o['reads_delivered'])} |")
    legit = cost["legit"]
    lines += ["", f"Visibility: {fig(vis, True)} of the served federal searches show a federal purpose or "
              "beneficiary in a searched owner's published network audit (re-imported and classified).",
              f"Cost: {fig(legit['denied'])} of {fig(legit['searches'])} legitimate searches denied, "
              f"{fig(legit['without_hit'])} without a hit; {fig(legit['bystander_reads'])} bystander reads delivered "
              f"to legitimate searches, {fig(cost['outside_bystanders'])} to outside beneficiaries, "
              f"{fig(cost['gunshot_bystanders'])} by gunshot area searches; {fig(cost['misread_false_hits'])} "
              "misread false hits."]
    if "audits" in report:
        lines += ["", arms_race_markdown(report)]
    return "\n".join(lines)


def arms_race_markdown(report: dict) -> str:
    """The adversary's moves, the owners' audits and sanctions, and time to detection."""
    adv, aud, ins = report["adversary"], report["audits"], report.get("insider", {})
    lines = ["## The arms race", "",
             f"Adversary `{adv['strategy']}`: {fig(adv['channel_switches'])} channel switches between a target's "
             f"consecutive attempts; {fig(adv['stopped_after_locating'])} pursuits stopped once the agency had "
             "placed the home.",
             f"Owners' audits: {fig(aud['runs'])} run, {fig(aud['rows_flagged'])} rows flagged "
             f"({fig(aud['true_flags'])} true, {fig(aud['false_flags'])} false), {fig(aud['sanctions'])} sanctions, "
             f"{fig(aud['legit_searches_sanctioned'])} legitimate searches refused by a sanction.",
             f"Insider cases: {fig(ins.get('cases'))} ({fig(ins.get('searches'))} searches), "
             f"{fig(ins.get('located'))} homes placed correctly by the officer.",
             f"Federal distinct reads per week: {', '.join(fig(w) for w in report['leakage']['federal']['weekly'])}.",
             "", "| channel | episodes of misuse | detected | median days to detection |", "|---|---:|---:|---:|"]
    detection = report.get("arms_race", {}).get("detection", {})
    for channel, days in aud["median_days_to_detect"].items():
        lines.append(f"| {channel} | {fig(detection.get('episodes', {}).get(channel))} | "
                     f"{fig(detection.get('detected', {}).get(channel))} | {fig(days)} |")
    return "\n".join(lines)


COMPARE_ROWS = (
    ("federal distinct reads delivered", ("leakage", "federal", "reads_delivered"), False),
    ("federal searches served", ("leakage", "federal", "searches_served"), False),
    ("federal vehicles exposed", ("leakage", "federal", "vehicles_exposed"), False),
    ("federal targets", ("leakage", "federal", "targets"), False),
    ("federal targets located", ("leakage", "federal", "targets_located"), False),
    ("federal targets mislocated", ("leakage", "federal", "targets_mislocated"), False),
    ("out-of-state distinct reads delivered", ("leakage", "out_of_state", "reads_delivered"), False),
    ("out-of-state targets located", ("leakage", "out_of_state", "targets_located"), False),
    ("federal served, visible in audit", ("visibility", "federal_served_visible_in_audit"), True),
    ("legitimate searches", ("cost", "legit", "searches"), False),
    ("legitimate searches denied", ("cost", "legit", "denied"), False),
    ("legitimate searches without a hit", ("cost", "legit", "without_hit"), False),
    ("bystander reads (legitimate searches)", ("cost", "legit", "bystander_reads"), False),
    ("misread false hits", ("cost", "misread_false_hits"), False),
    ("adversary channel switches", ("adversary", "channel_switches"), False),
    ("pursuits stopped after locating", ("adversary", "stopped_after_locating"), False),
    ("audits run", ("audits", "runs"), False),
    ("audit rows flagged, true", ("audits", "true_flags"), False),
    ("audit rows flagged, false", ("audits", "false_flags"), False),
    ("sanctions", ("audits", "sanctions"), False),
    ("legitimate searches refused by a sanction", ("audits", "legit_searches_sanctioned"), False),
    ("insider cases: homes placed", ("insider", "located"), False),
)


def _at(report: dict, path: tuple[str, ...]):
    for key in path:
        report = (report or {}).get(key)
    return report


def compare_markdown(reports: dict[str, dict]) -> str:
    """Policies side by side (same world, same requests), with paired differences when
    the comparison has replications."""
    names = [n for n in reports if n != "paired_differences"]
    lines = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
    for label, path, percent in COMPARE_ROWS:
        lines.append(f"| {label} | " + " | ".join(fig(_at(reports[n], path), percent) for n in names) + " |")
    channels = list(reports[names[0]]["leakage"]["federal"]["by_channel"])
    lines += ["", "Federal distinct reads delivered by channel:", "",
              "| channel | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
    for c in channels:
        lines.append(f"| {c} | " + " | ".join(fig(_at(reports[n], ("leakage", "federal", "by_channel", c,
                                                                      "reads_delivered"))) for n in names) + " |")
    detect = sorted({c for n in names for c in (_at(reports[n], ("audits", "median_days_to_detect")) or {})})
    if detect:
        lines += ["", "Median days from first misuse to detection by an owner's audit (– : never detected):", "",
                  "| channel | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
        for c in detect:
            lines.append(f"| {c} | " + " | ".join(fig(_at(reports[n], ("audits", "median_days_to_detect", c)))
                                                  for n in names) + " |")
    diffs = reports.get("paired_differences")
    if diffs:
        others = list(diffs)
        first = diffs[others[0]]["versus"]
        lines += ["", f"Paired differences from `{first}` (same seeds; mean [95% interval]):", "",
                  "| | " + " | ".join(f"`{n}` − `{first}`" for n in others) + " |", "|---|" + "---:|" * len(others)]
        for label, path, percent in COMPARE_ROWS:
            lines.append(f"| {label} | " + " | ".join(fig(_at(diffs[n], path), percent) for n in others) + " |")
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


class BackgroundReads:
    """reads.parquet written on a second thread while the run goes on (the agencies
    search on one core, pyarrow encodes on the other); ``finish`` waits for it."""

    def __init__(self, path: Path):
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alprsim-reads")
        self._future: Future | None = None

    def start(self, records: RunRecords) -> None:
        if self._future is None:
            self._future = self._pool.submit(write_reads_parquet, records.reads, records, self.path)

    @property
    def started(self) -> bool:
        return self._future is not None

    def finish(self) -> None:
        """Wait for the file (raising the writer's error, if any)."""
        try:
            if self._future is not None:
                self._future.result()
        finally:
            self._pool.shutdown(wait=True)


def write_outputs(out_dir: Path | StagedOutputs, world: World, records: RunRecords, report: dict,
                  reads_format: str = "parquet", agencies: AgencyRecords | None = None,
                  reads_file: BackgroundReads | None = None) -> list[Path]:
    """report.json, report.md, cameras.csv, the audit exports, the trace and the reads, in ``out_dir``.

    Written under temporary names and renamed into place at the end, report.json last
    (``scenarios.output_files``): a run that fails while writing leaves no report.
    ``reads_file``: reads.parquet already being written (staged in ``out_dir``), waited for.
    """
    if not isinstance(out_dir, StagedOutputs):
        with staged_outputs(out_dir, last=REPORT_LAST) as staged:
            write_outputs(staged, world, records, report, reads_format, agencies)
        return staged.written
    out = out_dir
    # figures first, so that report.md can embed them (scenarios.plots)
    figures = report_plots(out.path("plots"), report) if "leakage" in report else []
    out.path("report.md").write_text(render_markdown(report) + plots_markdown(figures))
    plot_exposure(records, out.path("exposure.png"))
    cams = records.cameras
    with open(out.path("cameras.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["camera_id", "owner", "lon", "lat", "both_directions"])
        for i in range(len(cams)):
            w.writerow([cams.camera_id[i], records.owners[cams.owner[i]], f"{cams.lon[i]:.6f}", f"{cams.lat[i]:.6f}",
                        bool(cams.both_directions[i])])
    if agencies is not None:
        write_audit_exports(out.path("audit"), agencies.audit, records.owners, world.spec)
        # the trace (scenarios.trace_files), staged with the other outputs
        pq.write_table(searches_table(agencies), out.path("searches.parquet"), compression="zstd")
        pq.write_table(deliveries_table(agencies), out.path("deliveries.parquet"), compression="zstd")
    if reads_format == "parquet" and reads_file is not None and reads_file.started:
        reads_file.finish()
    elif reads_format == "parquet":
        write_reads_parquet(records.reads, records, out.path("reads.parquet"))
    elif reads_format == "csv":
        reads = records.reads
        with open(out.path("reads.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([*READ_COLUMNS, "plate_text"])
            text = plate_text_array(reads.plate)
            cols = [getattr(reads, n) for n in READ_COLUMNS]
            for i in range(len(reads)):
                w.writerow([c[i] for c in cols] + [text[i].decode()])
    out.path("report.json").write_text(json.dumps(report, indent=2) + "\n")
    return list(out.staged)


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
