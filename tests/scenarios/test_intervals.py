"""The interval arithmetic every replicated figure goes through."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from scenarios.intervals import mean_ci95, paired_difference


def test_interval_matches_a_hand_computed_t_interval():
    # mean 2, sample sd 1, n 3: half-width t(0.975, 2) * 1 / sqrt(3) = 4.302653 / 1.732051
    got = mean_ci95([1.0, 2.0, 3.0])
    assert got.n == 3 and got.mean == 2.0
    assert math.isclose(got.hi - 2.0, 4.302652729749464 / math.sqrt(3), rel_tol=1e-9)
    assert math.isclose(2.0 - got.lo, got.hi - 2.0, rel_tol=1e-12)


def test_missing_values_are_left_out_and_counted():
    got = mean_ci95([1.0, None, float("nan"), 3.0])
    assert got.n == 2 and got.mean == 2.0


def test_one_value_gives_a_zero_width_interval_and_none_gives_nan():
    assert mean_ci95([5.0]).as_dict() == {"mean": 5.0, "ci95": [5.0, 5.0], "n": 1}
    assert mean_ci95([]).n == 0 and math.isnan(mean_ci95([]).mean)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30))
def test_the_interval_contains_the_mean(values):
    got = mean_ci95(values)
    assert got.lo <= got.mean + 1e-6 * (1 + abs(got.mean)) and got.mean <= got.hi + 1e-6 * (1 + abs(got.mean))


def test_paired_difference_is_tighter_than_unpaired_under_shared_noise():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 100, 20)  # the seed's world: common to both policies
    a, b = shared + 10, shared + 12 + rng.normal(0, 1, 20)
    paired = paired_difference(list(a), list(b))
    assert 1.0 < paired.mean < 3.0 and paired.hi - paired.lo < 2.0
    unpaired = mean_ci95(list(b)).hi - mean_ci95(list(a)).lo
    assert unpaired > 20 * (paired.hi - paired.lo)
