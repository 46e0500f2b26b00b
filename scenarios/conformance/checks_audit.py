"""Level 3, audit and data: every search logged with SB 34's fields, at the server's time;
the chain verifies and tampering is caught; retention purges what it must and nothing
else; a scripted scenario's leakage verdict."""

from __future__ import annotations

import sqlite3

from lookup.audit import AuditRow, verify
from scenarios.conformance.corpus import Case, reference
from scenarios.conformance.fixture import AUDITOR, OWNER
from scenarios.conformance.kit import Check, Failed, Session, Skipped, decision_of, expect

DAY_S = 86_400
# SB 34 (Civil Code 1798.90.52(b)): the date and time, the data queried, the user, and the
# purpose; the organization, for a shared system
SB34_FIELDS = ("time_s", "plate", "user", "org", "reason")
STATED_TIME_S = 2_000_000_000  # the measured attack: a stated time far in the future (63 years; within the 32-bit read time the service keeps)


def _auditor(session: Session) -> str:
    return session.key(AUDITOR, "auditor")


def _rows(session: Session, org: str | None = None) -> list[dict]:
    rows, after = [], -1
    while True:
        params = {"after": after, "limit": 1000, **({} if org is None else {"org": org})}
        r = session.call("GET", "/v1/audit/searches", _auditor(session), params=params)
        expect(r.status_code == 200, f"the auditor's export answered {r.status_code}")
        page = r.json()
        rows += page["rows"]
        if page.get("next_after") is None:
            return rows
        after = page["next_after"]


def audit_every_search(session: Session) -> str:
    made = []
    for org, reason in (("conf-ca-pd", "stolen vehicle"), ("conf-ca-pd", "ICE case"), ("conf-fbi", "fugitive")):
        r = session.search(org, reason, plate=session.plate(1))
        made.append((org, session.notes["last_request_id"], reason, decision_of(r, OWNER)))
    missing, incomplete = [], []
    for org, request_id, reason, _ in made:
        found = [row for row in _rows(session, org) if row.get("request_id") == request_id]
        if not found:
            missing.append(f"{org} {request_id} ({reason})")
            continue
        row = found[0]
        absent = [f for f in SB34_FIELDS if row.get(f) in (None, "")]
        if absent or row.get("plate") != session.plate(1) or row.get("reason") != reason:
            incomplete.append(f"{request_id}: missing {absent}, plate {row.get('plate')!r}, reason {row.get('reason')!r}")
    expect(not missing, "searches absent from the audit: " + "; ".join(missing))
    expect(not incomplete, "audit rows without SB 34's fields: " + "; ".join(incomplete))
    return "allowed and denied searches logged with time, plate, user, organization and purpose"


def audit_verify(session: Session) -> str:
    r = session.call("GET", "/v1/audit/verify", _auditor(session))
    if r.status_code in (404, 405):
        raise Skipped("the service offers no chain verification (GET /v1/audit/verify)")
    expect(r.status_code == 200 and r.json().get("ok") is True, f"verification answered {r.status_code}: {r.text[:200]}")
    return f"{r.json().get('rows_checked')} rows verified"


def audit_export_chain(session: Session) -> str:
    rows = _rows(session)
    try:
        parsed = [AuditRow.from_record({k: v for k, v in row.items()
                                        if k not in ("networks_searched", "devices_searched")}) for row in rows]
    except (TypeError, ValueError, KeyError) as error:
        raise Failed(f"exported rows lack the documented fields: {error}") from None
    result = verify(parsed)
    expect(result.ok, f"the exported chain does not recompute: {result.problem}: {result.message}")
    return f"{len(rows)} exported rows recompute and link (docs/api.md's hash)"


def _tamper(session: Session, change, expected: set[str]) -> str:
    if session.db_path is None:
        raise Skipped("tampering needs write access to the service's storage (--db PATH, our service's SQLite file)")
    session.search("conf-ca-pd", "stolen vehicle", plate=session.plate(2))
    session.search("conf-ca-pd", "homicide", plate=session.plate(2))
    with sqlite3.connect(session.db_path, timeout=30) as raw:
        undo = change(raw)
    try:
        r = session.call("GET", "/v1/audit/verify", _auditor(session)).json()
    finally:
        with sqlite3.connect(session.db_path, timeout=30) as raw:
            undo(raw)
    expect(r.get("ok") is False and r.get("problem") in expected,
           f"verification after tampering answered ok={r.get('ok')} problem={r.get('problem')!r}")
    after = session.call("GET", "/v1/audit/verify", _auditor(session)).json()
    expect(after.get("ok") is True, "the chain did not verify again once the tampering was undone")
    return f"detected: {r.get('problem')} ({r.get('message')})"


