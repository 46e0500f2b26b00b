"""Level 2, policy: the corpus's searches must get the chosen pack's decisions, and
malformed searches must fail closed (refused, never served)."""

from __future__ import annotations

import json

from scenarios.conformance.corpus import CASES, Case, reference
from scenarios.conformance.fixture import OWNER
from scenarios.conformance.kit import Check, Session, Skipped, decision_of, expect

WANTED = {"allow": "served", "deny": "denied", "rate_limited": "rate_limited"}


def _expected(session: Session, index: int):
    table = session.notes.get("reference")
    if table is None:
        table = session.notes["reference"] = reference(session.pack)
    return table[index]


def corpus_check(index: int, case: Case):
    def check(session: Session) -> str:
        expected = _expected(session, index)
        if expected.effect not in WANTED:
            raise Skipped(f"the pack answers {expected.effect} ({expected.rule}): the outcome is the owner's to decide")
        response = session.search(case.requester, case.reason, plate=session.plate(0),
                                   offense_type=case.offense_type, on_behalf_of=case.on_behalf_of,
                                   case_number=case.case_number, search_type=case.search_type,
                                   query={"plate_pattern": session.plate(0)[:4] + "*"}
                                   if case.search_type == "partial" else None)
        got = decision_of(response, OWNER)
        session.notes.setdefault("corpus", []).append((case, expected, got))
        want = WANTED[expected.effect]
        if got != want:
            side = ("the service is stricter than the pack" if want == "served" else
                    "the service serves what the pack denies")
            expect(False, f"{case.describe()}: {got}, but {session.pack_name} says {want} ({expected.rule}); {side}")
        return f"{got} ({expected.rule})"
    return check


MALFORMED = (
    ("reason is a list", {"user": "x", "reason": ["ICE"], "query": {"plate": "7KIT000"}}),
    ("reason is an object", {"user": "x", "reason": {"text": "stolen vehicle"}, "query": {"plate": "7KIT000"}}),
    ("an unknown search type", {"user": "x", "reason": "stolen vehicle", "search_type": "everything",
                                "query": {"plate": "7KIT000"}}),
    ("no user", {"reason": "stolen vehicle", "query": {"plate": "7KIT000"}}),
    ("query is a string", {"user": "x", "reason": "stolen vehicle", "query": "7KIT000"}),
    ("a plate with a wildcard in the exact field", {"user": "x", "reason": "x", "query": {"plate": "7KIT*"}}),
    ("on_behalf_of is a list", {"user": "x", "reason": "assist", "on_behalf_of": ["conf-fbi"],
                                "query": {"plate": "7KIT000"}}),
)


def malformed_check(label: str, body: dict | str):
    def check(session: Session) -> str:
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        r = session.call("POST", "/v1/searches", session.key("conf-ca-pd"), content=content,
                         headers={"Content-Type": "application/json"})
        expect(400 <= r.status_code < 500 and r.status_code != 429,
               f"a malformed search ({label}) answered {r.status_code}: it must be refused (4xx)")
        try:
            reads = r.json().get("reads", {}).get("id", [])
        except (ValueError, AttributeError):
            reads = []
        expect(not reads, f"a malformed search ({label}) returned reads")
        return f"{r.status_code}"
    return check


RAW = (("not JSON", "reason=ICE&user=x"), ("truncated JSON", '{"user": "x", "reason": "stolen'),
       ("JSON nested 10,000 deep", "[" * 10_000 + "]" * 10_000))


def _checks() -> tuple[Check, ...]:
    out = []
    for i, case in enumerate(CASES):
        out.append(Check(f"POL-{i + 1:02d}", 2, f"[{case.category}] {case.describe()}", corpus_check(i, case)))
    n = len(out)
    for j, (label, body) in enumerate((*MALFORMED, *RAW)):
        out.append(Check(f"POL-{n + j + 1:02d}", 2, f"[malformed] {label}: refused, never served",
                         malformed_check(label, body)))
    return tuple(out)


CHECKS = _checks()

__all__ = ["CHECKS", "MALFORMED", "RAW", "WANTED"]
