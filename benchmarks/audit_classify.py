"""``alprsim audit`` on generated transparency-portal logs: speed and memory.

Generates a portal search-audit CSV (``id, userId, searchDate, networkCount, reason,
caseNumber, offenseType``) whose reasons mix the vocabulary of FACTS.md with realistic
variation (case numbers and code sections inside the reason, capitalisation, misspellings,
URL "+" artifacts), so that about a third of the reasons are distinct strings. Figures:

- ``audit_1m_seconds``: ``run_audit`` (read, classify, write flags.csv and summary.md) on
  1,000,000 rows, against a baseline in the same run: the naive per-row keyword loop people
  use in spreadsheets (every row through a list of regular expressions, no caching);
- ``audit_rows_per_second``;
- ``audit_peak_rss_mb``: peak resident memory of a separate process auditing 1M rows,
  against the same for 250k rows (memory must not grow with the file);
- ``audit_xlsx_100k_seconds``: ``run_audit`` on a 100,000-row XLSX workbook (dates as date
  cells, counts as numbers), against the same rows as CSV in the same run (target: within 3x).

Run: ``python -m benchmarks audit_classify`` (set ``AUDIT_BENCH_ROWS`` for another size).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import emit, log
from sim.random_streams import RandomStreams

# (template, weight, intended label); {n} a case number, {c} a code section
REASONS = (
    ("investigation", 12, "vague"), ("Investigation", 6, "vague"), ("inv", 3, "vague"),
    ("INVESTIGATION", 2, "vague"), ("invetigation", 0.5, "vague"), ("BOL", 1, "vague"),
    ("Daytime search for best result", 3, "vague"), ("Suspicious Vehicle", 3, "vague"), ("", 1, "missing"),
    ("***", 0.5, "missing"), ("stolen vehicle", 6, "own_case"), ("Stolen Vehicle {n}", 3, "own_case"),
    ("robbery {n}", 3, "own_case"), ("{c}", 6, "own_case"), ("{c} {n}", 5, "own_case"), ("{n}", 4, "own_case"),
    ("Property Crime", 4, "own_case"), ("Person+Crime", 2, "own_case"), ("missing person", 1, "own_case"),
    ("homicide {n}", 1, "own_case"), ("burglary", 2, "own_case"), ("UUV", 2, "own_case"), ("warrant", 1, "own_case"),
    ("hit and run {n}", 1, "own_case"), ("shooting {n}", 1, "own_case"), ("AOA", 2, "assist_other"),
    ("AOD", 1, "assist_other"), ("assist CHP", 1, "assist_other"), ("AOA {n}", 1, "assist_other"),
    ("assist Hayward PD", 0.5, "assist_other"), ("NCRIC", 0.3, "assist_other"), ("ICE case", 0.2, "immigration"),
    ("ICE WARRANT", 0.1, "immigration"), ("immigration", 0.1, "immigration"), ("HSI", 0.2, "federal"),
    ("CBP", 0.05, "immigration"), ("assist FBI", 0.3, "federal"), ("DEA TFO", 0.2, "federal"),
    ("US Marshall", 0.1, "federal"), ("USMS TF {n}", 0.1, "federal"), ("ATF {n}", 0.1, "federal"),
    ("OOS", 0.3, "out_of_state"), ("assist Houston TX PD", 0.1, "out_of_state"), ("AOA Reno PD", 0.1, "out_of_state"),
    ("Det. Marshall {n}", 0.1, "own_case"), ("assist DOJ", 0.2, "assist_other"),
    ("not ICE related {c}", 0.05, "own_case"), ("ice sales 11378 HS", 0.05, "own_case"),
)
CODES = ("211PC", "245(a)(2)PC", "10851 VC", "459 PC", "11378 HS", "187PC", "496(d) PC", "20001 VC")
# the spreadsheet approach: one keyword list per label, tried in order on every row
NAIVE_RULES = (
    ("immigration", r"\b(ice|ero|immigration|cbp|deport\w*|border patrol)\b"),
    ("federal", r"\b(fbi|dea|atf|usms|hsi|marshall?s?|federal|feds?|tfo|jttf)\b"),
    ("out_of_state", r"\b(oos|out of state|[a-z]+ (tx|nv|az|or|wa) pd)\b"),
    ("assist_other", r"\b(aoa|aod|assist\w*|chp|ncric|doj|tf)\b"),
    ("own_case", r"\d{2,}|\b(stolen|robbery|burglary|homicide|warrant|uuv|crime|missing|shooting)\b"),
    ("vague", r"\w"),
)


def generate(path: Path, rows: int, seed: int = 20260401, chunk: int = 200_000) -> tuple[float, list[str]]:
    """Write a portal search-audit CSV of ``rows`` rows; returns the share of distinct
    reasons and each row's intended label (a case number makes a vague reason own_case)."""
    rng = RandomStreams(seed).generator("benchmarks.audit_classify")
    templates = [t for t, _, _ in REASONS]
    weights = np.array([w for _, w, _ in REASONS], dtype=float)
    truth: list[str] = []
    weights /= weights.sum()
    distinct: set[str] = set()
    start = np.datetime64("2025-06-01T00:00:00", "ms")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["id", "userId", "searchDate", "networkCount", "reason", "caseNumber", "offenseType"])
        done = 0
        while done < rows:
            n = min(chunk, rows - done)
            picks = rng.choice(len(templates), size=n, p=weights)
            cases = rng.integers(0, 999_999, size=n)
            years = rng.integers(23, 26, size=n)
            codes = rng.integers(0, len(CODES), size=n)
            case_column = rng.random(n) < 0.15
            times = start + np.sort(rng.integers(0, 180 * 86_400_000, size=n)).astype("timedelta64[ms]")
            stamps = np.datetime_as_string(times, unit="ms")
            networks = rng.integers(1, 900, size=n)
            for i in range(n):
                number = f"{years[i]}-{cases[i]:06d}"
                reason = templates[picks[i]].format(n=number, c=CODES[codes[i]])
                distinct.add(reason)
                label = REASONS[picks[i]][2]
                truth.append("own_case" if case_column[i] and label in ("vague", "missing") else label)
                writer.writerow([f"s{done + i}", "***", stamps[i].replace("T", " "), int(networks[i]), reason,
                                 number if case_column[i] else "", ""])
            done += n
    return len(distinct) / rows, truth


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """The same rows as an Excel export: a title row, dates as date cells, counts as numbers."""
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Search Audit")
    sheet.append(["Public Search Audit"])
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        sheet.append(next(rows))
        for row in rows:
            when = datetime.fromisoformat(row[2])
            sheet.append([row[0], row[1], when, int(row[3]), row[4], row[5] or None, row[6] or None])
    book.save(xlsx_path)


