import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.requests import ReadQuery
from lookup.store import PatternError, ReadStore, brute_force_find
from sim import plates
from sim.records import READ_COLUMNS, Reads

POOL = ["7ABC123", "7ABC128", "7ABD123", "8XYZ001", "ABC1234", "6TRJ244", "7ABC12", "5SOW350", "5SOW750"]


def make_reads(rng: np.random.Generator, n: int, hours: int = 48) -> Reads:
    time_s = np.sort(rng.integers(0, hours * 3600, n))
    cols = {
        "time_s": time_s,
        "camera": rng.integers(0, 6, n),
        "owner": rng.integers(0, 3, n),
        "plate": plates.encode_many(list(rng.choice(POOL, n))),
        "plate_state": np.zeros(n),
        "confidence": rng.random(n),
        "make": rng.integers(0, 3, n),
        "colour": rng.integers(0, 3, n),
        "body": rng.integers(0, 2, n),
        "vehicle": rng.integers(0, 50, n),
    }
    return Reads.from_columns(cols)


def store_of(reads: Reads, retention_days, batch: int = 37) -> ReadStore:
    store = ReadStore(np.asarray(retention_days))
    for lo in range(0, len(reads), batch):
        store.append(reads.take(slice(lo, lo + batch)))
    return store


queries = st.builds(
    ReadQuery,
    plate=st.one_of(st.none(), st.sampled_from(POOL + ["NOSUCH1"])),
    plate_pattern=st.one_of(st.none(), st.sampled_from(["7ABC???", "7AB*", "*123", "?ABC12?", "5SOW?50", "7*3"])),
    make=st.one_of(st.none(), st.integers(0, 2)),
    start_s=st.one_of(st.none(), st.integers(0, 40 * 3600)),
    end_s=st.one_of(st.none(), st.integers(3600, 50 * 3600)),
    cameras=st.one_of(st.none(), st.sets(st.integers(0, 5), max_size=3).map(lambda s: tuple(sorted(s)))),
)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), query=queries,
       owners=st.one_of(st.none(), st.sets(st.integers(0, 2), min_size=1).map(lambda s: np.array(sorted(s)))),
       now_h=st.one_of(st.none(), st.integers(0, 60)))
def test_every_search_returns_exactly_the_matching_reads(seed, query, owners, now_h):
    if query.plate is not None and query.plate_pattern is not None:
        query = ReadQuery(plate=query.plate, start_s=query.start_s, end_s=query.end_s)
    reads = make_reads(np.random.default_rng(seed), 300)
    retention = np.array([1.0, 0.5, 30.0])
    store = store_of(reads, retention)
    now_s = None if now_h is None else now_h * 3600
    got = store.find(query, owners, now_s)
    want = brute_force_find(reads, query, owners, now_s, retention * 86_400)
    assert got.tolist() == want.tolist()


def test_found_rows_carry_the_right_values():
    reads = make_reads(np.random.default_rng(1), 500)
    store = store_of(reads, [30, 30, 30])
    rows = store.find(ReadQuery(plate="5SOW350"))
    found = store.reads(rows)
    assert len(found) > 0
    assert set(plates.decode_many(found.plate)) == {"5SOW350"}
    for name in READ_COLUMNS:
        assert np.array_equal(getattr(found, name), getattr(reads, name)[rows])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 1000), short=st.floats(0.1, 2.0), extra=st.floats(0.0, 3.0))
def test_longer_retention_never_gives_fewer_results(seed, short, extra):
    reads = make_reads(np.random.default_rng(seed), 400)
    q = ReadQuery(plate_pattern="7AB*")
    a = store_of(reads, [short] * 3)
    b = store_of(reads, [short + extra] * 3)
    now = 48 * 3600
    a.purge(now)
    b.purge(now)
    assert set(a.find(q, now_s=now)) <= set(b.find(q, now_s=now))


def test_purged_reads_are_gone_for_good():
    reads = make_reads(np.random.default_rng(2), 400)
    store = store_of(reads, [0.5, 0.5, 0.5])
    before = store.find(ReadQuery(plate_pattern="7*"))
    store.purge(48 * 3600)
    after = store.find(ReadQuery(plate_pattern="7*"))
    assert len(after) < len(before)
    assert (store.column("time_s", after) >= 48 * 3600 - 0.5 * 86_400).all()


def test_a_bad_pattern_names_itself():
    store = store_of(make_reads(np.random.default_rng(0), 10), [30, 30, 30])
    with pytest.raises(PatternError, match="7A#"):
        store.find(ReadQuery(plate_pattern="7A#"))


def test_a_malformed_exact_plate_finds_nothing_instead_of_failing():
    store = store_of(make_reads(np.random.default_rng(0), 10), [30, 30, 30])
    assert len(store.find(ReadQuery(plate="NOT A PLATE!"))) == 0


def test_batches_out_of_time_order_are_refused():
    store = ReadStore(np.array([30.0]))
    reads = make_reads(np.random.default_rng(0), 20, hours=2)
    store.append(reads.take(slice(10, 20)))
    late = Reads.from_columns({**reads.take(slice(0, 10)).columns(), "time_s": np.zeros(10, np.int64) - 10 * 3600})
    with pytest.raises(ValueError, match="time order"):
        store.append(late)
