"""The hash-chained audit log: tamper detection, persistence, and the published layouts."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.audit import GENESIS, AuditLog, AuditRow, NetworkEntry, make_row, row_hash_of, verify
from lookup.audit_export import (
    NETWORK_AUDIT_COLUMNS,
    SEARCH_AUDIT_COLUMNS,
    network_audit_csv,
    network_audit_records,
    read_csv_records,
    search_audit_csv,
    search_audit_records,
)
from lookup.policy import Decision
from lookup.requests import Organization, ReadQuery, SearchRequest

CHP = Organization("chp", "California Highway Patrol", "state", "CA")
SFPD = Organization("sf-ca-pd", "San Francisco Police Department", "local", "CA")
FBI = Organization("fbi", "Federal Bureau of Investigation", "federal", "US")
ORGS = [CHP, SFPD, FBI]
REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "alpr_data"


def search(i: int, org: Organization = CHP, reason: str = "ICE case", **kw) -> SearchRequest:
    query = ReadQuery(plate=f"7ABC{i:03d}", start_s=i * 3600, end_s=i * 3600 + 7 * 86400)
    return SearchRequest(request_id=f"req-{i}", org=org.slug, user=f"user-{i % 3}", time_s=i * 3600 + 86400 * 8,
                         reason=reason, search_type="plate", query=query, **kw)


def entries(i: int) -> list[NetworkEntry]:
    allow = Decision("allow", "open", "default")
    deny = Decision("deny", "ca-sb34", "sb34-federal")
    return [NetworkEntry.from_decision("oakland-ca-pd", 293, allow, reads=i % 4),
            NetworkEntry.from_decision("sf-ca-pd", 507, deny if i % 2 else allow, reads=0),
            NetworkEntry("ncric", 24, "require_approval", "strict/outside-approval", searched=i % 3 == 0, reads=1)]


def build_log(n: int) -> AuditLog:
    log = AuditLog()
    for i in range(n):
        log.append(search(i, ORGS[i % 3], case_number=f"26-{i:05d}" if i % 2 else None,
                          on_behalf_of="fbi" if i % 5 == 0 else None), ORGS[i % 3], entries(i))
    return log


def test_appended_rows_chain_and_verify():
    log = build_log(5)
    rows = log.rows()
    assert rows[0].prev_hash == GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].row_hash for i in range(1, 5))
    assert [r.seq for r in rows] == [0, 1, 2, 3, 4]
    assert log.verify().ok and log.verify(expected_head=log.head_hash).ok
    assert (rows[0].networks_searched, rows[0].devices_searched, rows[0].reads_returned) == (3, 293 + 507 + 24, 1)
    assert (rows[3].networks_searched, rows[3].devices_searched, rows[3].reads_returned) == (2, 293 + 24, 3 + 1)


def test_row_carries_the_declared_face_and_per_network_decisions():
    log = AuditLog()
    req = search(1, SFPD, reason="AOD", case_number="25-0042", offense_type="Robbery", on_behalf_of="fbi")
    row = log.append(req, SFPD, entries(1))
    assert (row.request_id, row.org, row.org_name, row.user, row.reason, row.case_number, row.offense_type,
            row.on_behalf_of, row.search_type, row.plate) == (
        "req-1", "sf-ca-pd", "San Francisco Police Department", "user-1", "AOD", "25-0042", "Robbery", "fbi",
        "plate", "7ABC001")
    assert row.entry_for("sf-ca-pd").rule == "ca-sb34/sb34-federal"
    assert row.entry_for("sf-ca-pd").searched is False
    assert row.networks_searched == 1


def test_an_edited_row_is_named():
    rows = list(build_log(6).rows())
    rows[3] = dataclasses.replace(rows[3], reason="investigation")
    result = verify(rows)
    assert (result.ok, result.position, result.problem) == (False, 3, "edited")
    assert "row 3" in result.message and "req-3" in result.message


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link():
    rows = list(build_log(6).rows())
    forged = dataclasses.replace(rows[2], reason="investigation")
    rows[2] = dataclasses.replace(forged, row_hash=row_hash_of(forged))
    result = verify(rows)
    assert (result.ok, result.position, result.problem) == (False, 3, "rewritten")


def test_a_deleted_row_is_named():
    rows = list(build_log(6).rows())
    del rows[2]
    result = verify(rows)
    assert (result.ok, result.position, result.seq, result.problem) == (False, 2, 3, "deleted")


def test_an_inserted_row_is_named():
    rows = list(build_log(6).rows())
    forged = make_row(3, rows[2].row_hash, search(99, FBI, reason="ICE WARRANT"), FBI, entries(99))
    rows.insert(3, forged)
    result = verify(rows)
    assert (result.ok, result.position, result.problem) == (False, 4, "inserted")


def test_truncation_needs_the_expected_head():
    log = build_log(6)
    rows = list(log.rows())[:4]
    assert verify(rows).ok
    result = verify(rows, expected_head=log.head_hash)
    assert (result.ok, result.problem) == (False, "truncated")
    assert verify(rows, expected_count=6).problem == "truncated"


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 12), st.data())
def test_any_single_tampering_is_detected_at_the_right_row(n, data):
    rows = list(build_log(n).rows())
    op = data.draw(st.sampled_from(["edit", "delete", "insert", "swap"]))
    at = data.draw(st.integers(0, n - 2))
    if op == "edit":
        field = data.draw(st.sampled_from(["reason", "user", "org", "case_number", "reads_returned", "networks"]))
        value = {"reads_returned": 10**6, "networks": ()}.get(field, "tampered")
        rows[at] = dataclasses.replace(rows[at], **{field: value})
        expected = at
    elif op == "delete":
        del rows[at]
        expected = at
    elif op == "insert":
        prev = rows[at - 1].row_hash if at else GENESIS
        rows.insert(at, make_row(at, prev, search(500, FBI), FBI, entries(500)))
        expected = at + 1
    else:
        rows[at], rows[at + 1] = rows[at + 1], rows[at]
        expected = at
    result = verify(rows)
    assert not result.ok
    assert result.position == expected


def test_rows_survive_a_real_sqlite_round_trip_and_the_chain_recomputes(tmp_path):
    log = build_log(8)
    db = sqlite3.connect(tmp_path / "audit.sqlite")
    columns = list(log[0].to_record())
    db.execute(f"CREATE TABLE audit ({', '.join(columns)})")
    db.executemany(f"INSERT INTO audit VALUES ({', '.join('?' * len(columns))})",
                   [tuple(row.to_record().values()) for row in log])
    db.commit()
    cursor = db.execute(f"SELECT {', '.join(columns)} FROM audit ORDER BY seq")
    records = [dict(zip(columns, values, strict=True)) for values in cursor]
    db.close()
    assert all(row_hash_of(record) == record["row_hash"] for record in records)  # straight from the columns
    loaded = [AuditRow.from_record(record) for record in records]
    assert tuple(loaded) == log.rows()
    assert verify(loaded).ok
    assert json.loads(records[0]["networks"])[0][:2] == ["oakland-ca-pd", 293]  # NETWORK_FIELDS order


def test_for_owner_lists_rows_that_touched_its_cameras():
    log = build_log(6)
    assert [r.seq for r in log.for_owner("sf-ca-pd")] == [0, 2, 4]  # odd rows were denied there
    assert len(log.for_owner("sf-ca-pd", include_unsearched=True)) == 6
    assert [r.seq for r in log.for_owner("ncric")] == [0, 3]
    assert log.for_owner("nobody") == []
    log.append(search(6, CHP), CHP, entries(6))
    assert [r.seq for r in log.for_owner("sf-ca-pd")] == [0, 2, 4, 6]


def test_search_audit_export_round_trips_its_columns():
    log = build_log(4)
    text = search_audit_csv(log, org="chp")
    records = read_csv_records(text)
    assert tuple(records[0]) == SEARCH_AUDIT_COLUMNS
    assert records == search_audit_records(log, org="chp")
    assert [r["id"] for r in records] == ["req-0", "req-3"]
    assert {r["userId"] for r in records} == {"***"}
    assert records[1]["caseNumber"] == "26-00003" and records[0]["caseNumber"] == ""
    assert records[0]["searchDate"] == "2025-01-09 00:00:00.000"
    assert records[0]["networkCount"] == "3"
    assert read_csv_records(search_audit_csv(log, mask_users=False))[1]["userId"] == "user-1"


def test_network_audit_export_tags_federal_orgs_and_round_trips(tmp_path):
    log = build_log(6)
    path = tmp_path / "sf-network-audit.csv"
    network_audit_csv(log, owner="sf-ca-pd", path=path)
    records = read_csv_records(path)
    assert tuple(records[0]) == NETWORK_AUDIT_COLUMNS
    assert records == network_audit_records(log, owner="sf-ca-pd")
    assert [r["Org Name"] for r in records] == ["California Highway Patrol",
                                                "Federal Bureau of Investigation [Federal]",
                                                "San Francisco Police Department"]
    first = records[0]
    assert first["Total Networks Searched"] == "3" and first["Total Devices Searched"] == str(293 + 507 + 24)
    assert first["Time Frame"] == "2025-01-01 00:00:00 - 2025-01-08 00:00:00"
    assert (first["License Plate"], first["Search Type"], first["Reason"]) == ("7ABC000", "Lookup", "ICE case")


@pytest.mark.skipif(not (REAL_DATA / "eugene_or_pd_portal_search_audit_2025-06_2025-12.csv").exists(),
                    reason="../shared/alpr_data is not present")
def test_a_real_portal_search_audit_reads_like_ours():
    records = read_csv_records(REAL_DATA / "eugene_or_pd_portal_search_audit_2025-06_2025-12.csv")
    assert len(records) > 4000  # README says 4,293; the file holds 4,294 data rows
    assert {"id", "userId", "searchDate", "reason"} <= set(records[0]) <= set(SEARCH_AUDIT_COLUMNS) | {"cameraCount"}
    assert len(records[0]["searchDate"]) == len(search_audit_records(build_log(1))[0]["searchDate"])
