"""``alprsim conform``: a conformance kit any lookup service can run against itself.

Numbered tests in three levels (``checks_access``: AUTH/ACL; ``checks_policy``: POL;
``checks_audit``: AUD/DATA) run against a service at a URL; ``conform`` provisions the
fixture (with the admin key) or uses the tester's keys, runs the chosen levels and
writes junit.xml, results.json and verdict.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lookup.client import LookupClient
from scenarios.conformance import checks_access, checks_audit, checks_policy, report
from scenarios.conformance.fixture import OWNER, Keys, fixture_document, provision
from scenarios.conformance.kit import Check, Result, Session, run
from scenarios.policy_files import load_pack
from scenarios.service_run import pack_document

ALL_CHECKS: tuple[Check, ...] = (*checks_access.CHECKS, *checks_policy.CHECKS, *checks_audit.CHECKS)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # passed, failed, incomplete
    results: list[Result]
    files: list[Path]


def checks_for(levels: Sequence[int], only: Sequence[str] = ()) -> list[Check]:
    return [c for c in ALL_CHECKS if c.level in levels and (not only or c.id in only)]


def prepare(session: Session) -> None:
    """With the admin key: fresh reads of this run's plates in conf-owner's network, a
    minute to an hour before the server clock (so that searches have something to serve)."""
    if session.admin_key is None or session.keys.get(OWNER, "camera") is None:
        return
    clock = session.call("GET", "/v1/admin/clock", session.admin_key)
    if clock.status_code != 200:
        return
    now_s = int(clock.json()["now_s"])
    times = [max(0, now_s - 3600 + 60 * i) for i in range(5)]
    body = {"batch_id": f"conf-{session.tag}-base", "reads": {
        "time_s": times * 4, "camera": [0] * 20, "plate": [session.plate(n) for n in range(4) for _ in range(5)]}}
    session.call("POST", "/v1/reads/batches", session.keys.get(OWNER, "camera"), json=body)


def conform(url: str, out: Path, pack: str = "ca-sb34-sb54", levels: Sequence[int] = (1, 2, 3),
            admin_key: str | None = None, keys: Keys | None = None, db_path: str | None = None,
            only: Sequence[str] = (), on_start: Callable[[int], None] | None = None,
            on_result: Callable[[Result], None] | None = None, set_pack: bool = True) -> Verdict:
    """Run the chosen levels against the service at ``url``; write the three files to ``out``."""
    parsed = load_pack(pack)
    keys = keys or Keys()
    if admin_key is not None:
        with LookupClient(url, admin_key) as admin:
            keys = provision(admin, pack_document(pack) if set_pack else None)
    session = Session(url, keys, pack, parsed, admin_key, db_path)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    chosen = checks_for(levels, only)
    if on_start is not None:
        on_start(len(chosen))
    try:
        prepare(session)
        results = run(session, chosen, on_result)
    finally:
        session.close()
    meta = {"url": url, "pack": pack, "levels": sorted(set(levels)), "tag": session.tag, "started": started}
    files = report.write(out, results, meta, session.notes.get("leakage"))
    return Verdict(report.outcome(results), results, files)


__all__ = ["ALL_CHECKS", "Verdict", "checks_for", "conform", "fixture_document"]
