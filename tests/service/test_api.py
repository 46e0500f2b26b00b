"""The API's contract on a real server: keys, roles, refusals, validation, limits, exports."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from lookup.audit_export import NETWORK_AUDIT_COLUMNS, read_csv_records
from lookup.client import ApiError, reads_body
from scenarios.service_run import pack_document
from tests.service.conftest import Server, make_reads

SF_OWN = {"name": "sf-own", "source": "tests", "layer": "owner", "default": "allow", "rules": [
    {"id": "hourly", "effect": "limit", "limit": {"rate": {"max": 2, "per_s": 3600, "per": "requester"}}}]}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("api") / "api.sqlite", args=("--max-batch-reads", "100")).start()
    admin = srv.client()
    for slug, name, kind, state, owns in (("oak", "Oakland PD", "local", "CA", True),
                                          ("sf", "San Francisco PD", "local", "CA", True),
                                          ("fbi", "FBI", "federal", "US", False),
                                          ("alameda-so", "Alameda County Sheriff", "sheriff", "CA", False),
                                          ("state-auditor", "State Auditor", "state", "CA", False)):
        admin.create_org(slug, name, kind, state, owns_cameras=owns, devices=10 if owns else 0)
    admin.set_pack(pack_document("ca-sb34"))
    admin.set_policy("sf", SF_OWN)
    admin.set_org_sharing("oak", ["fbi", "sf"])
    admin.set_org_sharing("sf", [], state_share=True)
    keys = {name: admin.create_key(org, role)["key"] for name, org, role in (
        ("oak", "oak", "agency"), ("oak-camera", "oak", "camera"), ("sf", "sf", "agency"),
        ("sf-camera", "sf", "camera"), ("fbi", "fbi", "agency"), ("alameda", "alameda-so", "agency"), ("auditor", "state-auditor", "auditor"))}
    clients = {name: srv.client(key) for name, key in keys.items()}
    clients["admin"] = admin
    rng = np.random.default_rng(11)
    clients["oak-camera"].ingest(make_reads(rng, 80, 0), "oak-1")
    clients["sf-camera"].ingest(make_reads(rng, 80, 0), "sf-1")
    yield srv, clients, keys
    for c in clients.values():
        c.close()
    srv.stop()


def search(**fields):
    body = {"user": "officer-1", "time_s": 3600, "reason": "stolen vehicle", "query": {"plate": "7ABC123"}}
    body.update(fields)
    return body


def test_health_needs_no_key(net):
    srv, _, _ = net
    assert httpx.get(f"{srv.url}/healthz").json() == {"status": "ok"}


def test_every_v1_route_wants_a_key(net):
    srv, _, _ = net
    spec = httpx.get(f"{srv.url}/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1"):
            continue
        concrete = path.replace("{slug}", "oak").replace("{key_id}", "key_x").replace("{entry_id}", "1")
        for method in methods:
            for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic b2FrOm9haw=="}):
                response = httpx.request(method.upper(), srv.url + concrete, headers=headers, json={})
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            checked += 1
    assert checked >= 20


def test_a_revoked_key_stops_working_at_once(net):
    srv, clients, _ = net
    admin = clients["admin"]
    created = admin.create_key("oak", "agency", "to revoke")
    client = srv.client(created["key"])
    assert client.sharing()["shares"] == ["fbi", "sf"]
    admin.revoke_key(created["key_id"])
    with pytest.raises(ApiError) as caught:
        client.sharing()
    assert caught.value.status == 401 and caught.value.detail == "unknown or revoked key"
    assert created["key"] not in str(admin.keys())  # secrets are never listed


def test_a_denied_search_is_403_naming_the_deciding_rule_and_is_logged(net):
    _, clients, _ = net
    answer = clients["fbi"].search(search(reason="fugitive", request_id="fbi-1"))
    assert answer.status == 403 and answer.body["status"] == "denied"
    assert "ca-sb34/sb34-federal" in answer.body["detail"]
    assert [(n["owner"], n["effect"], n["rule"]) for n in answer.body["networks"]] == [
        ("oak", "deny", "ca-sb34/sb34-federal")]
    assert answer.body["reads"]["id"] == [] and answer.body["audit"]["request_id"] == "fbi-1"
    rows = list(clients["auditor"].audit_rows("searches", org="fbi"))
    assert [r["request_id"] for r in rows] == ["fbi-1"]


def test_a_served_search_returns_reads_but_never_the_vehicle(net):
    _, clients, _ = net
    answer = clients["oak"].search(search(request_id="oak-1"))
    assert answer.status == 200 and answer.body["status"] == "served"
    reads = answer.body["reads"]
    assert set(reads["plate"]) == {"7ABC123"} and len(reads["id"]) == answer.body["reads_returned"] > 0
    assert "vehicle" not in reads
    assert {n["owner"]: n["via"] for n in answer.body["networks"]} == {"oak": "own", "sf": "state"}


@pytest.mark.parametrize("who, call", [
    ("oak-camera", lambda c: c.search(search())),
    ("auditor", lambda c: c.search(search())),
    ("fbi", lambda c: c.ingest(make_reads(np.random.default_rng(0), 3))),
    ("auditor", lambda c: c.ingest(make_reads(np.random.default_rng(0), 3))),
    ("oak", lambda c: c.orgs()),
    ("oak", lambda c: c.verify()),
    ("oak-camera", lambda c: c.sharing()),
])
def test_roles_limit_what_a_key_may_do(net, who, call):
    _, clients, _ = net
    with pytest.raises(ApiError) as caught:
        call(clients[who])
    assert caught.value.status == 403


@pytest.mark.parametrize("body, field, words", [
    (search(query={"plate": "7AB$123"}), ["body", "query", "plate"], "'$' is not a letter or digit"),
    (search(query={"plate": "123456789"}), ["body", "query", "plate"], "1 to 8 characters"),
    (search(query={"plate_pattern": "7A%*"}), ["body", "query", "plate_pattern"], "'%'"),
    (search(query={"plate": "7ABC123", "start_s": 500, "end_s": 100}), ["body", "query"], "must be after"),
    (search(time_s=100, query={"plate": "7ABC123", "start_s": 500}), ["body"], "after the search time"),
    (search(time_s=-10**11), ["body", "time_s"], "greater than or equal to -3153600000"),  # a warm-up may be negative
    (search(time_s=10**12), ["body", "time_s"], "less than or equal"),
    (search(colour_of_car="red"), ["body", "colour_of_car"], "Extra inputs are not permitted"),
    (search(query={"plate": "7ABC123", "vin": "x"}), ["body", "query", "vin"], "Extra inputs"),
    (search(search_type="telepathy"), ["body", "search_type"], "'plate'"),
])
def test_bad_searches_are_422_naming_the_field(net, body, field, words):
    _, clients, _ = net
    response = clients["oak"].http.post("/v1/searches", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(d["loc"] == field and words in d["msg"] for d in detail), detail


def test_bad_batches_are_422_naming_the_read(net):
    _, clients, _ = net
    camera = clients["oak-camera"]
    body = reads_body(make_reads(np.random.default_rng(1), 5))
    cases = [({**body, "plate": ["7ABC123"] * 4 + ["7A$"]}, ["body", "reads", "plate", 4]),
             ({**body, "time_s": [1, 2, 3, 4, -10**11]}, ["body", "reads", "time_s", 4]),
             ({**body, "confidence": [0.5] * 4 + [1.5]}, ["body", "reads", "confidence", 4]),
             ({**body, "camera": [1, 2]}, ["body", "reads"]),
             ({**body, "speed_mps": [1] * 5}, ["body", "reads", "speed_mps"]),
             ({**body, "vehicle": [1] * 5}, ["body", "reads", "vehicle"])]
    for reads, loc in cases:
        response = camera.http.post("/v1/reads/batches", json={"reads": reads})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc, response.text
    too_many = reads_body(make_reads(np.random.default_rng(1), 101))
    response = camera.http.post("/v1/reads/batches", json={"reads": too_many})
    assert response.status_code == 422 and "at most 100 per batch" in response.text


def test_bodies_over_the_size_limit_are_413(net):
    _, clients, _ = net
    response = clients["oak-camera"].http.post("/v1/reads/batches", content=b"x" * (17 * 2**20),
                                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "exceeds the limit" in response.json()["detail"]

    def chunks():
        for _ in range(20):
            yield b" " * 2**20

    response = clients["oak-camera"].http.post("/v1/reads/batches", content=chunks(),
                                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_policy_rate_limit_is_429_with_retry_after(net):
    _, clients, _ = net
    oak = clients["oak"]  # reaches sf's network by sf's state share; sf's own policy limits it
    answers = [oak.search(search(time_s=7200 + i, request_id=f"rl-{i}")) for i in range(3)]
    assert [a.status for a in answers[:2]] == [200, 200]
    limited = answers[2]
    assert limited.status == 200  # oak's own network still answers: partly limited is served
    assert {n["owner"]: n["effect"] for n in limited.body["networks"]}["sf"] == "rate_limited"
    sheriff = clients["alameda"]  # reaches sf's network only
    answers = [sheriff.search(search(time_s=7300 + i, request_id=f"so-{i}")) for i in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].status == 429 and answers[2].body["status"] == "rate_limited"
    assert "sf-own/hourly" in answers[2].body["detail"]
    assert 3500 <= answers[2].retry_after_s <= 3600


def test_a_request_id_is_used_once_per_organization(net):
    _, clients, _ = net
    clients["sf"].search(search(time_s=20000, request_id="dup-1"))
    with pytest.raises(ApiError) as caught:
        clients["sf"].search(search(time_s=20001, request_id="dup-1"))
    assert caught.value.status == 409
    assert clients["oak"].search(search(time_s=20002, request_id="dup-1")).status == 200  # another org's ids


def test_nothing_tells_an_outsider_whether_something_exists(net):
    _, clients, _ = net
    fbi, oak = clients["fbi"], clients["oak"]
    refusals = []
    for org in ("oak", "no-such-org"):
        response = fbi.http.get("/v1/audit/searches", params={"org": org})
        refusals.append((response.status_code, response.json()))
        response = fbi.http.get("/v1/audit/network", params={"owner": org})
        refusals.append((response.status_code, response.json()))
    assert refusals[0] == refusals[2] and refusals[1] == refusals[3] and refusals[0][0] == 403
    entry = oak.add_hotlist("7ABC123", "stolen vehicle", case_number="26-1")
    theirs = fbi.http.delete(f"/v1/hotlist/{entry['id']}")
    nothing = fbi.http.delete("/v1/hotlist/987654")
    assert theirs.status_code == nothing.status_code == 404 and theirs.json() == nothing.json()
    assert [e["id"] for e in oak.hotlist()] == [entry["id"]]
    assert fbi.hotlist() == []
    before = oak.sharing()
    for share in (["fbi", "sf"], ["fbi", "sf", "no-such-org"]):
        answer = oak.set_sharing(share)
        assert answer["shares"] == sorted(share)
    oak.set_sharing(before["shares"], before["state_share"], before["national_lookup"])


def test_owners_see_their_own_network_entry_and_auditors_the_whole_chain(net):
    _, clients, _ = net
    mine = list(clients["oak"].audit_rows("network", include_unsearched=True, limit=2))
    assert mine and all([n["owner"] for n in r["networks"]] == ["oak"] for r in mine)
    assert all(r["row_hash"] is None for r in mine)
    assert any(r["org"] == "fbi" and r["networks"][0]["effect"] == "deny" for r in mine)
    whole = list(clients["auditor"].audit_rows("searches", limit=3))
    assert [r["seq"] for r in whole] == list(range(len(whole)))
    assert all(b["prev_hash"] == a["row_hash"] for a, b in zip(whole, whole[1:], strict=False))
    assert clients["auditor"].verify()["ok"] is True
    with pytest.raises(ApiError) as caught:
        clients["auditor"].audit_page("network")
    assert caught.value.status == 422  # an auditor names the owner


def test_csv_exports_page_in_the_published_layout(net):
    _, clients, _ = net
    text, after = clients["oak"].audit_csv("network", limit=1)
    records = read_csv_records(text)
    assert tuple(records[0]) == NETWORK_AUDIT_COLUMNS and len(records) == 1
    pages = [records]
    while after is not None:
        text, after = clients["oak"].audit_csv("network", after=after, limit=1)
        pages.append(read_csv_records(text))
    everything = read_csv_records(clients["oak"].audit_csv("network", limit=1000)[0])
    assert [r for page in pages for r in page] == everything
    assert everything[0]["Search Time"].startswith("2025-01-01 01:00")
    text, _ = clients["oak"].audit_csv("searches")
    assert read_csv_records(text)[0]["userId"] == "***"


def test_hotlist_alerts_are_searches_under_the_same_policies(net):
    _, clients, _ = net
    fbi = clients["fbi"]
    fbi.add_hotlist("7ABC123", "fugitive", case_number="26-9")
    alerts = fbi.check_hotlist(since_s=0, now_s=4000)
    assert [a["search"]["status"] for a in alerts] == ["denied"]
    oak_alerts = clients["oak"].check_hotlist(since_s=0, now_s=4000)
    assert oak_alerts and oak_alerts[0]["search"]["reads_returned"] > 0
    assert oak_alerts[0]["search"]["audit"]["user"] == "hotlist"
