"""Importers for published ALPR audit logs: portal search audits, network and organization audits.

Layouts (FACTS.md, "Audit exports"):
- ``portal``: transparency-portal search audit CSV, ``id, userId, searchDate, networkCount,
  reason`` (+ ``caseNumber``, ``offenseType``; Eugene's export has ``cameraCount``);
- ``network``: every search that touched an agency's cameras: Name, Org Name, Total Networks
  Searched, Total Devices Searched, Time Frame, License Plate, Reason, Case #, Filters, Search
  Time, Search Type (2025: ID, Text Prompt, Moderation); federal orgs carry "[Federal]";
- ``org``: an agency's own users' searches: Name, Total Networks Searched, Time Frame, License
  Plate, Case #, Filters, Reason, Offense Type, Search Date/Time.

Tolerant of real mess (BOMs, cp1252 lines inside UTF-8 files, UTF-16 Excel text, gzip, title
rows above the header, blank columns, repeated header rows, Excel serial dates, time-zone
suffixes, masked cells), strict about what it cannot read: ``AuditFormatError`` names the
file, line and column. Reading is chunked (``iter_chunks``), so memory does not grow with
the file. Masked cells (``***``, ``REDACTED``) read as ``MASKED``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import zip_longest
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from forensics.auditfiles import AuditFormatError, ImportInfo, csv_table, xlsx_table

FORMATS = ("portal", "network", "org")
MASKED = "***"
NO_TIME = np.iinfo(np.int64).min  # epoch-ms sentinel for a missing time
NO_COUNT = -1
CHUNK_ROWS = 50_000
TEXT_FIELDS = ("id", "user", "org", "reason", "case_number", "offense_type", "search_type",
               "plate", "time_frame", "filters")

# normalised header (lower case, alphanumerics only, "#" read as "number") -> field
HEADER_ALIASES: dict[str, str] = {
    "id": "id", "searchid": "id", "auditid": "id", "uuid": "id",
    "userid": "user", "user": "user", "name": "user", "username": "user", "officer": "user",
    "searcher": "user", "useremail": "user", "email": "user",
    "orgname": "org", "organization": "org", "organizationname": "org", "org": "org",
    "agency": "org", "agencyname": "org", "organisation": "org",
    "searchdate": "time", "searchtime": "time", "searchdatetime": "time", "datetime": "time",
    "timestamp": "time", "date": "time", "time": "time", "createdat": "time",
    "searchedat": "time", "searchdatetimeutc": "time", "searchtimeutc": "time",
    "reason": "reason", "searchreason": "reason", "reasonforsearch": "reason",
    "purpose": "reason", "justification": "reason",
    "casenumber": "case_number", "case": "case_number", "caseno": "case_number",
    "casenum": "case_number", "casenumberid": "case_number", "incidentnumber": "case_number",
    "offensetype": "offense_type", "offense": "offense_type", "offencetype": "offense_type",
    "crimetype": "offense_type",
    "networkcount": "network_count", "totalnetworkssearched": "network_count",
    "networkssearched": "network_count", "networks": "network_count",
    "cameracount": "device_count", "totaldevicessearched": "device_count",
    "devicessearched": "device_count", "devicecount": "device_count",
    "camerassearched": "device_count", "totalcamerassearched": "device_count",
    "searchtype": "search_type", "type": "search_type",
    "licenseplate": "plate", "plate": "plate", "platenumber": "plate", "licenseplatenumber": "plate",
    "timeframe": "time_frame", "filters": "filters", "filter": "filters",
    "textprompt": "text_prompt", "moderation": "moderation",
}
_MASK_VALUES = frozenset({"***", "**", "*****", "redacted", "[redacted]", "(redacted)", "xxx",
                          "xxxx", "withheld", "<redacted>", "masked"})
_MASK_EXACT = frozenset(v for m in _MASK_VALUES for v in (m, m.upper(), m.title()))
_TZ_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
                     "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "AKST": -9, "AKDT": -8,
                     "HST": -10}
_US_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p",
               "%m/%d/%y %H:%M:%S", "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %H:%M", "%m/%d/%y %I:%M %p",
               "%m/%d/%Y", "%m/%d/%y", "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p",
               "%Y/%m/%d %H:%M:%S", "%d-%b-%Y %H:%M:%S")
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_TZ_SUFFIX = re.compile(r"^(.*?)\s*\(?\b(UTC|GMT|Z|[PMCE][SD]T|AK[SD]T|HST)\)?$")


@dataclass(frozen=True)
class AuditRecord:
    """One logged search, as any of the three layouts shows it. Absent text is "",
    masked text is MASKED, absent counts are None, ``time`` is UTC."""

    id: str
    user: str
    org: str
    time: datetime | None
    reason: str
    case_number: str = ""
    offense_type: str = ""
    network_count: int | None = None
    device_count: int | None = None
    search_type: str = ""
    plate: str = ""
    source: str = ""
    line: int = 0
    time_frame: str = ""  # network/org audits: "start - end" of the searched window
    filters: str = ""


@dataclass(frozen=True)
class AuditChunk:
    """Up to CHUNK_ROWS rows of one file, column by column (the fast path)."""

    source: str
    format: str
    line: np.ndarray  # int64: the line (CSV) or sheet row (XLSX) each row starts on
    time_ms: np.ndarray  # int64 epoch milliseconds UTC, NO_TIME when absent
    network_count: np.ndarray  # int64, NO_COUNT when absent
    device_count: np.ndarray
    text: dict[str, list[str]]  # TEXT_FIELDS -> values

    def __len__(self) -> int:
        return len(self.line)

    def rows(self) -> Iterator[AuditRecord]:
        t = self.text
        for i in range(len(self.line)):
            ms = int(self.time_ms[i])
            when = None if ms == NO_TIME else _EPOCH + timedelta(milliseconds=ms)
            n, d = int(self.network_count[i]), int(self.device_count[i])
            yield AuditRecord(
                t["id"][i], t["user"][i], t["org"][i], when, t["reason"][i], t["case_number"][i],
                t["offense_type"][i], None if n < 0 else n, None if d < 0 else d,
                t["search_type"][i], t["plate"][i], self.source, int(self.line[i]),
                t["time_frame"][i], t["filters"][i])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def normalise_header(name: object) -> str:
    text = str(name or "").replace("\ufeff", "").replace("#", "number").lower()
    return re.sub(r"[^a-z0-9]", "", text)


def detect_format(fields: Iterable[str], headers: Iterable[str] = ()) -> str | None:
    """The layout a set of mapped fields shows, or None."""
    fields = set(fields)
    raw = {normalise_header(h) for h in headers}
    if "reason" not in fields and "time" not in fields:
        return None
    if "org" in fields:
        return "network"
    if raw & {"userid", "searchdate", "networkcount", "cameracount"}:
        return "portal"
    if raw & {"name", "totalnetworkssearched", "searchdatetime", "licenseplate", "timeframe"}:
        return "org"
    return "portal"


def _map_header(cells: list[object]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = HEADER_ALIASES.get(normalise_header(cell))
        if name and name not in mapping:
            mapping[name] = index
    return mapping


def _is_header(cells: list[object]) -> bool:
    mapping = _map_header(cells)
    return len(mapping) >= 2 and ("reason" in mapping or "time" in mapping)


def iter_chunks(path: str | Path, format: str = "auto", chunk_rows: int = CHUNK_ROWS,
                tz: str = "UTC", info: ImportInfo | None = None) -> Iterator[AuditChunk]:
    """Read an audit file chunk by chunk. ``tz`` is the zone of times written without one."""
    path = Path(path)
    source = str(path)
    info = info if info is not None else ImportInfo(source)
    if format not in ("auto", *FORMATS):
        raise ValueError(f"format {format!r} is not one of auto, {', '.join(FORMATS)}")
    if not path.is_file():
        raise AuditFormatError(source, 0, "-", "is a directory, not a file" if path.is_dir() else "no such file")
    with open(path, "rb") as probe:
        is_xlsx = probe.read(4) == b"PK\x03\x04"
    table = xlsx_table(path, info, _is_header) if is_xlsx else csv_table(path, info, _is_header)
    zone = UTC if tz.upper() == "UTC" else ZoneInfo(tz)
    header, line = table.header, table.header_line
    mapping = _map_header(header)
    found = detect_format(mapping, header)
    chosen = found if format == "auto" else format
    if chosen is None:
        raise AuditFormatError(source, line, "-", "cannot tell the audit layout from the header")
    _check_required(source, line, chosen, mapping)
    info.format = chosen
    info.skipped_lines += table.skipped
    info.columns = {f: str(header[i]) for f, i in mapping.items()}
    info.ignored_columns = [str(c) for i, c in enumerate(header) if i not in set(mapping.values()) and str(c or "").strip()]
    width = len(header)
    for lines, rows in table.batches(chunk_rows):
        if table.text:  # blank rows and headers repeated by stitched exports
            keep = [bool(r) and r != header and bool("".join(r).strip()) for r in rows]
        else:
            keep = [r != header and any(c is not None and str(c).strip() for c in r) for r in rows]
        if not all(keep):
            info.skipped_lines += len(keep) - sum(keep)
            lines = lines[np.array(keep, dtype=bool)]
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
            if not rows:
                continue
        if max(map(len, rows)) > width:
            for r, n in zip(rows, lines.tolist(), strict=True):
                if len(r) > width and any(str(c or "").strip() for c in r[width:]):
                    raise AuditFormatError(source, n, f"#{width + 1}", f"row has {len(r)} cells but the header has {width}")
        info.rows += len(rows)
        yield _build_chunk(source, chosen, mapping, header, lines, rows, zone, table.text)


def _check_required(source: str, line: int, layout: str, mapping: dict[str, int]) -> None:
    required = {"portal": ("reason",), "network": ("reason", "org"), "org": ("reason",)}[layout]
    for name in required:
        if name not in mapping:
            raise AuditFormatError(source, line, name, f"the {layout} layout needs this column; header maps {sorted(mapping)}")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores case numbers as floats
    text = str(value).strip()
    return MASKED if text.lower() in _MASK_VALUES else text


def _text_column(values: Sequence[object], text: bool) -> list[str]:
    if not text:
        return [_cell_text(v) for v in values]
    out = [v.strip() for v in values]
    if not _MASK_EXACT.isdisjoint(out):
        out = [MASKED if v in _MASK_EXACT else v for v in out]
    return out


def _build_chunk(source: str, layout: str, mapping: dict[str, int], header: list[object], lines: np.ndarray,
                 rows: list[list[object]], zone, text: bool) -> AuditChunk:
    n = len(rows)
    columns = list(zip_longest(*rows, fillvalue="" if text else None))  # transpose (ragged rows padded)
    empty = ("",) * n

    def column(name: str) -> Sequence[object]:
        index = mapping.get(name)
        return empty if index is None or index >= len(columns) else columns[index]

    texts = {name: _text_column(column(name), text) if name in mapping else [""] * n for name in TEXT_FIELDS}
    # the search's own ID, or its line where the input has none
    ids = texts["id"]
    if "" in ids or MASKED in ids:
        texts["id"] = [v if v and v != MASKED else str(k) for v, k in zip(ids, lines.tolist(), strict=True)]
    time_header = str(header[mapping["time"]]) if "time" in mapping else "time"
    times = parse_times(list(column("time")), lines, source, time_header, zone)
    counts = {name: _parse_counts(column(name), lines, source, str(header[mapping[name]]))
              if name in mapping else np.full(n, NO_COUNT, dtype=np.int64) for name in ("network_count", "device_count")}
    return AuditChunk(source, layout, lines, times, counts["network_count"], counts["device_count"], texts)


def _parse_counts(values: Sequence[object], lines: np.ndarray, source: str, column: str) -> np.ndarray:
    if values and all(isinstance(v, str) for v in values[:1]):
        try:  # fast path: plain digits or blanks
            strings = np.asarray(values, dtype=str)
            blank = np.char.str_len(np.char.strip(strings)) == 0
            strings[blank] = "-1"
            counts = strings.astype(np.int64)
            if not (counts[~blank] < 0).any():  # a negative count takes the slow path, which names it
                return counts
        except (ValueError, TypeError, OverflowError):
            pass
    out = np.full(len(values), NO_COUNT, dtype=np.int64)
    for i, value in enumerate(values):
        if value is None:
            continue
        text = str(value).strip().replace(",", "")  # XLSX numbers too: NaN, inf and negatives are named below
        if not text or text.lower() in _MASK_VALUES or text.lower() in ("n/a", "na", "-"):
            continue
        try:
            out[i] = count = int(float(text))
        except (ValueError, OverflowError):  # NaN, inf, beyond int64
            raise AuditFormatError(source, int(lines[i]), column, f"{value!r} is not a count") from None
        if count < 0:
            raise AuditFormatError(source, int(lines[i]), column, f"{value!r} is not a count (negative)")
    return out


def parse_times(values: list[object], lines: np.ndarray, source: str, column: str, zone=UTC) -> np.ndarray:
    """Epoch milliseconds UTC for a column of times; naive times are read in ``zone``."""
    if zone is UTC and values and all(isinstance(v, str) for v in values):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns on zone suffixes: take the slow path
            try:
                stamped = np.array([v.strip() for v in values], dtype="datetime64[ms]")
                return stamped.astype(np.int64)  # NaT is int64 min == NO_TIME
            except (ValueError, UserWarning, DeprecationWarning):
                pass
    out = np.full(len(values), NO_TIME, dtype=np.int64)
    for i, value in enumerate(values):
        when = parse_time(value, zone)
        if when is False:
            raise AuditFormatError(source, int(lines[i]), column, f"{value!r} is not a date and time we can read")
        if when is not None:
            out[i] = round((when - _EPOCH).total_seconds() * 1000)
    return out


def parse_time(value: object, zone=UTC) -> datetime | None | bool:
    """One time: an aware UTC datetime, None when absent or masked, False when unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, int | float):
        return _excel_serial(float(value))
    text = str(value).strip()
    if not text or text.lower() in _MASK_VALUES:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _excel_serial(float(text))
    offset = None
    m = _TZ_SUFFIX.match(text)
    if m and not re.search(r"[+-]\d\d:?\d\d$", text):
        text, offset = m.group(1), _TZ_ABBREVIATIONS[m.group(2)]
    when = None
    try:
        when = datetime.fromisoformat(text.replace(" UTC", ""))
    except ValueError:
        for fmt in _US_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if when is None:
        return False
    if offset is not None:
        when = when.replace(tzinfo=timezone(timedelta(hours=offset)))
    elif when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(UTC)


