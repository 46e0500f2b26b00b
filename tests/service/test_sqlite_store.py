"""The SQLite store answers like the in-memory one, and keeps what it acknowledged."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.audit import GENESIS, NetworkEntry
from lookup.requests import Organization, ReadQuery, SearchRequest
from lookup.sqlite_store import Database, SqliteAuditLog, SqliteRateCounter, SqliteReadStore
from lookup.store import PatternError, ReadStore
from sim import plates
from sim.records import READ_COLUMNS, Reads

POOL = ["7ABC123", "7ABC128", "7ABD123", "8XYZ001", "ABC1234", "6TRJ244", "7ABC12", "5SOW350", "5SOW750"]


def make_reads(rng: np.random.Generator, n: int, hours: int = 48) -> Reads:
    return Reads.from_columns({
        "time_s": np.sort(rng.integers(0, hours * 3600, n)), "camera": rng.integers(0, 6, n),
        "owner": rng.integers(0, 3, n), "plate": plates.encode_many(list(rng.choice(POOL, n))),
        "plate_state": np.zeros(n), "confidence": rng.random(n), "make": rng.integers(0, 3, n),
        "colour": rng.integers(0, 3, n), "body": rng.integers(0, 2, n), "vehicle": rng.integers(0, 50, n)})


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The same 400 reads, in the same batches, in both stores."""
    reads = make_reads(np.random.default_rng(3), 400)
    retention = np.array([1.0, 0.5, 30.0])
    memory = ReadStore(retention)
    db = Database(tmp_path_factory.mktemp("store") / "reads.sqlite")
    disk = SqliteReadStore(db, retention)
    for lo in range(0, len(reads), 37):
        batch = reads.take(slice(lo, lo + 37))
        memory.append(batch)
        disk.append(batch)
    return memory, disk


queries = st.builds(
    ReadQuery,
    plate=st.one_of(st.none(), st.sampled_from(POOL + ["NOSUCH1", "7-abc 123"])),
    plate_pattern=st.one_of(st.none(), st.sampled_from(["7ABC???", "7AB*", "*123", "?ABC12?", "5SOW?50", "7*3"])),
    make=st.one_of(st.none(), st.integers(0, 2)),
    start_s=st.one_of(st.none(), st.integers(0, 40 * 3600)),
    end_s=st.one_of(st.none(), st.integers(3600, 50 * 3600)),
    cameras=st.one_of(st.none(), st.sets(st.integers(0, 5), max_size=3).map(lambda s: tuple(sorted(s)))),
)


@settings(max_examples=120, deadline=None)
@given(query=queries, owners=st.one_of(st.none(), st.sets(st.integers(0, 2), min_size=1).map(
    lambda s: np.array(sorted(s)))), now_h=st.one_of(st.none(), st.integers(0, 60)))
def test_every_search_returns_the_same_rows_as_the_memory_store(stores, query, owners, now_h):
    memory, disk = stores
    now_s = None if now_h is None else now_h * 3600
    expected = memory.find(query, owners, now_s)
    got = disk.find(query, owners, now_s)
    np.testing.assert_array_equal(got, expected)
    for name in ("owner", "time_s", "plate"):
        np.testing.assert_array_equal(disk.column(name, got), memory.column(name, expected))


def test_a_bad_pattern_is_refused_like_the_memory_store(stores):
    _, disk = stores
    with pytest.raises(PatternError):
        disk.find(ReadQuery(plate_pattern="7A$*"))


@pytest.mark.parametrize("retention_days, now_h", [((1.0, 0.5, 30.0), 40), ((0.5, 0.25, 1.0), 60)])
def test_purge_drops_the_same_rows_and_they_never_come_back(tmp_path, retention_days, now_h):
    reads = make_reads(np.random.default_rng(5), 300)
    retention = np.array(retention_days)
    memory, disk = ReadStore(retention), SqliteReadStore(Database(tmp_path / "p.sqlite"), retention)
    memory.append(reads)
    disk.append(reads)
    memory.find(ReadQuery(plate="7ABC123"))  # index it, so that its purge drops rows too
    dropped = disk.purge(now_h * 3600)
    assert dropped == memory.purge(now_h * 3600) > 0
    for query in (ReadQuery(), ReadQuery(plate="7ABC123"), ReadQuery(plate_pattern="7AB*")):
        np.testing.assert_array_equal(disk.find(query, now_s=10 * 3600), memory.find(query, now_s=10 * 3600))
    assert disk.count() == len(reads) - dropped and len(disk) == len(reads)
    with sqlite3.connect(tmp_path / "p.sqlite") as raw:  # the view over the day tables agrees
        assert raw.execute("SELECT count(*) FROM reads").fetchone()[0] == disk.count()
    reopened = SqliteReadStore(Database(tmp_path / "p.sqlite"), retention)
    np.testing.assert_array_equal(reopened.find(ReadQuery(), now_s=0), memory.find(ReadQuery(), now_s=0))


