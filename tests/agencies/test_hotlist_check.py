"""The hotlist check finds exactly the reads a sorted-array join finds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agencies.hotlist_check import PlateFilter
from sim.plates import BASE, PLATE_LEN


def _join(hot: np.ndarray, codes: np.ndarray, time_s: np.ndarray, from_s: float) -> np.ndarray:
    hot = np.sort(hot)
    pos = np.minimum(np.searchsorted(hot, codes), len(hot) - 1)
    return np.flatnonzero((hot[pos] == codes) & (time_s >= from_s))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_hot=st.sampled_from([1, 7, 5_000, 40_000]),
       n_reads=st.sampled_from([0, 1, 3_000]), dense=st.booleans(), from_s=st.sampled_from([-np.inf, -5.5, 0.0, 7.0]))
def test_filter_hits_equal_a_sorted_join(seed, n_hot, n_reads, dense, from_s):
    rng = np.random.default_rng(seed)
    # dense: codes issued in sequence (neighbours of hotlisted plates are read too)
    span = n_hot * 3 if dense else BASE**PLATE_LEN
    hot = rng.integers(0, span, n_hot)
    codes = np.where(rng.random(n_reads) < 0.2, hot[rng.integers(0, n_hot, n_reads)], rng.integers(0, span, n_reads))
    time_s = rng.integers(-20, 20, n_reads)
    found = PlateFilter.of(hot).hits(codes, time_s, from_s)
    assert np.array_equal(found, _join(hot, codes, time_s, from_s))
