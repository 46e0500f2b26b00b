"""XLSX exports read by calamine: the same records as the same rows in CSV, sheet rows as lines."""

import csv
from datetime import datetime

import openpyxl
import pytest

from forensics.auditfiles import AuditFormatError
from forensics.auditlogs import iter_chunks

HEADER = ["id", "userId", "searchDate", "networkCount", "reason", "caseNumber", "offenseType"]
ROWS = [
    ["s1", "***", datetime(2025, 6, 1, 10, 0, 5), 3, "SJPD 26-004512", None, None],
    ["s2", "u-2", datetime(2025, 6, 2, 23, 59, 59), 845, "robbery", "25-118823", "Robbery"],
    ["s3", "REDACTED", datetime(2025, 6, 3, 0, 0, 0), None, "ICE case", None, None],
    ["s4", "u-4", datetime(2025, 6, 4, 12, 30, 0), 12, "", "26-01628", None],
]


def _write(tmp_path, blank_rows_above: int = 0):
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(blank_rows_above):
        sheet.append([])
    sheet.append(["Public Search Audit"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    xlsx = tmp_path / "audit.xlsx"
    book.save(xlsx)
    as_csv = tmp_path / "audit.csv"
    with open(as_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Public Search Audit"])
        writer.writerow(HEADER)
        for row in ROWS:
            writer.writerow([v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else ("" if v is None else v)
                             for v in row])
    return xlsx, as_csv


def _records(path):
    return [(r.id, r.user, r.time, r.network_count, r.reason, r.case_number, r.offense_type)
            for chunk in iter_chunks(path) for r in chunk.rows()]


def test_an_xlsx_export_reads_as_the_same_rows_in_csv(tmp_path):
    xlsx, as_csv = _write(tmp_path)
    assert _records(xlsx) == _records(as_csv)
    assert _records(xlsx)[2][1] == "***" and _records(xlsx)[2][3] is None  # masked user, empty count


def test_sheet_rows_count_from_the_top_of_the_sheet_even_above_the_used_range(tmp_path):
    xlsx, _ = _write(tmp_path, blank_rows_above=3)
    lines = [r.line for chunk in iter_chunks(xlsx) for r in chunk.rows()]
    assert lines == [6, 7, 8, 9]  # 3 blank rows, the title, the header: data starts on sheet row 6


def test_a_broken_workbook_is_an_error_naming_the_file(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"not a zip archive at all" * 10)
    with pytest.raises(AuditFormatError) as error:
        list(iter_chunks(broken))
    assert "broken.xlsx" in str(error.value) and "XLSX" in str(error.value)
