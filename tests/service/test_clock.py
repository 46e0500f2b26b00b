"""The service trusts no client clock: its own clock times searches, batches, retention and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from lookup.api.app import KeyThrottle
from lookup.audit_export import DEFAULT_START
from lookup.client import ApiError
from tests.service.conftest import Server, make_reads

HOURLY = {"name": "hourly", "source": "tests", "layer": "owner", "default": "allow", "rules": [
    {"id": "hourly", "effect": "limit", "limit": {"rate": {"max": 50, "per_s": 3600, "per": "user"}}}]}
PACK = {"name": "open", "source": "tests", "layers": [{"policy": {
    "name": "open", "source": "tests", "layer": "baseline", "default": "allow"}}]}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("clock") / "clock.sqlite").start()
    admin = srv.client()
    admin.create_org("oak", "Oakland PD", "local", "CA", owns_cameras=True, devices=2, retention_days=30)
    admin.create_org("chp", "CHP", "state", "CA")
    admin.set_pack(PACK)
    admin.set_policy("oak", HOURLY)
    admin.set_org_sharing("oak", ["chp"])
    keys = {name: admin.create_key(org, role)["key"] for name, org, role in (
        ("oak", "oak", "agency"), ("oak-camera", "oak", "camera"), ("chp", "chp", "agency"))}
    clients = {name: srv.client(key) for name, key in keys.items()} | {"admin": admin}
    yield srv, clients
    for c in clients.values():
        c.close()
    srv.stop()


def plate_search(request_id: str, plate: str = "7ABC123", **extra) -> dict:
    return {"request_id": request_id, "user": "officer-1", "reason": "stolen vehicle", "query": {"plate": plate},
            **extra}


def test_without_a_simulated_clock_the_search_time_is_the_wall_clock_since_the_start(net):
    _, clients = net
    clients["admin"].set_clock(None)
    before = datetime.now(UTC)
    row = clients["chp"].search(plate_search("wall-1")).body["audit"]
    after = datetime.now(UTC)
    assert (before - DEFAULT_START).total_seconds() - 1 <= row["time_s"] <= (after - DEFAULT_START).total_seconds()
    assert clients["admin"].clock()["mode"] == "wall"


def test_a_stated_search_time_is_refused_and_moves_nothing(net):
    """The measured attack: time_s 3,000,000,000 made every read look expired to everyone."""
    _, clients = net
    admin, oak, chp = clients["admin"], clients["oak"], clients["chp"]
    admin.set_clock(36_000)
    reads = make_reads(np.random.default_rng(3), 2, t0=35_000, span_s=100, pool=("5SOW350",))
    clients["oak-camera"].ingest(reads, "two-reads")
    rows_before = admin.stats()["audit_rows"]
    for stated in (3_000_000_000, 36_000, 0):
        response = chp.http.post("/v1/searches", json=plate_search(f"stated-{stated}", "5SOW350", time_s=stated))
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", "time_s"] and "own clock" in detail["msg"]
    assert admin.stats()["audit_rows"] == rows_before  # refused before any search: nothing logged
    assert admin.clock() == {"now_s": 36_000, "mode": "simulated"}
    answer = oak.search(plate_search("after-attack", "5SOW350"))
    assert answer.body["reads_returned"] == 2 and answer.body["audit"]["time_s"] == 36_000


def test_the_server_stamps_batches_and_refuses_reads_from_far_in_the_future(net):
    _, clients = net
    admin, camera = clients["admin"], clients["oak-camera"]
    admin.set_clock(50_000)
    rng = np.random.default_rng(4)
    ack = camera.ingest(make_reads(rng, 3, t0=49_000, span_s=100), "stamped")
    assert ack["received_s"] == 50_000 and not ack["duplicate"]
    admin.set_clock(50_500)
    again = camera.ingest(make_reads(rng, 3, t0=49_000, span_s=100), "stamped")
    assert again["duplicate"] and again["received_s"] == 50_000  # the first receipt's time
    future = make_reads(rng, 3, t0=50_000 + 8 * 86_400, span_s=10)
    with pytest.raises(ApiError) as caught:
        camera.ingest(future, "from-the-future")
    assert caught.value.status == 422 and caught.value.detail[0]["loc"] == ["body", "reads", "time_s", "0"]
    assert "after the server clock" in caught.value.detail[0]["msg"]


def test_retention_runs_at_the_server_clock_and_a_stated_purge_time_is_refused(net):
    _, clients = net
    admin = clients["admin"]
    response = admin.http.post("/v1/admin/purge", json={"now_s": 10**9})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "now_s"]
    admin.set_clock(60_000)
    clients["oak-camera"].ingest(make_reads(np.random.default_rng(5), 4, t0=59_000, span_s=100,
                                            pool=("9YNG001",)), "young")
    stored = admin.stats()["reads_stored"]
    assert admin.purge() == 0  # nothing is 30 days old at 60,000 s
    admin.set_clock(35_100 + 30 * 86_400)  # the reads of "two-reads" (35,000 s to 35,099 s) are past 30 days
    deleted = admin.purge()
    assert 0 < deleted < stored
    assert clients["oak"].search(plate_search("young-still-there", "9YNG001")).body["reads_returned"] == 4
    admin.set_clock(36_000)  # an earlier clock cannot bring purged reads back
    assert clients["oak"].search(plate_search("purged-stays-purged", "5SOW350")).body["reads_returned"] == 0


def test_rate_limits_count_in_server_time_and_old_counts_are_pruned(net):
    _, clients = net
    admin, chp = clients["admin"], clients["chp"]
    admin.set_clock(100_000_000)
    for i in range(50):
        assert chp.search(plate_search(f"rate-{i}")).status == 200
    limited = chp.search(plate_search("rate-50"))
    assert limited.status == 429 and limited.retry_after_s == 3600
    assert admin.stats()["rate_rows"] >= 50
    admin.set_clock(100_000_000 + 3601)
    assert chp.search(plate_search("rate-later")).status == 200
    admin.purge()
    assert admin.stats()["rate_rows"] == 1  # the 50 older than the longest window (an hour) are gone


def test_the_key_throttle_refills_at_its_rate():
    now = [0.0]
    throttle = KeyThrottle(per_s=2, burst=3, clock=lambda: now[0])
    assert [throttle.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.take("k") == pytest.approx(0.5)
    assert throttle.take("other") == 0.0  # per key
    now[0] = 0.5
    assert throttle.take("k") == 0.0 and throttle.take("k") > 0
    assert KeyThrottle(per_s=0, burst=1).take("k") == 0.0  # off


def test_a_key_past_its_throttle_gets_429_with_retry_after(tmp_path):
    srv = Server(tmp_path / "throttle.sqlite", args=("--key-rate", "1", "--key-burst", "5")).start()
    try:
        admin = srv.client()
        admin.create_org("chp", "CHP", "state", "CA")
        first, second = (srv.client(admin.create_key("chp", "agency")["key"]) for _ in range(2))
        codes = [first.http.get("/v1/sharing") for _ in range(8)]
        assert [r.status_code for r in codes[:5]] == [200] * 5
        refused = [r for r in codes[5:] if r.status_code == 429]
        assert refused and all(int(r.headers["Retry-After"]) >= 1 for r in refused)
        assert "too many requests for this key" in refused[0].json()["detail"]
        assert second.http.get("/v1/sharing").status_code == 200  # another key has its own bucket
        assert all(admin.http.get("/v1/admin/stats").status_code == 200 for _ in range(8))  # admin not throttled
    finally:
        srv.stop()