def naive_classify(path: Path) -> list[str]:
    """The baseline: every row through the keyword list, first match wins, no caching."""
    rules = [(label, re.compile(pattern, re.I)) for label, pattern in NAIVE_RULES]
    labels: list[str] = []
    with open(path, newline="", encoding="utf-8") as handle, open(os.devnull, "w") as sink:
        writer = csv.writer(sink)
        for row in csv.DictReader(handle):
            text = f"{row['reason']} {row['caseNumber']}"
            label = next((name for name, rule in rules if rule.search(text)), "missing")
            labels.append(label)
            writer.writerow([row["id"], label])
    return labels


def _accuracy(pred: list[str], truth: list[str]) -> float:
    return sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth)


def _f1(pred: list[str], truth: list[str], label: str) -> float:
    from forensics.classifier import precision_recall

    return precision_recall(pred, truth)[label]["f1"]


def _peak_rss_mb(path: Path, out: Path) -> float:
    code = ("import sys; from pathlib import Path; from scenarios.cli_forensics import run_audit; "
            "run_audit([Path(sys.argv[1])], Path(sys.argv[2])); "
            "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024)")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(out)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from scenarios.cli_forensics import run_audit

    rows = int(os.environ.get("AUDIT_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="alprsim-audit-bench-") as tmp:
        tmp = Path(tmp)
        big = tmp / "portal.csv"
        log(f"generating {rows:,} rows ...")
        distinct_share, truth = generate(big, rows)
        size_mb = big.stat().st_size / 1e6
        log(f"{size_mb:.0f} MB, {distinct_share:.1%} distinct reasons; naive baseline ...")
        t0 = time.perf_counter()
        naive_labels = naive_classify(big)
        t_naive = time.perf_counter() - t0
        log(f"naive {t_naive:.1f} s; alprsim audit ...")
        t0 = time.perf_counter()
        summary = run_audit([big], tmp / "out")
        t_audit = time.perf_counter() - t0
        assert int(summary.totals.sum()) == rows
        emit("audit_1m_seconds" if rows == 1_000_000 else f"audit_{rows}_seconds", t_audit, "s",
             baseline=t_naive, rows=rows, file_mb=round(size_mb, 1), distinct_reasons=round(distinct_share, 3),
             baseline_name="naive per-row regex loop, no caching")
        emit("audit_rows_per_second", rows / t_audit, "rows/s", baseline=rows / t_naive)
        with open(tmp / "out" / "flags.csv", newline="", encoding="utf-8") as handle:
            ours = [row["label"] for row in csv.DictReader(handle)]
        emit("audit_label_accuracy", _accuracy(ours, truth), "share", baseline=_accuracy(naive_labels, truth),
             note="against the generator's intended labels (same vocabulary: a coverage check, not a field test)")
        for label in ("immigration", "federal", "out_of_state"):
            emit(f"audit_{label}_f1", _f1(ours, truth, label), "f1", baseline=_f1(naive_labels, truth, label))
        small = tmp / "portal_quarter.csv"
        generate(small, rows // 4)  # (labels unused)
        log("peak memory, two sizes, separate processes ...")
        rss_small = _peak_rss_mb(small, tmp / "out_small")
        rss_big = _peak_rss_mb(big, tmp / "out_big")
        emit("audit_peak_rss_mb", rss_big, "MB", baseline=rss_small, rows=rows, baseline_rows=rows // 4)
        xlsx_seconds(tmp)


def xlsx_seconds(tmp: Path, rows: int = 100_000) -> None:
    from scenarios.cli_forensics import run_audit

    as_csv, as_xlsx = tmp / "portal_100k.csv", tmp / "portal_100k.xlsx"
    generate(as_csv, rows, seed=20260402)
    log("writing the same rows as XLSX ...")
    write_xlsx(as_csv, as_xlsx)
    timings = {}
    for name, path in (("csv", as_csv), ("xlsx", as_xlsx)):
        t0 = time.perf_counter()
        summary = run_audit([path], tmp / f"out_{name}")
        timings[name] = time.perf_counter() - t0
        assert int(summary.totals.sum()) == rows
    same = (tmp / "out_csv" / "flags.csv").read_text().count("\n") == (tmp / "out_xlsx" / "flags.csv").read_text().count("\n")
    emit("audit_xlsx_100k_seconds", timings["xlsx"], "s", baseline=timings["csv"], rows=rows,
         ratio=round(timings["xlsx"] / timings["csv"], 2), target_ratio=3.0, same_row_count=same,
         xlsx_mb=round(as_xlsx.stat().st_size / 1e6, 1), baseline_name="the same rows as CSV")


if __name__ == "__main__":
    main()
