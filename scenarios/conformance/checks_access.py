"""Level 1, access: keys, the role-by-endpoint matrix, object-level access, mass
assignment, size limits, rate limits and per-key throttling."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from scenarios.conformance.fixture import AUDITOR, OWNER, RL_OWNER, RL_REQUESTER
from scenarios.conformance.kit import Check, Session, Skipped, decision_of, expect

AGENCY = "conf-ca-pd"  # an agency that owns no cameras
OTHER = "conf-ca-so"
ROLES = ("agency", "owner", "camera", "auditor", "admin")
MAX_BURST, BURST_THREADS = 6000, 16


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the OpenAPI document
    concrete: str
    body: Any
    allowed: frozenset[str]  # the roles docs/api.md grants it
    probe_allowed: bool = True  # send the allowed roles too (False where that would change state)


def _batch(session: Session) -> dict:
    return {"batch_id": f"conf-{session.tag}-matrix", "reads": {"time_s": [0], "camera": [0],
                                                                "plate": [session.plate(90)]}}


def routes(session: Session) -> list[Route]:
    org = {"slug": OTHER, "name": "x", "kind": "sheriff", "state": "CA"}
    search = {"user": "conformance", "reason": "stolen vehicle", "query": {"plate": session.plate(0)}}
    admin_only = frozenset({"admin"})
    a = frozenset
    return [
        Route("POST", "/v1/reads/batches", "/v1/reads/batches", _batch(session), a({"owner", "camera"}), False),
        Route("POST", "/v1/searches", "/v1/searches", search, a({"agency", "owner"}), False),
        Route("GET", "/v1/hotlist", "/v1/hotlist", None, a({"agency", "owner"})),
        Route("POST", "/v1/hotlist", "/v1/hotlist", {"plate": session.plate(91), "reason": "stolen vehicle"},
              a({"agency", "owner"}), False),
        Route("POST", "/v1/hotlist/check", "/v1/hotlist/check", {"since_s": 0}, a({"agency", "owner"}), False),
        Route("DELETE", "/v1/hotlist/{entry_id}", "/v1/hotlist/987654321", None, a({"agency", "owner"}), False),
        Route("GET", "/v1/sharing", "/v1/sharing", None, a({"agency", "owner"})),
        Route("PUT", "/v1/sharing", "/v1/sharing", {"shares": []}, a({"agency", "owner"}), False),
        Route("GET", "/v1/audit/searches", "/v1/audit/searches", None, a({"agency", "owner", "auditor", "admin"})),
        Route("GET", "/v1/audit/network", f"/v1/audit/network?owner={OWNER}", None,
              a({"owner", "auditor", "admin"})),
        Route("GET", "/v1/audit/verify", "/v1/audit/verify", None, a({"auditor", "admin"})),
        Route("GET", "/v1/admin/orgs", "/v1/admin/orgs", None, admin_only),
        Route("POST", "/v1/admin/orgs", "/v1/admin/orgs", org, admin_only, False),
        Route("GET", "/v1/admin/orgs/{slug}", f"/v1/admin/orgs/{OTHER}", None, admin_only),
        Route("PUT", "/v1/admin/orgs/{slug}", f"/v1/admin/orgs/{OTHER}", org, admin_only, False),
        Route("GET", "/v1/admin/orgs/{slug}/sharing", f"/v1/admin/orgs/{OWNER}/sharing", None, admin_only),
        Route("PUT", "/v1/admin/orgs/{slug}/sharing", f"/v1/admin/orgs/{OWNER}/sharing",
              {"shares": [AGENCY]}, admin_only, False),
        Route("GET", "/v1/admin/orgs/{slug}/policy", f"/v1/admin/orgs/{OWNER}/policy", None, admin_only),
        Route("PUT", "/v1/admin/orgs/{slug}/policy", f"/v1/admin/orgs/{OWNER}/policy",
              {"name": "x", "source": "x", "default": "allow"}, admin_only, False),
        Route("DELETE", "/v1/admin/orgs/{slug}/policy", f"/v1/admin/orgs/{OWNER}/policy", None, admin_only, False),
        Route("POST", "/v1/admin/keys", "/v1/admin/keys", {"org": AGENCY, "role": "agency"}, admin_only, False),
        Route("GET", "/v1/admin/keys", "/v1/admin/keys", None, admin_only),
        Route("DELETE", "/v1/admin/keys/{key_id}", "/v1/admin/keys/key_conformance", None, admin_only, False),
        Route("GET", "/v1/admin/pack", "/v1/admin/pack", None, admin_only),
        Route("PUT", "/v1/admin/pack", "/v1/admin/pack", {"name": "x", "source": "x", "layers": []}, admin_only,
              False),
        Route("POST", "/v1/admin/purge", "/v1/admin/purge", {}, admin_only, False),
        Route("GET", "/v1/admin/stats", "/v1/admin/stats", None, a({"auditor", "admin"})),
        Route("GET", "/v1/admin/clock", "/v1/admin/clock", None, a({"auditor", "admin"})),
        Route("PUT", "/v1/admin/clock", "/v1/admin/clock", {"now_s": None}, admin_only, False),
    ]


def _listed(session: Session) -> set[tuple[str, str]] | None:
    spec = session.openapi()
    if not spec:
        return None
    return {(m.upper(), p) for p, ops in spec.get("paths", {}).items() if p.startswith("/v1")
            for m in ops if m in ("get", "post", "put", "delete", "patch")}


def _present(session: Session) -> tuple[list[Route], list[str]]:
    """The matrix's routes the service lists (all, without an OpenAPI document), and the
    listed routes the matrix does not know."""
    table = routes(session)
    listed = _listed(session)
    if listed is None:
        return table, []
    known = {(r.method, r.path) for r in table}
    return [r for r in table if (r.method, r.path) in listed], sorted(f"{m} {p}" for m, p in listed - known)


def _role_key(session: Session, role: str) -> str:
    if role == "admin":
        return session.admin()
    org, kind = {"agency": (AGENCY, "agency"), "owner": (OWNER, "agency"), "camera": (OWNER, "camera"),
                 "auditor": (AUDITOR, "auditor")}[role]
    return session.key(org, kind)


def _send(session: Session, route: Route, key: str | None, headers: dict | None = None):
    kwargs = {} if route.body is None else {"json": route.body}
    return session.call(route.method, route.concrete, key, headers=headers, **kwargs)


def _unauthenticated(headers: dict | None, key: str | None):
    def check(session: Session) -> str:
        present, _ = _present(session)
        wrong = []
        for route in present:
            r = _send(session, route, key, headers)
            if r.status_code != 401 or not r.headers.get("WWW-Authenticate", "").startswith("Bearer"):
                wrong.append(f"{route.method} {route.concrete}: {r.status_code}")
        expect(not wrong, f"{len(wrong)} of {len(present)} routes did not answer 401 with WWW-Authenticate: Bearer: "
                          + "; ".join(wrong[:8]))
        return f"{len(present)} routes answered 401"
    return check


def auth_revoked(session: Session) -> str:
    admin = session.admin()
    made = session.call("POST", "/v1/admin/keys", admin, json={"org": AGENCY, "role": "agency",
                                                               "label": "conformance: to revoke"}).json()
    before = session.call("GET", "/v1/sharing", made["key"]).status_code
    session.call("DELETE", f"/v1/admin/keys/{made['key_id']}", admin)
    after = session.call("GET", "/v1/sharing", made["key"]).status_code
    expect(before == 200 and after == 401, f"a key answered {before} before revocation and {after} right after")
    return "401 at once after revocation"


def auth_throttle(session: Session) -> str:
    admin = session.admin()
    key = session.call("POST", "/v1/admin/keys", admin, json={"org": AGENCY, "role": "agency",
                                                              "label": "conformance: throttle"}).json()["key"]
    client = session.client(key)
    stop = threading.Event()
    seen: list[tuple[int, str]] = []

    def burst(_: int) -> None:
        for _ in range(MAX_BURST // BURST_THREADS):
            if stop.is_set():
                return
            r = client.get("/v1/sharing")
            seen.append((r.status_code, r.headers.get("Retry-After", "")))
            if r.status_code != 200:
                stop.set()

    with ThreadPoolExecutor(BURST_THREADS) as pool:
        list(pool.map(burst, range(BURST_THREADS)))
    refused = [(code, retry) for code, retry in seen if code != 200]
    expect(bool(refused), f"{len(seen):,} requests in a burst with one key ({BURST_THREADS} at a time) were all "
                          "served: no per-key throttle")
    code, retry = refused[0]
    expect(code == 429, f"the burst was refused with {code}, not 429")
    expect(retry.isdigit() and int(retry) >= 1, f"429 without a usable Retry-After ({retry!r})")
    other = session.call("GET", "/v1/sharing", session.key(OTHER)).status_code
    expect(other == 200, f"another key was refused too ({other}): the throttle is not per key")
    return f"429 with Retry-After {retry} s after {len(seen) - len(refused):,} requests in a burst"


def acl_forbidden(session: Session) -> str:
    present, unknown = _present(session)
    wrong, sent, skipped = [], 0, set()
    for route in present:
        for role in ROLES:
            if role in route.allowed:
                continue
            try:
                key = _role_key(session, role)
            except Skipped:
                skipped.add(role)
                continue
            r = _send(session, route, key)
            sent += 1
            if r.status_code != 403:
                wrong.append(f"{role} {route.method} {route.concrete}: {r.status_code}")
    expect(not wrong, f"{len(wrong)} of {sent} forbidden calls were not 403: " + "; ".join(wrong[:8]))
    note = f"; not in the matrix: {', '.join(unknown)}" if unknown else ""
    gaps = f"; roles without a key: {', '.join(sorted(skipped))}" if skipped else ""
    return f"{sent} forbidden (role, route) pairs answered 403{note}{gaps}"


def acl_allowed(session: Session) -> str:
    present, _ = _present(session)
    wrong, sent = [], 0
    for route in present:
        if not route.probe_allowed:
            continue
        for role in sorted(route.allowed):
            try:
                key = _role_key(session, role)
            except Skipped:
                continue
            r = _send(session, route, key)
            sent += 1
            if r.status_code in (401, 403) or r.status_code >= 500:
                wrong.append(f"{role} {route.method} {route.concrete}: {r.status_code}")
    expect(sent > 0, "no allowed (role, route) pair could be sent")
    expect(not wrong, f"{len(wrong)} of {sent} allowed calls were refused: " + "; ".join(wrong[:8]))
    return f"{sent} allowed (role, route) pairs answered"


def acl_other_org_audit(session: Session) -> str:
    key = session.key(AGENCY)
    answers = {}
    for name, target in (("existing", OWNER), ("missing", f"conf-{session.tag}-nobody")):
        for path, param in (("/v1/audit/searches", "org"), ("/v1/audit/network", "owner")):
            r = session.call("GET", path, key, params={param: target})
            answers[(name, path)] = (r.status_code, r.text)
    wrong = [f"{path}?{name}: {code}" for (name, path), (code, _) in answers.items() if code != 403]
    expect(not wrong, "another organization's audit was not refused with 403: " + "; ".join(wrong))
    for path in ("/v1/audit/searches", "/v1/audit/network"):
        expect(answers[("existing", path)] == answers[("missing", path)],
               f"{path}: the refusal for an existing organization differs from a missing one's (existence leak)")
    return "403, the same for an existing and a missing organization"


def acl_other_org_hotlist(session: Session) -> str:
    theirs = session.call("POST", "/v1/hotlist", session.key(OTHER),
                          json={"plate": session.plate(92), "reason": "stolen vehicle"})
    expect(theirs.status_code == 201, f"adding a hotlist entry answered {theirs.status_code}")
    entry = theirs.json()["id"]
    mine = session.call("GET", "/v1/hotlist", session.key(AGENCY)).json()
    expect(all(e.get("id") != entry for e in mine), "another organization's hotlist entry is listed")
    steal = session.call("DELETE", f"/v1/hotlist/{entry}", session.key(AGENCY))
    missing = session.call("DELETE", "/v1/hotlist/987654321", session.key(AGENCY))
    expect(steal.status_code == missing.status_code == 404 and steal.text == missing.text,
           f"deleting another's entry answered {steal.status_code} ({steal.text[:80]}), a missing one "
           f"{missing.status_code}: they must be the same 404")
    still = session.call("GET", "/v1/hotlist", session.key(OTHER)).json()
    expect(any(e.get("id") == entry for e in still), "another organization deleted the entry")
    session.call("DELETE", f"/v1/hotlist/{entry}", session.key(OTHER))
    return "another's entry neither listed nor deletable (404 as for a missing id)"


def acl_own_rows_only(session: Session) -> str:
    session.search(OTHER, "homicide")  # at least one row of another organization
    r = session.call("GET", "/v1/audit/searches", session.key(AGENCY), params={"limit": 1000})
    expect(r.status_code == 200, f"an agency's own export answered {r.status_code}")
    orgs = {row.get("org") for row in r.json().get("rows", [])}
    expect(orgs <= {AGENCY}, f"an agency's export lists other organizations' searches: {sorted(orgs - {AGENCY})}")
    return "an agency's export holds its own searches only"


def acl_mass_assignment(session: Session) -> str:
    attempts = [
        ("POST", "/v1/searches", session.key(AGENCY), {"user": "x", "reason": "stolen vehicle", "org": OWNER,
                                                       "query": {"plate": session.plate(0)}}),
        ("POST", "/v1/searches", session.key(AGENCY), {"user": "x", "reason": "stolen vehicle", "role": "admin",
                                                       "query": {"plate": session.plate(0)}}),
        ("POST", "/v1/reads/batches", session.key(OWNER, "camera"),
         {**_batch(session), "owner": RL_OWNER}),
        ("POST", "/v1/hotlist", session.key(AGENCY), {"plate": session.plate(93), "reason": "x", "org": OTHER}),
        ("PUT", "/v1/sharing", session.key(AGENCY), {"shares": [], "org": OWNER}),
    ]
    wrong = []
    for method, path, key, body in attempts:
        r = session.call(method, path, key, json=body)
        if r.status_code != 422:
            wrong.append(f"{method} {path} with {sorted(set(body) - {'user', 'reason', 'query', 'plate', 'reads'})}:"
                         f" {r.status_code}")
    expect(not wrong, "fields that would raise privileges were not refused with 422: " + "; ".join(wrong))
    return f"{len(attempts)} bodies with privilege fields refused (422)"


def acl_size_limit(session: Session) -> str:
    blob = b'{"reads": {"time_s": [' + b"0," * (9 * 2**20) + b'0]}}'
    r = session.call("POST", "/v1/reads/batches", session.key(OWNER, "camera"), content=blob,
                     headers={"Content-Type": "application/json"})
    expect(r.status_code == 413, f"an 18 MiB body answered {r.status_code}, not 413")
    return "18 MiB body: 413"


def acl_rate_limit(session: Session) -> str:
    user = f"conformance-{session.tag}"  # the owner's limit counts per user: a fresh one per run
    answers = [session.search(RL_REQUESTER, "stolen vehicle", user=user) for _ in range(3)]
    seen = [decision_of(a, RL_OWNER) for a in answers]
    expect(seen[:2] == ["served", "served"], f"the first two searches under a 2-an-hour limit were {seen[:2]}")
    last = answers[2]
    expect(last.status_code == 429, f"the third search answered {last.status_code} ({seen[2]}), not 429")
    retry = last.headers.get("Retry-After", "")
    expect(retry.isdigit() and int(retry) >= 1, f"429 without a usable Retry-After ({retry!r})")
    return f"third search in the hour: 429, Retry-After {retry}"


CHECKS = (
    Check("AUTH-01", 1, "no key: 401 on every route", _unauthenticated(None, None)),
    Check("AUTH-02", 1, "an unknown key: 401 on every route", _unauthenticated(None, "conformance-not-a-key")),
    Check("AUTH-03", 1, "a non-Bearer Authorization: 401 on every route",
          _unauthenticated({"Authorization": "Basic Y29uZjpjb25m"}, None)),
    Check("AUTH-04", 1, "a revoked key stops working at once", auth_revoked),
    Check("AUTH-05", 1, "one key's burst is throttled (429 with Retry-After), not another's", auth_throttle),
    Check("ACL-01", 1, "role by endpoint: every forbidden pair answers 403", acl_forbidden),
    Check("ACL-02", 1, "role by endpoint: every granted pair is answered", acl_allowed),
    Check("ACL-03", 1, "another organization's audit: 403, no existence leak", acl_other_org_audit),
    Check("ACL-04", 1, "another organization's hotlist: not listed, not deletable", acl_other_org_hotlist),
    Check("ACL-05", 1, "an agency's audit export holds its own searches only", acl_own_rows_only),
    Check("ACL-06", 1, "mass assignment: privilege fields refused", acl_mass_assignment),
    Check("ACL-07", 1, "request size limit: 413", acl_size_limit),
    Check("ACL-08", 1, "a policy rate limit answers 429 with Retry-After", acl_rate_limit,
          "the owner's own policy: 2 searches an hour per user"),
)

__all__ = ["CHECKS"]
