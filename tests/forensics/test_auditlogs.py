"""Importers: the three audit layouts, their drift, encodings, Excel, time zones, strictness."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from forensics.auditlogs import (
    MASKED,
    AuditFormatError,
    ImportInfo,
    iter_chunks,
    parse_time,
    read_records,
    record_from_simulated,
)
from lookup.audit import AuditLog, NetworkEntry
from lookup.audit_export import network_audit_csv, search_audit_csv
from lookup.policy import Decision
from lookup.requests import Organization, ReadQuery, SearchRequest
from tests.conftest import shared_file

FIXTURES = Path(__file__).parent / "fixtures"


def records(name: str, **kw):
    return list(read_records(FIXTURES / name, **kw))


def test_portal_search_audit_reads_every_field_and_masked_users():
    rows = records("portal_search_audit.csv")
    assert [r.id for r in rows] == ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
    first, second = rows[0], rows[1]
    assert first.user == MASKED and first.reason == "ICE case" and first.network_count == 845
    assert first.time == datetime(2025, 4, 22, 17, 2, 4, 789000, tzinfo=UTC)
    assert (second.case_number, second.offense_type) == ("25-01628", "Robbery")
    assert rows[4].reason == "" and rows[6].offense_type == "Immigration (civil/administrative)"
    assert [r.line for r in rows] == list(range(2, 9))


def test_portal_camera_count_variant_maps_to_device_count():
    info = ImportInfo("x")
    rows = [r for c in iter_chunks(FIXTURES / "portal_camera_count.csv", info=info) for r in c.rows()]
    assert info.format == "portal" and info.columns["device_count"] == "cameraCount"
    assert [r.device_count for r in rows] == [2510, 2510, 94] and rows[0].network_count is None


def test_network_audit_2024_layout_with_federal_tag_zones_and_thousands():
    rows = records("network_audit_2024.csv")
    chp, sfpd, hsi, houston, hayward = rows
    assert chp.org == "California Highway Patrol" and chp.plate == "7ABC123" and chp.device_count == 83345
    assert chp.time == datetime(2025, 4, 22, 17, 15, 33, tzinfo=UTC)  # 10:15:33 PDT
    assert houston.time == datetime(2025, 4, 22, 18, 0, tzinfo=UTC)  # 13:00 CDT
    assert hsi.org.endswith("[Federal]")
    assert houston.reason == 'stolen vehicle, "red" pickup' and houston.filters == "make=Ford"
    assert hayward.device_count == 10500 and hayward.case_number == "25-000123"
    assert chp.time_frame == "2025-04-15 00:00:00 - 2025-04-22 00:00:00"
    assert [r.id for r in rows] == ["2", "3", "4", "5", "6"]  # no ID column: the line number


def test_network_audit_drift_title_row_repeated_header_blank_column_and_multiline_reason():
    info = ImportInfo("x")
    rows = [r for c in iter_chunks(FIXTURES / "network_audit_2025_drift.csv", info=info) for r in c.rows()]
    assert info.format == "network" and info.columns["org"] == "Org name"
    assert [r.id for r in rows] == ["n-1", "n-2", "n-3", "n-4"]
    assert info.skipped_lines == 3  # title row, blank line, repeated header
    assert rows[2].reason == "investigation\nfollow-up" and rows[2].line == 7 and rows[3].line == 9
    assert rows[0].user == MASKED  # "REDACTED"
    assert rows[1].time == datetime(2025, 5, 1, 17, 30, tzinfo=UTC)


def test_organization_audit_layout_and_us_dates_in_a_given_zone():
    rows = records("org_audit.csv", tz="America/Los_Angeles")
    assert [r.case_number for r in rows] == ["26-01628", "", "N/A"]
    assert rows[0].offense_type == "Robbery" and rows[0].org == ""
    assert rows[0].time == datetime(2025, 4, 22, 17, 15, tzinfo=UTC)  # 10:15 AM PDT
    assert rows[1].time == datetime(2025, 4, 22, 20, 5, tzinfo=UTC)  # 01:05 PM PDT
    info = ImportInfo("x")
    list(iter_chunks(FIXTURES / "org_audit.csv", info=info))
    assert info.format == "org"


@pytest.mark.parametrize("name,encoding", [
    ("portal_utf8_bom.csv", "utf-8-sig"), ("portal_cp1252.csv", "utf-8+cp1252"),
    ("portal_mixed_encoding.csv", "utf-8+cp1252"), ("portal_utf16.txt", "utf-16"), ("portal_gzip.csv.gz", "utf-8"),
])
def test_every_encoding_reads_the_same_text(name, encoding):
    info = ImportInfo(name)
    rows = [r for c in iter_chunks(FIXTURES / name, info=info) for r in c.rows()]
    assert info.encoding == encoding
    assert [r.reason for r in rows] == ["homicide – Peña case", "“AOA” assist Riverside SO"]
    assert rows[0].id == "b1"  # the BOM does not stick to the first header


def test_xlsx_exports_with_datetimes_excel_serials_and_float_case_numbers(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Network Audit"])  # a title row
    sheet.append(["ID", "Name", "Org Name", "Total Networks Searched", "Total Devices Searched", "Reason",
                  "Case #", "Search Time", "Search Type", None])
    sheet.append(["x1", "***", "Reno NV PD", 3, 120, "OOS", 24118822.0, datetime(2025, 4, 22, 10, 0), "Lookup", None])
    sheet.append([None] * 10)  # a blank row between data rows (a trailing one is outside the sheet's range)
    sheet.append(["x2", "REDACTED", "CHP", 845.0, None, "ICE case", None, 45769.5, "Lookup", None])
    path = tmp_path / "network.xlsx"
    book.save(path)
    info = ImportInfo(str(path))
    rows = [r for c in iter_chunks(path, info=info, tz="America/Los_Angeles") for r in c.rows()]
    assert info.format == "network" and info.encoding == "xlsx" and info.skipped_lines == 2
    assert rows[0].case_number == "24118822" and rows[0].network_count == 3 and rows[0].line == 3
    assert rows[0].time == datetime(2025, 4, 22, 17, 0, tzinfo=UTC)  # a naive cell read in the given zone
    assert rows[1].user == MASKED and rows[1].network_count == 845 and rows[1].device_count is None
    assert rows[1].time == datetime(2025, 4, 22, 12, 0, tzinfo=UTC)  # serial 45769.5
    assert rows[1].line == 5  # sheet rows counted across the blank one


@pytest.mark.parametrize("text,expected", [
    ("2025-04-22 10:15:33 PDT", datetime(2025, 4, 22, 17, 15, 33, tzinfo=UTC)),
    ("2025-04-22T10:15:33-07:00", datetime(2025, 4, 22, 17, 15, 33, tzinfo=UTC)),
    ("2025-04-22T17:15:33Z", datetime(2025, 4, 22, 17, 15, 33, tzinfo=UTC)),
    ("4/22/2025 5:15:33 PM", datetime(2025, 4, 22, 17, 15, 33, tzinfo=UTC)),
    ("45769.5", datetime(2025, 4, 22, 12, 0, tzinfo=UTC)),
    ("***", None), ("", None), ("soon", False),
])
def test_time_formats(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("name,line,column,words", [
    ("bad_time.csv", 3, "searchDate", "next tuesday"),
    ("bad_count.csv", 2, "networkCount", "'ten' is not a count"),
    ("long_row.csv", 2, "#6", "6 cells"),
    ("no_reason.csv", 1, "reason", "needs this column"),
])
def test_unreadable_input_names_file_line_and_column(name, line, column, words):
    with pytest.raises(AuditFormatError) as caught:
        records(name)
    error = caught.value
    assert (Path(error.source).name, error.line, error.column) == (name, line, column)
    assert name in str(error) and words in str(error)


def test_a_file_without_any_header_is_refused(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("hello\nworld\n")
    with pytest.raises(AuditFormatError, match="no header row"):
        records_from = list(read_records(path))
        del records_from


def test_chunked_reading_gives_the_same_rows_as_one_chunk():
    whole = [r for c in iter_chunks(FIXTURES / "network_audit_2025_drift.csv") for r in c.rows()]
    chunks = list(iter_chunks(FIXTURES / "network_audit_2025_drift.csv", chunk_rows=1))
    assert len(chunks) == 4 and [r for c in chunks for r in c.rows()] == whole


def test_chunk_columns_are_numpy_and_text_lists():
    chunk = next(iter_chunks(FIXTURES / "portal_search_audit.csv"))
    assert chunk.time_ms.dtype == np.int64 and chunk.network_count.tolist()[:2] == [845, 312]
    assert chunk.text["reason"][1] == "211PC" and len(chunk) == 7


CHP = Organization("chp", "California Highway Patrol", "state", "CA")
FBI = Organization("fbi", "Federal Bureau of Investigation", "federal", "US")


def _simulated_log() -> AuditLog:
    log = AuditLog()
    allow = Decision("allow", "open", "default")
    for i, (org, reason) in enumerate([(CHP, "ICE case"), (FBI, "fugitive 25-0042"), (CHP, "211PC")]):
        query = ReadQuery(plate=f"7ABC{i:03d}", start_s=0, end_s=86400 * 7)
        request = SearchRequest(f"req-{i}", org.slug, f"user-{i}", 86400 * 8 + i * 60, reason, "plate", query,
                                case_number="25-0042" if i == 2 else None, offense_type="Robbery" if i == 2 else None)
        log.append(request, org, [NetworkEntry.from_decision("oakland-ca-pd", 293, allow, reads=1)])
    return log


def test_the_simulators_exports_read_back_as_the_records_it_describes(tmp_path):
    log = _simulated_log()
    portal = tmp_path / "portal.csv"
    network = tmp_path / "network.csv"
    search_audit_csv(log.rows(), path=portal)
    network_audit_csv(log.rows(), "oakland-ca-pd", path=network)
    from_portal = list(read_records(portal))
    from_network = list(read_records(network))
    expected = [record_from_simulated(row) for row in log.rows()]
    assert [r.reason for r in from_portal] == [r.reason for r in expected]
    assert [(r.case_number, r.offense_type, r.time) for r in from_portal] == \
        [(r.case_number, r.offense_type, r.time) for r in expected]
    assert [r.org for r in from_network] == [r.org for r in expected]
    assert from_network[1].org == "Federal Bureau of Investigation [Federal]"
    assert [(r.network_count, r.device_count, r.time_frame, r.plate) for r in from_network] == \
        [(r.network_count, r.device_count, r.time_frame, r.plate) for r in expected]


def test_real_eugene_portal_export_reads_completely():
    path = shared_file("eugene_or_pd_portal_search_audit_2025-06_2025-12.csv")
    info = ImportInfo(str(path))
    rows = [r for c in iter_chunks(path, info=info) for r in c.rows()]
    assert info.format == "portal" and info.skipped_lines == 0
    assert len(rows) == 4294 and len({r.id for r in rows}) == 4294  # README says 4,293; the file has 4,294
    assert all(r.time is not None and r.device_count is not None for r in rows)
