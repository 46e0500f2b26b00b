"""Capture by condition: the share of passes photographed, within binomial error."""

from __future__ import annotations

import numpy as np
import pytest

from cameras.capture import capture
from sim.random_streams import RandomStreams
from sim.records import Passes


@pytest.mark.parametrize(("local_hour", "speed_mps", "expected"), [
    (12, 15.0, 0.97),  # day
    (2, 15.0, 0.92),  # night
    (12, 35.0, 0.97 - 0.01 * 10),  # fast: 1% per m/s above 25
])
def test_capture_rate_by_condition_is_within_binomial_error(mini_bay_world, local_hour, speed_mps, expected):
    world = mini_bay_world
    n = 60_000
    rng = np.random.default_rng(local_hour * 100 + int(speed_mps))
    t0 = int((local_hour - world.start_local_hour) % 24 * 3600)
    passes = Passes(np.full(n, t0, np.int64) + rng.integers(0, 1800, n),
                    rng.integers(0, len(world.cameras), n).astype(np.int32),
                    rng.integers(0, len(world.traffic.vehicles), n).astype(np.int32),
                    np.full(n, speed_mps, np.float32))
    result = capture(passes, world.cameras, world.traffic.vehicles, world.capture, world.misread, RandomStreams(5),
                     world.start_local_hour)
    captured = (len(result.reads) + result.no_reads) / n
    assert abs(captured - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
