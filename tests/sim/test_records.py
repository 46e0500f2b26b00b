"""The run's records: which rows are the measured period's, without copying a state's reads."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import records as records_module
from sim.records import READ_COLUMNS, Cameras, Reads, RunRecords, Vehicles


def _records(time_s: np.ndarray, warmup_days: int = 1) -> RunRecords:
    n = len(time_s)
    reads = Reads.from_columns({name: np.arange(n) % 7 for name in READ_COLUMNS} | {"time_s": time_s})
    z8, z = np.zeros(1, np.uint8), np.zeros(1, np.int32)
    vehicles = Vehicles(np.ones(1, np.int64), z8, z8, z8, z8, z, z, z.astype(np.int16), z.astype(bool),
                        np.zeros((1, 8), np.uint8))
    cams = Cameras(("c",), np.zeros(1, np.int16), np.zeros(1), np.zeros(1), np.zeros(1, np.int32),
                   np.zeros(1, np.float32), np.zeros(1, bool), np.ones(1, np.uint64))
    return RunRecords(1, 1.0, ("o",), cams, vehicles, reads, "x", 0, n, warmup_days=warmup_days)


def test_measured_reads_after_the_warm_up_are_views_of_the_store_columns():
    records = _records(np.array([-90, -50, -1, 0, 3, 40]))
    assert records.measured_rows() == slice(3, 6)
    measured = records.measured_reads()
    assert measured.time_s.tolist() == [0, 3, 40]
    assert np.shares_memory(measured.vehicle, records.reads.vehicle)  # no copy of the columns
    assert records.measured().tolist() == [3, 4, 5]


def test_a_warm_up_read_after_a_measured_one_falls_back_to_an_index():
    records = _records(np.array([-5, 2, -1, 7]))
    rows = records.measured_rows()
    assert not isinstance(rows, slice)
    assert rows.tolist() == [1, 3]
    assert records.measured_reads().time_s.tolist() == [2, 7]


def test_without_a_warm_up_every_read_is_measured():
    records = _records(np.array([-5, 2, -1]), warmup_days=0)
    assert records.measured_rows() == slice(0, 3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-10, 10), max_size=60), st.booleans(), st.integers(1, 8))
def test_measured_rows_are_exactly_the_rows_from_time_zero(times, in_order, scan_rows):
    time_s = np.sort(np.array(times, np.int64)) if in_order else np.array(times, np.int64)
    records = _records(time_s)
    old = records_module._SCAN_ROWS
    records_module._SCAN_ROWS = scan_rows  # chunk edges anywhere in the column
    try:
        rows = records.measured_rows()
    finally:
        records_module._SCAN_ROWS = old
    assert np.arange(len(time_s))[rows].tolist() == np.flatnonzero(time_s >= 0).tolist()
    if in_order:
        assert isinstance(rows, slice)


def test_time_is_stored_in_32_bits_and_hashed_as_before():
    time_s = np.array([-86_400 * 30, 0, 86_400 * 30], np.int64)
    wide = Reads(**{name: np.arange(3).astype(dt) for name, dt in READ_COLUMNS.items()} | {"time_s": time_s})
    narrow = Reads.from_columns(wide.columns())
    assert narrow.time_s.dtype == np.int32 and narrow.time_s.tolist() == time_s.tolist()
    # the hash covers time as int64, whichever width a producer hands over
    assert records_module.reads_sha256(narrow) == records_module.reads_sha256(wide)
    h = records_module.hashlib.sha256()
    h.update(time_s.tobytes())
    hasher = records_module.RecordsHasher()
    hasher.update(narrow)
    assert hasher._digests["time_s"].digest() == h.digest()


def test_a_time_a_32_bit_column_would_wrap_is_refused():
    columns = {name: np.zeros(2, dt) for name, dt in READ_COLUMNS.items()}
    with np.testing.assert_raises_regex(ValueError, "time_s 2147483648 is outside"):
        Reads.from_columns(columns | {"time_s": np.array([0, 2**31], np.int64)})
    with np.testing.assert_raises_regex(ValueError, "outside the stored range"):
        Reads(**columns | {"time_s": np.array([-(2**31) - 1, 0], np.int64)})
