"""The compiled radix argsort is numpy's stable argsort, on the sizes where it is used."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.radix import distinct, stable_argsort


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([0, 1, 70_000, 200_000]),
       span=st.sampled_from([1, 3, 2**16, 2**31, 37**8, 2**62]), signed=st.booleans(),
       dtype=st.sampled_from([np.int64, np.int32]))
def test_radix_argsort_equals_numpys_stable_argsort(seed, n, span, signed, dtype):
    if dtype is np.int32:
        span = min(span, 2**31 - 1)
    rng = np.random.default_rng(seed)
    lo = -span if signed else 0
    distinct = rng.integers(lo, span, max(n // 10, 1))  # repeats, so stability matters
    values = distinct[rng.integers(0, len(distinct), n)].astype(dtype)
    assert np.array_equal(stable_argsort(values), np.argsort(values, kind="stable"))


def test_plate_codes_of_a_large_store_sort_stably():
    from sim.plates import BASE, PLATE_LEN

    rng = np.random.default_rng(4)
    codes = rng.integers(0, BASE**PLATE_LEN, 50_000)[rng.integers(0, 50_000, 300_000)]
    order = stable_argsort(codes)
    assert np.array_equal(order, np.argsort(codes, kind="stable"))
    assert (np.diff(codes[order]) >= 0).all()


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.integers(-2**62, 2**62), max_size=60), repeat=st.integers(1, 3))
def test_distinct_equals_numpys_unique(values, repeat):
    array = np.array(values * repeat, np.int64)
    assert np.array_equal(distinct(array), np.unique(array))
    assert distinct(array).dtype == np.int64
