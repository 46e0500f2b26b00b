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


def test_fused_capture_makes_the_same_reads_as_the_stepwise_numpy_path(mini_bay_world):
    """The compiled capture draws and rounds exactly as the numpy steps do: day and night,
    slow and fast (float32 speed loss), warm-up (negative) times, every column equal."""
    from cameras.capture import capture_stepwise
    from cameras.misread import prior_misread_model

    world = mini_bay_world
    n = 80_000
    rng = np.random.default_rng(11)
    passes = Passes(np.sort(rng.integers(-3 * 86_400, 2 * 86_400, n)),
                    rng.integers(0, len(world.cameras), n).astype(np.int32),
                    rng.integers(0, len(world.traffic.vehicles), n).astype(np.int32),
                    rng.uniform(1.0, 45.0, n).astype(np.float32))
    # a model with frequent errors, so that substitutions and wrong fingerprints are many
    prior = prior_misread_model()
    noisy = type(prior)("noisy", prior.conditions, prior.p_no_read, np.minimum(prior.p_char_error * 8, 0.9),
                        prior.confusion)
    for model in (world.misread, noisy):
        args = (passes, world.cameras, world.traffic.vehicles, world.capture, model, RandomStreams(7),
                world.start_local_hour)
        fused, stepwise = capture(*args), capture_stepwise(*args)
        assert fused.no_reads == stepwise.no_reads and fused.passes == stepwise.passes
        assert 0.5 * n < len(fused.reads) < n
        for name in ("time_s", "camera", "owner", "plate", "plate_state", "confidence", "make", "colour", "body",
                     "vehicle"):
            a, b = getattr(fused.reads, name), getattr(stepwise.reads, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    misread = (fused.reads.plate != world.traffic.vehicles.plate[fused.reads.vehicle]).mean()
    assert misread > 0.3  # the noisy model really exercised the substitutions