def _excel_serial(days: float) -> datetime | bool:
    if not 1 <= days < 2_958_466:  # Excel's range: 1900-01-01 .. 9999-12-31
        return False
    return _EXCEL_EPOCH + timedelta(days=days)


def read_records(path: str | Path, format: str = "auto", tz: str = "UTC") -> Iterator[AuditRecord]:
    """Every row of one file as ``AuditRecord`` (convenient; ``iter_chunks`` is faster)."""
    for chunk in iter_chunks(path, format, tz=tz):
        yield from chunk.rows()


def record_from_simulated(row, start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
                          source: str = "<simulated>") -> AuditRecord:
    """A simulator ``lookup.audit.AuditRow`` as the record its exports read back as
    (federal org names carry "[Federal]", as the exports write them)."""
    searched = [n for n in row.networks if n.searched]
    frame = ""
    if row.window_start_s is not None and row.window_end_s is not None:
        frame = " - ".join((start + timedelta(seconds=int(t))).strftime("%Y-%m-%d %H:%M:%S")
                           for t in (row.window_start_s, row.window_end_s))
    org = f"{row.org_name} [Federal]" if row.org_kind == "federal" else row.org_name
    return AuditRecord(
        id=row.request_id, user=row.user, org=org, time=start + timedelta(seconds=int(row.time_s)),
        reason=row.reason or "", case_number=row.case_number or "", offense_type=row.offense_type or "",
        network_count=len(searched), device_count=sum(n.devices for n in searched),
        search_type=row.search_type, plate=row.plate or "", source=source, line=row.seq + 1,
        time_frame=frame, filters=row.filters)


