"""Audit exports in the layouts agencies publish (FACTS.md, "Audit exports").

- search audit (a transparency portal's list of an agency's OWN searches): ``id, userId,
  searchDate, networkCount, reason, caseNumber, offenseType``; users masked as ``***``.
- network audit (every search that touched an owner's cameras, as a public-records
  export): ``Name, Org Name, Total Networks Searched, Total Devices Searched, Time Frame,
  License Plate, Reason, Case #, Filters, Search Time, Search Type``; federal
  organizations carry " [Federal]" in Org Name.

Simulated times (seconds since the scenario start) become wall-clock text from
``start``. Search types are labelled as Flock's exports do (``SEARCH_TYPE_LABELS``). The
readers return the rows as column -> text, so a real export and ours read alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lookup.audit import AuditRow

SEARCH_AUDIT_COLUMNS = ("id", "userId", "searchDate", "networkCount", "reason", "caseNumber", "offenseType")
NETWORK_AUDIT_COLUMNS = ("Name", "Org Name", "Total Networks Searched", "Total Devices Searched", "Time Frame",
                         "License Plate", "Reason", "Case #", "Filters", "Search Time", "Search Type")
SEARCH_TYPE_LABELS = {"plate": "Lookup", "partial": "Search", "fingerprint": "Visual",
                      "area": "Multi-Geo", "window": "Search"}
FEDERAL_TAG = "[Federal]"
DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)


def wall_clock(time_s: float, start: datetime = DEFAULT_START) -> datetime:
    return start + timedelta(seconds=float(time_s))


def _stamp(time_s: float, start: datetime, millis: bool = True) -> str:
    text = wall_clock(time_s, start).strftime("%Y-%m-%d %H:%M:%S.%f")
    return text[:-3] if millis else text[:-7]


def org_label(row: AuditRow) -> str:
    return f"{row.org_name} {FEDERAL_TAG}" if row.org_kind == "federal" else row.org_name


def search_audit_records(rows: Iterable[AuditRow], org: str | None = None, start: datetime = DEFAULT_START,
                         mask_users: bool = True) -> list[dict[str, str]]:
    """Portal search-audit rows (all text), for ``org``'s own searches (or every row)."""
    out = []
    for row in rows:
        if org is not None and row.org != org:
            continue
        out.append({
            "id": row.request_id,
            "userId": "***" if mask_users else row.user,
            "searchDate": _stamp(row.time_s, start),
            "networkCount": str(row.networks_searched),
            "reason": row.reason,
            "caseNumber": row.case_number or "",
            "offenseType": row.offense_type or "",
        })
    return out


def network_audit_records(rows: Iterable[AuditRow], owner: str, start: datetime = DEFAULT_START,
                          include_unsearched: bool = False) -> list[dict[str, str]]:
    """Network-audit rows as ``owner`` sees them: searches that touched its cameras."""
    out = []
    for row in rows:
        entry = row.entry_for(owner)
        if entry is None or not (entry.searched or include_unsearched):
            continue
        if row.window_start_s is not None and row.window_end_s is not None:
            frame = f"{_stamp(row.window_start_s, start, False)} - {_stamp(row.window_end_s, start, False)}"
        else:
            frame = ""
        out.append({
            "Name": row.user,
            "Org Name": org_label(row),
            "Total Networks Searched": str(row.networks_searched),
            "Total Devices Searched": str(row.devices_searched),
            "Time Frame": frame,
            "License Plate": row.plate or "",
            "Reason": row.reason,
            "Case #": row.case_number or "",
            "Filters": row.filters,
            "Search Time": _stamp(row.time_s, start, False),
            "Search Type": SEARCH_TYPE_LABELS.get(row.search_type, row.search_type),
        })
    return out


def to_csv(records: list[dict[str, str]], columns: tuple[str, ...], path: Path | str | None = None) -> str:
    """Write records as CSV (every field quoted, like the portal); returns the text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    text = buffer.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def search_audit_csv(rows: Iterable[AuditRow], org: str | None = None, start: datetime = DEFAULT_START,
                     mask_users: bool = True, path: Path | str | None = None) -> str:
    return to_csv(search_audit_records(rows, org, start, mask_users), SEARCH_AUDIT_COLUMNS, path)


def network_audit_csv(rows: Iterable[AuditRow], owner: str, start: datetime = DEFAULT_START,
                      include_unsearched: bool = False, path: Path | str | None = None) -> str:
    return to_csv(network_audit_records(rows, owner, start, include_unsearched), NETWORK_AUDIT_COLUMNS, path)


def read_csv_records(text_or_path: str | Path) -> list[dict[str, str]]:
    """Read an audit CSV (ours or a real export) into column -> text records."""
    if isinstance(text_or_path, Path) or ("\n" not in text_or_path and Path(text_or_path).exists()):
        text = Path(text_or_path).read_text(encoding="utf-8-sig")
    else:
        text = text_or_path
    return [dict(record) for record in csv.DictReader(io.StringIO(text))]
