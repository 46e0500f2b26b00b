"""Searches share a COMMIT (lookup.api.group_commit), and none is answered before it:
a failed COMMIT fails every search in it, writes none of their audit rows, and leaves the
service as it was."""

from __future__ import annotations

import asyncio
import sqlite3

import numpy as np
import pytest

from lookup.access import Conflict, Principal, SharingSettings
from lookup.api.group_commit import GroupCommit
from lookup.persistent import PersistentService
from lookup.requests import Organization, ReadQuery, SearchRequest
from sim.plates import encode
from sim.records import Reads

ADMIN = Principal("admin", "admin", None)
AGENCY = Principal("k", "agency", "alameda")
OPEN = {"name": "open", "source": "test", "layers": [{"policy": {
    "name": "open", "source": "test", "layer": "baseline", "default": "allow"}}]}


@pytest.fixture()
def service(tmp_path):
    service = PersistentService(tmp_path / "s.sqlite", "admin-key")
    service.create_org(ADMIN, Organization("oakland", "Oakland PD", "local", "CA"), owns_cameras=True, devices=5,
                       retention_days=3650)
    service.create_org(ADMIN, Organization("alameda", "Alameda SO", "sheriff", "CA"))
    service.set_pack(ADMIN, OPEN)
    service.set_sharing(ADMIN, SharingSettings(("alameda",), True, False), "oakland")
    n = 10
    service.ingest(Principal("cam", "camera", "oakland"), Reads.from_columns({
        "time_s": np.arange(n) * 60, "camera": np.arange(n) % 3, "owner": np.zeros(n),
        "plate": np.full(n, encode("7ABC123")), "plate_state": np.zeros(n), "confidence": np.ones(n),
        "make": np.zeros(n), "colour": np.zeros(n), "body": np.zeros(n), "vehicle": np.full(n, -1)}), "seed")
    service.set_clock(ADMIN, 3_600)
    yield service
    service.close()


def request(i: int) -> SearchRequest:
    return SearchRequest(f"r{i}", "alameda", "officer", 0, "stolen vehicle", "plate", ReadQuery(plate="7ABC123"))


def stored_request_ids(service: PersistentService) -> list[str]:
    with sqlite3.connect(service.db.path) as other:  # what another process would read
        return [r[0] for r in other.execute("SELECT request_id FROM audit ORDER BY pos")]


def test_searches_ready_together_share_one_commit_and_are_answered_after_it(service):
    group = GroupCommit(service.db)

    async def main():
        async def one(i):
            pending = group.run(service.search, AGENCY, request(i))
            assert not pending.done()  # not answered before the commit
            assert f"r{i}" not in stored_request_ids(service)
            return await pending

        return await asyncio.gather(*(one(i) for i in range(4)))

    served = asyncio.run(main())
    assert [s.outcome.audit.request_id for s in served] == ["r0", "r1", "r2", "r3"]
    assert all(len(s.outcome.rows) == 10 for s in served)
    assert (group.calls, group.commits) == (4, 1)
    assert stored_request_ids(service) == ["r0", "r1", "r2", "r3"]
    assert service.audit.verify().ok


def test_a_refused_search_in_a_group_undoes_only_itself(service):
    group = GroupCommit(service.db)

    async def main():
        first = group.run(service.search, AGENCY, request(0))
        with pytest.raises(Conflict):
            group.run(service.search, AGENCY, request(0))  # the same request id, in the same group
        third = group.run(service.search, AGENCY, request(2))
        return await first, await third

    asyncio.run(main())
    assert stored_request_ids(service) == ["r0", "r2"]
    assert service.audit.verify().ok


def test_a_failed_commit_fails_every_search_in_it_and_writes_none_of_their_rows(service):
    service.search(AGENCY, request(0))  # committed on its own, before
    with service.db.transaction() as conn:  # a row that makes COMMIT itself fail: a deferred key
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
    service.db.conn.execute("PRAGMA foreign_keys = ON")
    group = GroupCommit(service.db)

    def orphan():
        service.db.conn.execute("INSERT INTO child VALUES (42)")

    async def main():
        pending = [group.run(service.search, AGENCY, request(1)), group.run(orphan),
                   group.run(service.search, AGENCY, request(2))]
        return await asyncio.gather(*pending, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert all(isinstance(o, sqlite3.IntegrityError) for o in outcomes), outcomes
    assert group.commits == 0
    assert stored_request_ids(service) == ["r0"]
    assert len(service.audit) == 1  # its cached head and count were reloaded
    assert not service.db.conn.in_transaction
    # the service goes on: the next search links to the last row that was written
    again = service.search(AGENCY, request(1))
    assert again.outcome.audit.seq == 1
    assert stored_request_ids(service) == ["r0", "r1"]
    assert service.audit.verify().ok


def test_a_search_runs_in_a_worker_thread_when_another_thread_holds_the_database(service):
    import threading

    group = GroupCommit(service.db)
    held, release = threading.Event(), threading.Event()

    def hold():
        with service.db.lock:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)

    async def main():
        return group.run(service.search, AGENCY, request(0))

    try:
        assert asyncio.run(main()) is None  # not run: the caller hands it to a worker thread
    finally:
        release.set()
        holder.join()
    assert group.calls == 0 and stored_request_ids(service) == []