@dataclass(frozen=True)
class PortalStats:
    """A transparency portal's headline figures (one agency, one snapshot); None when absent."""

    slug: str
    name: str
    state: str
    snapshot: str
    camera_count: int | None
    retention_days: int | None
    vehicles_detected_30d: int | None
    hotlist_hits_30d: int | None
    searches_30d: int | None
    sharing_outbound: int | None
    sharing_inbound: int | None


_STATS_COLUMNS = {
    "agencyslug": "slug", "slug": "slug", "agencyname": "name", "name": "name", "agencystate": "state",
    "state": "state", "snapshot": "snapshot", "cameracount": "camera_count", "cameras": "camera_count",
    "dataretentiondays": "retention_days", "retentiondays": "retention_days",
    "vehiclesdetected30d": "vehicles_detected_30d", "vehiclesdetected": "vehicles_detected_30d",
    "hotlisthits30d": "hotlist_hits_30d", "hotlisthits": "hotlist_hits_30d", "searches30d": "searches_30d",
    "searches": "searches_30d", "nsharingoutbound": "sharing_outbound", "nsharinginbound": "sharing_inbound",
}


def read_portal_stats(path: str | Path) -> list[PortalStats]:
    """Portal statistics (``ca_flock_portal_agency_stats.csv`` and its column variants)."""
    import csv

    from forensics.auditfiles import csv_problem, open_text_lines

    source = str(path)
    reader = csv.reader(open_text_lines(path), strict=True)
    try:
        return _read_portal_stats(source, reader)
    except csv.Error as exc:
        raise AuditFormatError(source, reader.line_num, "-", csv_problem(exc)) from None


def _read_portal_stats(source: str, reader) -> list[PortalStats]:
    header = next(reader, None)
    if header is None:
        raise AuditFormatError(source, 1, "-", "empty file")
    mapping = {_STATS_COLUMNS[h]: i for i, h in enumerate(map(normalise_header, header)) if h in _STATS_COLUMNS}
    for needed in ("slug", "state"):
        if needed not in mapping:
            raise AuditFormatError(source, 1, needed, f"portal statistics need this column; found {header}")
    out = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, object] = {}
        for name in PortalStats.__dataclass_fields__:
            i = mapping.get(name)
            text = cells[i].strip().replace(",", "") if i is not None and i < len(cells) else ""
            if name in ("slug", "name", "state", "snapshot"):
                values[name] = text
            elif not text or text.lower() in _MASK_VALUES:
                values[name] = None
            else:
                try:
                    values[name] = number = int(float(text))
                except (ValueError, OverflowError):  # NaN, inf
                    raise AuditFormatError(source, reader.line_num, header[i], f"{text!r} is not a number") from None
                if number < 0:
                    raise AuditFormatError(source, reader.line_num, header[i], f"{text!r} is negative")
        out.append(PortalStats(**values))
    return out
