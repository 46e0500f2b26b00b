"""Real server processes under load, killed mid-ingest, and with their audit table tampered."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import numpy as np
import pytest

from lookup.audit import row_hash_of
from lookup.client import ApiError, reads_body
from tests.service.conftest import OPEN_PACK, Server, make_reads

SEARCH = {"user": "officer", "reason": "stolen vehicle", "query": {"plate": "7ABC123"}}


def provision(srv: Server) -> dict[str, str]:
    admin = srv.client()
    for slug, owns in (("oak", True), ("sf", True), ("chp", False)):
        admin.create_org(slug, slug.upper(), "state" if slug == "chp" else "local", "CA", owns_cameras=owns, devices=4)
    admin.set_pack(OPEN_PACK)
    admin.set_clock(36_000)  # reads are stamped from 0: a simulated clock keeps them within retention
    admin.set_org_sharing("oak", ["chp", "sf"])
    admin.set_org_sharing("sf", ["chp", "oak"])
    keys = {f"{o}-camera": admin.create_key(o, "camera")["key"] for o in ("oak", "sf")}
    keys |= {o: admin.create_key(o, "agency")["key"] for o in ("oak", "sf", "chp")}
    admin.close()
    return keys


def test_concurrent_clients_lose_no_read_and_never_see_a_5xx(server):
    keys = provision(server)
    deadline = time.monotonic() + 30.0  # an upper bound: the clients stop once both counts are reached
    lock = threading.Lock()
    acked: list[int] = []
    searched: list[str] = []
    errors: list[str] = []

    def done() -> bool:
        return time.monotonic() > deadline or (len(acked) >= 8 and len(searched) >= 20)

    def ingest(name: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys[name]}"}, timeout=30) as c:
            for i in range(200):
                if done():
                    return
                body = {"batch_id": f"{name}-{seed}-{i}", "reads": reads_body(make_reads(rng, 500, i * 60))}
                r = c.post("/v1/reads/batches", json=body)
                with lock:
                    if r.status_code == 201:
                        acked.append(r.json()["count"])
                    else:
                        errors.append(f"ingest {r.status_code}: {r.text[:200]}")

    def search(name: str) -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys[name]}"}, timeout=30) as c:
            for i in range(2000):
                if done():
                    return
                r = c.post("/v1/searches", json={**SEARCH, "request_id": f"{name}-{i}"})
                with lock:
                    if r.status_code == 200:
                        searched.append(f"{name}-{i}")
                    else:
                        errors.append(f"search {r.status_code}: {r.text[:200]}")

    threads = [threading.Thread(target=ingest, args=(name, seed)) for name, seed in
               (("oak-camera", 1), ("oak-camera", 2), ("sf-camera", 3), ("sf-camera", 4))]
    threads += [threading.Thread(target=search, args=(name,)) for name in ("chp", "oak")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert len(acked) >= 8 and len(searched) >= 20
    stats = server.client().stats()
    assert stats["reads_stored"] == stats["reads_appended"] == sum(acked)
    assert stats["audit_rows"] == len(searched)
    assert server.client().verify()["ok"]


def test_kill_9_during_ingest_keeps_every_acknowledged_batch_whole(tmp_path):
    srv = Server(tmp_path / "crash.sqlite").start()
    keys = provision(srv)
    acked: dict[str, tuple[int, int]] = {}
    searches: list[str] = []
    sent: list[str] = []
    stop = threading.Event()

    def ingest() -> None:
        rng = np.random.default_rng(7)
        c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {keys['oak-camera']}"}, timeout=10)
        for i in range(1000):
            if stop.is_set():
                return
            batch_id = f"b{i}"
            sent.append(batch_id)
            try:
                r = c.post("/v1/reads/batches", json={"batch_id": batch_id,
                                                      "reads": reads_body(make_reads(rng, 20_000, i * 60))})
            except httpx.TransportError:
                return
            acked[batch_id] = (r.json()["first_id"], r.json()["count"])

    def search() -> None:
        c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {keys['chp']}"}, timeout=10)
        for i in range(100_000):
            if stop.is_set():
                return
            try:
                r = c.post("/v1/searches", json={**SEARCH, "request_id": f"s{i}"})
            except httpx.TransportError:
                return
            if r.status_code == 200:
                searches.append(f"s{i}")

    threads = [threading.Thread(target=ingest), threading.Thread(target=search)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30.0  # under load a 20,000-read batch can take a second or more
    while (len(acked) < 2 or not searches) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    srv.kill()  # in the middle of whatever it was doing
    stop.set()
    for t in threads:
        t.join(15)
    assert len(acked) >= 2 and searches

    srv.start()  # same file, same port
    with sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True) as raw:
        for batch_id, (first, count) in acked.items():
            present = raw.execute("SELECT count(*) FROM reads WHERE id BETWEEN ? AND ?",
                                  (first, first + count - 1)).fetchone()[0]
            assert present == count, f"acknowledged batch {batch_id} lost reads"
        stored = raw.execute("SELECT count(*) FROM reads").fetchone()[0]
        batches = raw.execute("SELECT batch_id, first_id, count FROM batches").fetchall()
        for batch_id, first, count in batches:
            assert raw.execute("SELECT count(*) FROM reads WHERE id BETWEEN ? AND ?",
                               (first, first + count - 1)).fetchone()[0] == count, f"partial batch {batch_id}"
        logged = {r[0] for r in raw.execute("SELECT request_id FROM audit")}
    assert stored == sum(count for _, _, count in batches)  # nothing outside a whole batch
    assert set(acked) <= {b for b, _, _ in batches} <= set(sent)
    assert set(searches) <= logged  # every answered search kept its audit row
    admin = srv.client()
    assert admin.verify()["ok"]
    # the client may resend what it never heard back about: stored once
    camera = srv.client(keys["oak-camera"])
    resent = camera.ingest(make_reads(np.random.default_rng(0), 10), sent[-1])
    assert admin.stats()["reads_stored"] == stored + (0 if resent["duplicate"] else 10)
    srv.stop()


def _rows(path):
    with sqlite3.connect(path) as raw:
        raw.row_factory = sqlite3.Row
        return [dict(r) for r in raw.execute("SELECT * FROM audit ORDER BY pos")]


@pytest.fixture(scope="module")
def logging_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("tamper") / "tamper.sqlite").start()
    keys = provision(srv)
    chp = srv.client(keys["chp"])
    for i in range(8):
        chp.search({**SEARCH, "request_id": f"r{i}"})
    yield srv
    srv.stop()


@pytest.fixture
def logged(logging_server):
    """The server with 8 logged searches; whatever a test does to the audit table is undone after it."""
    original = _rows(logging_server.db)
    assert _verify(logging_server)["ok"]
    yield logging_server
    columns = list(original[0])
    with sqlite3.connect(logging_server.db) as raw:
        raw.execute("DELETE FROM audit")
        raw.executemany(f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [tuple(r.values()) for r in original])


def _verify(srv: Server) -> dict:
    return srv.client().verify()


def test_an_edited_audit_row_is_named(logged):
    with sqlite3.connect(logged.db) as raw:
        raw.execute("UPDATE audit SET reason = 'routine patrol' WHERE pos = 3")
    result = _verify(logged)
    assert not result["ok"] and result["position"] == 3 and result["problem"] == "edited"
    assert "request r3" in result["message"]


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(logged):
    row = _rows(logged.db)[2]
    row["reason"] = "routine patrol"
    with sqlite3.connect(logged.db) as raw:
        raw.execute("UPDATE audit SET reason = ?, row_hash = ? WHERE pos = 2",
                    (row["reason"], row_hash_of({k: v for k, v in row.items() if k != "pos"})))
    result = _verify(logged)
    assert not result["ok"] and result["position"] == 3 and result["problem"] == "rewritten"


def test_a_deleted_audit_row_is_named(logged):
    with sqlite3.connect(logged.db) as raw:
        raw.execute("DELETE FROM audit WHERE pos = 5")
    result = _verify(logged)
    assert not result["ok"] and result["position"] == 5 and result["problem"] == "deleted"


def test_an_inserted_audit_row_is_named(logged):
    rows = _rows(logged.db)
    forged = {k: v for k, v in rows[3].items() if k != "pos"}
    forged.update(seq=4, request_id="forged", reason="routine patrol", prev_hash=rows[3]["row_hash"])
    forged["row_hash"] = row_hash_of(forged)
    with sqlite3.connect(logged.db) as raw:  # make room at position 4, then slip the forged row in
        raw.execute("UPDATE audit SET pos = pos + 1000 WHERE pos >= 4")
        raw.execute("UPDATE audit SET pos = pos - 999 WHERE pos >= 1000")
        raw.execute(f"INSERT INTO audit (pos, {', '.join(forged)}) VALUES (4, {', '.join('?' * len(forged))})",
                    tuple(forged.values()))
    result = _verify(logged)
    assert not result["ok"] and result["position"] == 5 and result["problem"] == "inserted"


def test_rows_cut_from_the_end_are_caught(logged):
    with sqlite3.connect(logged.db) as raw:
        raw.execute("DELETE FROM audit WHERE pos >= 6")
    result = _verify(logged)
    assert not result["ok"] and result["problem"] == "truncated"


def test_a_tampered_row_the_service_cannot_read_is_named(logged):
    with sqlite3.connect(logged.db) as raw:
        raw.execute("UPDATE audit SET networks = 'not json' WHERE pos = 4")
    result = _verify(logged)
    assert not result["ok"] and result["position"] == 4 and result["problem"] == "malformed"
    with pytest.raises(ApiError) as caught:  # exports cannot serve the damaged row: they say where it is
        logged.client().audit_page("searches")
    assert caught.value.status == 500 and "position 4" in caught.value.detail