def tamper_edit(session: Session) -> str:
    def change(raw):
        pos, reason = raw.execute("SELECT pos, reason FROM audit ORDER BY pos DESC LIMIT 1 OFFSET 1").fetchone()
        raw.execute("UPDATE audit SET reason = ? WHERE pos = ?", ("traffic stop", pos))
        return lambda r: r.execute("UPDATE audit SET reason = ? WHERE pos = ?", (reason, pos))
    return _tamper(session, change, {"edited"})


def tamper_delete(session: Session) -> str:
    def change(raw):
        raw.row_factory = sqlite3.Row
        row = dict(raw.execute("SELECT * FROM audit ORDER BY pos DESC LIMIT 1 OFFSET 1").fetchone())
        raw.execute("DELETE FROM audit WHERE pos = ?", (row["pos"],))
        columns = ", ".join(row)
        return lambda r: r.execute(f"INSERT INTO audit ({columns}) VALUES ({', '.join('?' * len(row))})",
                                   tuple(row.values()))
    return _tamper(session, change, {"deleted"})


def tamper_insert(session: Session) -> str:
    def change(raw):
        raw.row_factory = sqlite3.Row
        row = dict(raw.execute("SELECT * FROM audit ORDER BY pos DESC LIMIT 1 OFFSET 1").fetchone())
        top = raw.execute("SELECT max(pos) FROM audit").fetchone()[0] + 1
        row["pos"] = top
        raw.execute(f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        return lambda r: r.execute("DELETE FROM audit WHERE pos = ?", (top,))
    return _tamper(session, change, {"inserted", "truncated"})


def _clock(session: Session) -> int:
    r = session.call("GET", "/v1/admin/clock", session.admin())
    if r.status_code != 200:
        raise Skipped(f"needs the server clock (GET /v1/admin/clock answered {r.status_code})")
    now_s = int(r.json()["now_s"])
    if now_s < 40 * DAY_S:
        if r.json().get("mode") != "simulated":
            raise Skipped("the server clock is under 40 days: reads 31 days old cannot be stamped")
        now_s = int(session.call("PUT", "/v1/admin/clock", session.admin(), json={"now_s": 40 * DAY_S}).json()["now_s"])
    return now_s


def _ingest(session: Session, plate: str, times: list[int]) -> None:
    body = {"batch_id": f"conf-{session.tag}-{plate}", "reads": {"time_s": times, "camera": [0] * len(times),
                                                                  "plate": [plate] * len(times)}}
    r = session.call("POST", "/v1/reads/batches", session.key(OWNER, "camera"), json=body)
    expect(r.status_code in (200, 201), f"ingest answered {r.status_code}: {r.text[:200]}")


def _found(session: Session, plate: str) -> int:
    r = session.search(OWNER, "homicide", plate=plate)
    expect(r.status_code in (200, 403), f"a search answered {r.status_code}")
    return int(r.json().get("reads_returned", 0))


def data_retention(session: Session) -> str:
    now_s = _clock(session)
    old, young = session.plate(20), session.plate(21)
    _ingest(session, old, [now_s - 31 * DAY_S, now_s - 31 * DAY_S + 60])
    _ingest(session, young, [now_s - DAY_S, now_s - DAY_S + 60])
    seen = (_found(session, old), _found(session, young))
    expect(seen == (0, 2), f"before the purge: {seen[0]} reads 31 days old and {seen[1]} of 2 a day old returned "
                           f"(retention {30} days)")
    r = session.call("POST", "/v1/admin/purge", session.admin(), json={})
    expect(r.status_code == 200 and r.json().get("deleted", 0) >= 2, f"the purge answered {r.status_code}: {r.text[:100]}")
    seen = (_found(session, old), _found(session, young))
    expect(seen == (0, 2), f"after the purge: {seen[0]} old and {seen[1]} of 2 young reads returned")
    return "reads past 30 days purged, younger ones kept"


def data_future_reads(session: Session) -> str:
    now_s = _clock(session)
    ahead = session.plate(22)
    _ingest(session, ahead, [now_s + 3600])
    expect(_found(session, ahead) == 0, "a read stamped after the search time was returned")
    return "reads stamped after the search time are not returned"


# A scripted scenario: planned federal and out-of-state requests, by channel.
PLANNED = (
    ("federal", "direct", Case("requester", "conf-fbi", "fugitive")),
    ("federal", "direct", Case("requester", "conf-ice", "stolen vehicle")),
    ("out_of_state", "direct", Case("requester", "conf-tx-pd", "homicide")),
    ("federal", "proxy, declared beneficiary", Case("beneficiary", "conf-ca-pd", "assist", on_behalf_of="conf-fbi")),
    ("federal", "proxy, honest purpose", Case("honest", "conf-ca-pd", "ICE case")),
    ("federal", "proxy, spelled purpose", Case("spelling", "conf-ca-pd", "I.C.E.")),
    ("federal", "proxy, purpose in offense type", Case("hidden", "conf-ca-pd", "investigation",
                                                       offense_type="Immigration - HSI")),
    ("federal", "proxy, vague purpose", Case("innocent", "conf-ca-pd", "investigation")),
    ("out_of_state", "proxy, disguised purpose", Case("innocent", "conf-ca-so", "211PC")),
)


def leakage_verdict(session: Session) -> str:
    expected = reference(session.pack, [case for *_, case in PLANNED])
    table, wrong = [], []
    for (beneficiary, channel, case), ref in zip(PLANNED, expected, strict=True):
        r = session.search(case.requester, case.reason, plate=session.plate(3), offense_type=case.offense_type,
                           on_behalf_of=case.on_behalf_of)
        got = decision_of(r, OWNER)
        want = {"allow": "served", "deny": "denied"}.get(ref.effect, ref.effect)
        table.append({"beneficiary": beneficiary, "channel": channel, "request": case.describe(), "got": got,
                      "pack": want, "rule": ref.rule})
        if got != want:
            wrong.append(f"{channel} ({case.describe()}): {got}, the pack says {want}")
    session.notes["leakage"] = table
    served = [t for t in table if t["got"] == "served"]
    expect(not wrong, "leakage differs from the pack's: " + "; ".join(wrong))
    return (f"{len(served)} of {len(table)} planned federal/out-of-state requests served"
            + (": " + ", ".join(t["channel"] for t in served) if served else ""))


def server_time(session: Session) -> str:
    young = session.plate(4)
    if session.admin_key is not None:
        clock = session.call("GET", "/v1/admin/clock", session.admin())
        session.notes["clock_before"] = int(clock.json()["now_s"]) if clock.status_code == 200 else None
    r = session.search("conf-ca-pd", "stolen vehicle", plate=young, time_s=STATED_TIME_S)
    if r.status_code == 422:
        detail = r.text
        expect("time_s" in detail, f"422 without naming time_s: {detail[:200]}")
        outcome = "a stated time_s is refused (422)"
    else:
        expect(r.status_code in (200, 403), f"a search stating time_s answered {r.status_code}")
        row = r.json().get("audit") or {}
        expect(row.get("time_s") != STATED_TIME_S, f"the audit row carries the client-stated time {STATED_TIME_S}")
        outcome = "a stated time_s is ignored"
    stamped = [row for row in _rows(session, "conf-ca-pd") if row.get("time_s") == STATED_TIME_S]
    expect(not stamped, f"{len(stamped)} audit row(s) carry the client-stated time {STATED_TIME_S}")
    if session.admin_key is not None:
        clock = session.call("GET", "/v1/admin/clock", session.admin())
        if clock.status_code == 200:
            now_s = int(clock.json()["now_s"])
            expect(now_s != STATED_TIME_S and abs(now_s - session.notes["clock_before"]) < 86_400,
                   f"the server clock moved from {session.notes['clock_before']} to {now_s} after a search "
                   f"stated time_s {STATED_TIME_S}")
    return outcome + "; no row carries it; the clock did not move"


CHECKS = (
    Check("AUD-01", 3, "every search, allowed or denied, is logged with SB 34's fields", audit_every_search,
          "Civil Code 1798.90.52(b)"),
    Check("AUD-02", 3, "the service's chain verification passes", audit_verify),
    Check("AUD-03", 3, "the exported chain recomputes and links", audit_export_chain),
    Check("AUD-04", 3, "an edited audit row is detected", tamper_edit),
    Check("AUD-05", 3, "a deleted audit row is detected", tamper_delete),
    Check("AUD-06", 3, "an inserted audit row is detected", tamper_insert),
    Check("DATA-01", 3, "retention purges what it must and nothing else", data_retention,
          "the owner's retention (30 days)"),
    Check("DATA-02", 3, "reads stamped after the search time are not returned", data_future_reads),
    Check("DATA-03", 3, "scripted scenario: planned federal and out-of-state requests, by channel", leakage_verdict),
    Check("AUD-07", 3, "times are the server's: a client-stated time is never the row's, nor moves the clock",
          server_time),
)

__all__ = ["CHECKS", "PLANNED"]
