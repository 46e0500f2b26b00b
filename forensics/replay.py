"""Replay logged searches through sharing policies: which would a policy have refused?

A logged search keeps only its declared face (org, user, time, reason, case number, offense
type, search type, plate, window), so that is what is replayed: each record becomes a
``SearchRequest`` from a requester ``Organization`` (the owner itself for portal and
organization audits, else the org named in a network audit, its kind and state read from
its name) against the owner's network, and ``lookup.policy.decide`` judges it under each
pack's layers. Rate limits count the replayed searches in log order. No on-behalf-of is
declared: real logs do not record one (Civil Code 1798.90.52 asks for none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from forensics.auditlogs import AuditRecord, parse_time
from forensics.orgnames import classify_org
from lookup.policy import Context, Decision, PolicyPack, SlidingWindowCounter, decide
from lookup.requests import Organization, ReadQuery, SearchRequest

# Flock's search-type labels (FACTS.md) -> lookup.requests.SEARCH_TYPES
SEARCH_TYPE_FROM_LABEL = {
    "lookup": "plate", "mobile lookup": "plate", "api lookup": "plate", "plate": "plate",
    "search": "partial", "mobile search": "partial", "freeform": "partial", "partial": "partial",
    "visual": "fingerprint", "mobile visual": "fingerprint", "fingerprint": "fingerprint",
    "multi-geo": "area", "multi geo": "area", "area": "area", "convoy": "window", "window": "window",
}


@dataclass(frozen=True)
class ReplayResult:
    record: AuditRecord
    requester: Organization
    via: str
    decisions: tuple[Decision, ...]  # one per pack, in the order given
    window_assumed: bool  # the log did not say which window was searched


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unknown"


def requester_for(record: AuditRecord, owner: Organization) -> tuple[Organization, str]:
    """The requesting organization as its name shows it, and how it reached the owner."""
    name = record.org.replace("[Federal]", "").strip()
    if not name or slug_of(name) == owner.slug or name == owner.name:
        return owner, "own"
    org = classify_org(record.org)
    state = org.state if org.state and org.state != "US" else ("US" if org.kind == "federal" else owner.state)
    tags = frozenset({"task_force"}) if org.kind == "task_force" else frozenset()
    return Organization(slug_of(name), name, org.org_kind(owner.state), state, tags), "share"


def search_type_of(record: AuditRecord) -> str:
    label = SEARCH_TYPE_FROM_LABEL.get(record.search_type.strip().lower())
    if label:
        if label == "partial" and record.plate and not re.search(r"[*?]", record.plate):
            return "plate"
        return label
    if record.plate:
        return "partial" if re.search(r"[*?]", record.plate) else "plate"
    return "window"


def request_for(record: AuditRecord, default_window_s: int) -> tuple[SearchRequest, bool]:
    """The declared request of one logged search, and whether its window was assumed."""
    epoch = int(record.time.timestamp()) if isinstance(record.time, datetime) else 0
    start = end = None
    if " - " in record.time_frame:
        first, _, last = record.time_frame.partition(" - ")
        a, b = parse_time(first), parse_time(last)
        if isinstance(a, datetime) and isinstance(b, datetime):
            start, end = int(a.timestamp()), int(b.timestamp())
    assumed = start is None
    if assumed:
        start, end = epoch - default_window_s, epoch
    kind = search_type_of(record)
    plate = record.plate if record.plate and record.plate != "***" else None
    query = ReadQuery(plate=plate if kind == "plate" else None,
                      plate_pattern=plate if kind == "partial" else None, start_s=start, end_s=end)
    request = SearchRequest(
        request_id=record.id, org="", user=record.user, time_s=epoch, reason=record.reason,
        search_type=kind, query=query, offense_type=record.offense_type or None,
        case_number=record.case_number if record.case_number and record.case_number != "***" else None)
    return request, assumed


def replay(records: Iterable[AuditRecord], packs: Sequence[PolicyPack], owner: Organization,
           default_window_s: int = 7 * 86400) -> Iterator[ReplayResult]:
    """Decisions for every record under every pack, in log order (rates counted per pack)."""
    counters = [SlidingWindowCounter() for _ in packs]
    for record in records:
        requester, via = requester_for(record, owner)
        request, assumed = request_for(record, default_window_s)
        request = SearchRequest(**{**request.__dict__, "org": requester.slug})
        decisions = []
        for pack, counter in zip(packs, counters, strict=True):
            context = Context(now_s=request.time_s, rates=counter)
            decision = decide(request, requester, owner, pack.layers_for(None), context, via)
            if decision.allowed and decision.rate_keys:
                counter.record(decision.rate_keys, request.time_s)
            decisions.append(decision)
        yield ReplayResult(record, requester, via, tuple(decisions), assumed)
