"""The append-only, hash-chained audit log of searches.

One ``AuditRow`` per search: the declared face (request id, organization, user, time,
reason, case number, offense type, on-behalf-of, search type, a query summary), every
network the search reached with its decision and deciding rule, the reads returned, and
``prev_hash``/``row_hash``. ``row_hash`` is sha256 over ``AUDIT_FORMAT``, a newline and
the row's canonical JSON: an object of every field but ``row_hash``, keys sorted, no
spaces, UTF-8 (``ensure_ascii=False``), ``networks`` as a list of arrays in
``NETWORK_FIELDS`` order, in the row's order. The first row's ``prev_hash`` is
``GENESIS``. So a service that keeps rows in SQLite (``to_record``/``from_record`` give a
flat dict with ``networks`` as a JSON text column) can recompute the chain with
``row_hash_of`` and ``verify`` alone.

``verify`` names the first broken row: an edited row (its hash no longer matches), a row
rewritten with a fresh hash (the next row's link breaks), an inserted or a deleted row
(a broken link, classified by ``seq``). Deleting the newest rows leaves a valid shorter
chain; pass the last known ``expected_head`` (or count) to catch truncation.

Exports in the layouts agencies publish are in ``lookup.audit_export``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

from lookup.policy_model import Decision
from lookup.requests import Organization, SearchRequest

AUDIT_FORMAT = "alprsim-audit-v1"
GENESIS = "0" * 64
NETWORK_FIELDS = ("owner", "devices", "effect", "rule", "searched", "reads")


@dataclass(frozen=True)
class NetworkEntry:
    """One network a search reached: its owner, size, decision and what happened."""

    owner: str  # owner organization slug
    devices: int  # cameras in the network when searched
    effect: str  # the decision's effect: allow, deny, require_approval, rate_limited
    rule: str  # deciding "policy/rule"
    searched: bool  # its cameras were searched (allowed, or approval granted)
    reads: int = 0  # reads returned from this network

    @classmethod
    def from_decision(cls, owner: str, devices: int, decision: Decision, searched: bool | None = None,
                      reads: int = 0) -> NetworkEntry:
        """``searched`` defaults to ``decision.allowed``; pass the approval draw's outcome."""
        return cls(owner, int(devices), decision.effect, decision.rule_ref,
                   decision.allowed if searched is None else bool(searched), int(reads))


@dataclass(frozen=True)
class AuditRow:
    seq: int  # position in the log, from 0
    request_id: str
    org: str  # requesting organization slug
    org_name: str
    org_kind: str
    user: str
    time_s: int  # seconds since scenario start
    reason: str
    case_number: str | None
    offense_type: str | None
    on_behalf_of: str | None
    search_type: str
    plate: str | None  # exact plate or partial pattern searched, if any
    filters: str  # other query terms, "key=value; ..."
    window_start_s: int | None
    window_end_s: int | None
    networks: tuple[NetworkEntry, ...]
    reads_returned: int
    prev_hash: str
    row_hash: str

    @property
    def networks_searched(self) -> int:
        return sum(1 for n in self.networks if n.searched)

    @property
    def devices_searched(self) -> int:
        return sum(n.devices for n in self.networks if n.searched)

    def entry_for(self, owner: str) -> NetworkEntry | None:
        for entry in self.networks:
            if entry.owner == owner:
                return entry
        return None

    def to_record(self) -> dict[str, Any]:
        """Flat columns for a database: ``networks`` becomes canonical JSON text."""
        record = {name: getattr(self, name) for name in ROW_FIELDS}
        record["networks"] = _dumps([_entry_list(n) for n in self.networks])
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> AuditRow:
        data = dict(record)
        networks = data["networks"]
        if isinstance(networks, str):
            networks = json.loads(networks)
        data["networks"] = tuple(n if isinstance(n, NetworkEntry) else
                                 NetworkEntry(**n) if isinstance(n, dict) else NetworkEntry(*n) for n in networks)
        return cls(**data)


ROW_FIELDS = tuple(f.name for f in fields(AuditRow))


def _entry_list(entry: NetworkEntry) -> list[Any]:
    return [entry.owner, entry.devices, entry.effect, entry.rule, entry.searched, entry.reads]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(row: AuditRow | dict[str, Any]) -> bytes:
    """The bytes ``row_hash`` covers: every field but row_hash, canonical JSON."""
    if isinstance(row, AuditRow):
        data = {name: getattr(row, name) for name in ROW_FIELDS if name != "row_hash"}
        data["networks"] = [_entry_list(n) for n in row.networks]
    else:
        data = {k: v for k, v in row.items() if k != "row_hash"}
        if isinstance(data.get("networks"), str):
            data["networks"] = json.loads(data["networks"])
    return _dumps(data).encode("utf-8")


def row_hash_of(row: AuditRow | dict[str, Any]) -> str:
    return hashlib.sha256(AUDIT_FORMAT.encode() + b"\n" + canonical_bytes(row)).hexdigest()