def test_batches_are_idempotent_by_id_and_survive_reopening(tmp_path):
    path = tmp_path / "b.sqlite"
    reads = make_reads(np.random.default_rng(1), 50)
    store = SqliteReadStore(Database(path))
    assert store.append(reads, (0, "batch-1")) == (0, 50, False)
    assert store.append(reads, (0, "batch-1")) == (0, 50, True)
    assert store.append(reads, (1, "batch-1")) == (50, 50, False)  # batch ids are per owner
    again = SqliteReadStore(Database(path))
    assert len(again) == 100 and again.count() == 100
    back = again.reads(np.arange(50))
    for name in READ_COLUMNS:
        np.testing.assert_array_equal(getattr(back, name), getattr(reads, name))


def test_a_batch_that_fails_midway_leaves_nothing(tmp_path):
    store = SqliteReadStore(Database(tmp_path / "f.sqlite"))
    good = make_reads(np.random.default_rng(2), 20)
    bad = Reads(**{**good.columns(), "time_s": np.array([0] * 19 + [2**70], dtype=object)})
    with pytest.raises(OverflowError):
        store.append(bad)
    assert store.count() == 0 and len(store) == 0
    assert store.append(good)[:2] == (0, 20)


ORG = Organization("chp", "California Highway Patrol", "state", "CA")


def _request(i: int) -> SearchRequest:
    return SearchRequest(f"r{i}", "chp", "officer", 100 + i, "stolen vehicle", "plate", ReadQuery(plate="7ABC123"),
                         case_number=f"26-{i:04d}")


def test_audit_rows_chain_on_disk_and_verify_after_reopening(tmp_path):
    path = tmp_path / "a.sqlite"
    log = SqliteAuditLog(Database(path))
    rows = [log.append(_request(i), ORG, [NetworkEntry("oak", 10, "allow", "open/default", True, i)])
            for i in range(5)]
    assert rows[0].prev_hash == GENESIS and rows[1].prev_hash == rows[0].row_hash
    reopened = SqliteAuditLog(Database(path))
    assert reopened.head_hash == rows[-1].row_hash and len(reopened) == 5
    assert reopened.rows() == rows
    assert reopened.verify().ok
    assert [r.seq for r in reopened.for_owner("oak")] == [0, 1, 2, 3, 4]
    assert reopened.find_request("chp", "r3") == rows[3]
    assert reopened.find_request("someone-else", "r3") is None


def test_a_truncated_chain_is_caught_by_the_head_kept_beside_it(tmp_path):
    path = tmp_path / "t.sqlite"
    log = SqliteAuditLog(Database(path))
    for i in range(4):
        log.append(_request(i), ORG, [])
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM audit WHERE pos = 3")
    result = SqliteAuditLog(Database(path)).verify()
    assert not result.ok and result.problem == "truncated"


def test_rate_counts_survive_a_restart_and_roll_back_with_their_transaction(tmp_path):
    path = tmp_path / "r.sqlite"
    db = Database(path)
    rates = SqliteRateCounter(db)
    rates.record(["p/r/chp"], 10.0)
    rates.record(["p/r/chp"], 20.0)
    with pytest.raises(RuntimeError), db.transaction():
        rates.record(["p/r/chp"], 30.0)
        raise RuntimeError("the search failed after counting")
    assert list(rates.times_since("p/r/chp", 0)) == [10.0, 20.0]
    assert list(SqliteRateCounter(Database(path)).times_since("p/r/chp", 15)) == [20.0]