def query_summary(request: SearchRequest) -> tuple[str | None, str, int | None, int | None]:
    """(plate or pattern, filters text, window start, window end) of a request's query."""
    q = request.query
    plate = q.plate if q.plate is not None else q.plate_pattern
    parts = []
    if q.plate is not None and q.plate_pattern is not None:
        parts.append(f"pattern={q.plate_pattern}")
    for name in ("make", "colour", "body"):
        value = getattr(q, name)
        if value is not None:
            parts.append(f"{name}={value}")
    if q.cameras is not None:
        parts.append(f"cameras={len(q.cameras)}")
    return plate, "; ".join(parts), _int_or_none(q.start_s), _int_or_none(q.end_s)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def make_row(seq: int, prev_hash: str, request: SearchRequest, requester: Organization,
             networks: Iterable[NetworkEntry], reads_returned: int | None = None) -> AuditRow:
    """A chained row (pure). ``reads_returned`` defaults to the networks' reads summed."""
    entries = tuple(networks)
    if reads_returned is None:
        reads_returned = sum(n.reads for n in entries)
    plate, filters, start_s, end_s = query_summary(request)
    fields_ = dict(
        seq=int(seq), request_id=request.request_id, org=requester.slug, org_name=requester.name,
        org_kind=requester.kind, user=request.user, time_s=int(request.time_s), reason=request.reason,
        case_number=request.case_number, offense_type=request.offense_type,
        on_behalf_of=request.on_behalf_of, search_type=request.search_type, plate=plate, filters=filters,
        window_start_s=start_s, window_end_s=end_s, networks=entries, reads_returned=int(reads_returned),
        prev_hash=prev_hash, row_hash="")
    unhashed = AuditRow(**fields_)
    return AuditRow(**{**fields_, "row_hash": row_hash_of(unhashed)})


class AuditLog:
    """Append-only sequence of chained rows. There is no way to change or drop a row."""

    def __init__(self, rows: Iterable[AuditRow] = ()):
        self._rows: list[AuditRow] = list(rows)
        self._by_owner: dict[str, list[int]] | None = None

    def append(self, request: SearchRequest, requester: Organization, networks: Iterable[NetworkEntry],
               reads_returned: int | None = None) -> AuditRow:
        row = make_row(len(self._rows), self.head_hash, request, requester, networks, reads_returned)
        self._rows.append(row)
        if self._by_owner is not None:
            for entry in row.networks:
                self._by_owner.setdefault(entry.owner, []).append(row.seq)
        return row

    @property
    def head_hash(self) -> str:
        return self._rows[-1].row_hash if self._rows else GENESIS

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[AuditRow]:
        return iter(self._rows)

    def __getitem__(self, index: int) -> AuditRow:
        return self._rows[index]

    def rows(self) -> tuple[AuditRow, ...]:
        return tuple(self._rows)

    def for_org(self, org: str) -> list[AuditRow]:
        """The organization's own searches (what its search-audit portal lists)."""
        return [row for row in self._rows if row.org == org]

    def for_owner(self, owner: str, include_unsearched: bool = False) -> list[AuditRow]:
        """Rows that touched the owner's cameras (its network audit), in log order."""
        if self._by_owner is None:
            self._by_owner = {}
            for row in self._rows:
                for entry in row.networks:
                    self._by_owner.setdefault(entry.owner, []).append(row.seq)
        out = []
        for seq in self._by_owner.get(owner, ()):
            row = self._rows[seq]
            entry = row.entry_for(owner)
            if include_unsearched or entry.searched:
                out.append(row)
        return out

    def verify(self, expected_head: str | None = None) -> VerifyResult:
        return verify(self._rows, expected_head)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    position: int | None = None  # index (in the rows given) of the first broken row
    seq: int | None = None  # that row's own seq
    problem: str = ""  # "edited", "rewritten", "inserted", "deleted", "truncated", "malformed"
    message: str = ""


def verify(rows: Sequence[AuditRow], expected_head: str | None = None,
           expected_count: int | None = None) -> VerifyResult:
    """Check every link and hash; name the first broken row and what broke it."""
    prev = GENESIS
    for position, row in enumerate(rows):
        try:
            recomputed = row_hash_of(row)
        except (TypeError, ValueError) as error:
            return VerifyResult(False, position, position, getattr(row, "seq", None), "malformed",
                                f"row {position} cannot be serialised: {error}")
        if recomputed != row.row_hash:
            return VerifyResult(False, position, position, row.seq, "edited",
                                f"row {position} (seq {row.seq}, request {row.request_id}) was edited: "
                                "its contents no longer match its hash")
        if row.prev_hash != prev:
            if row.seq > position:
                problem, what = "deleted", f"{row.seq - position} row(s) before it were deleted"
            elif row.seq < position or (position > 0 and row.seq == rows[position - 1].seq):
                problem, what = "inserted", "a row was inserted before it"
            else:
                problem, what = "rewritten", "the row before it was rewritten with a fresh hash"
            return VerifyResult(False, position, position, row.seq, problem,
                                f"row {position} (seq {row.seq}, request {row.request_id}) does not link to "
                                f"the row before it: {what}")
        if row.seq != position:
            problem = "deleted" if row.seq > position else "inserted"
            return VerifyResult(False, position, position, row.seq, problem,
                                f"row {position} carries seq {row.seq}: rows were {problem} and re-linked")
        prev = row.row_hash
    if expected_count is not None and len(rows) < expected_count:
        return VerifyResult(False, len(rows), len(rows), None, "truncated",
                            f"{expected_count - len(rows)} row(s) missing at the end")
    if expected_head is not None and prev != expected_head:
        return VerifyResult(False, len(rows), len(rows), None, "truncated",
                            "the last row is not the expected head: rows were dropped or added at the end")
    return VerifyResult(True, len(rows))
