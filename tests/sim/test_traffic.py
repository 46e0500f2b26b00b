"""Daily tours: counts and time-of-day shape against their inputs, chains home -> home,
and the camera filter that keeps the day cheap without changing what cameras see."""

from __future__ import annotations

import numpy as np
from scipy.stats import chisquare

from cameras.capture import capture
from scenarios.builder import build_world
from scenarios.files import parse_scenario
from sim.population import HEAVY, NIGHT_WORKER, REGULAR, THROUGH
from sim.random_streams import RandomStreams
from sim.traffic import (
    DAY_S,
    OTHER_TRIP_PROFILE,
    Legs,
    day_passes,
    day_tours,
    expand_legs,
    heavy_legs,
    tour_legs,
)
from tests.sim.conftest import mini_bay_text

WEEKDAY = 0  # 2025-04-01 is a Tuesday: day 0 is a weekday


def _reads_by_camera(world, days=2, seed=3):
    streams = RandomStreams(seed)
    counts = np.zeros(len(world.cameras), np.int64)
    for day in range(days):
        passes = day_passes(world.traffic, day, streams)
        reads = capture(passes, world.cameras, world.traffic.vehicles, world.capture, world.misread, streams,
                        world.start_local_hour).reads
        counts += np.bincount(reads.camera, minlength=len(world.cameras))
    return counts


def test_tour_counts_match_the_survey_rates_within_sampling_error(mini_bay_world):
    traffic = mini_bay_world.traffic
    v, spec = traffic.vehicles, traffic.spec
    vehicle, tour_type, ordinal = day_tours(traffic, WEEKDAY, RandomStreams(11))
    # the two cities' vehicles other than fleets (night workers commute too)
    residents = np.flatnonzero(np.isin(v.kind, [REGULAR, NIGHT_WORKER]) & (v.group < 2))
    errands = np.bincount(vehicle[ordinal > 0], minlength=len(v))[residents]
    se = np.sqrt(spec.other_trips_per_day / len(residents))
    assert abs(errands.mean() - spec.other_trips_per_day) < 4 * se
    commutes = np.bincount(vehicle[ordinal == 0], minlength=len(v))[residents]
    p = spec.commuter_share * (1 - spec.commute_skip_share)
    assert abs(commutes.mean() - p) < 4 * np.sqrt(p * (1 - p) / len(residents))
    # through vehicles cross every day, heavy vehicles make no anchor tours
    assert (np.bincount(vehicle, minlength=len(v))[v.kind == THROUGH] == 1).all()
    assert not np.isin(vehicle, np.flatnonzero(v.kind == HEAVY)).any()


def test_errand_departures_follow_the_survey_time_of_day_profile(mini_bay_world):
    traffic = mini_bay_world.traffic
    vehicle, tour_type, ordinal = day_tours(traffic, WEEKDAY, RandomStreams(12))
    errand = ordinal > 0
    legs = tour_legs(traffic, WEEKDAY, RandomStreams(12), vehicle[errand], tour_type[errand], ordinal[errand])
    first = legs.depart_s[:int(errand.sum())]  # the first part holds every tour's first leg
    hour = ((first / 3600.0 + traffic.start_local_hour) % 24).astype(int)
    observed = np.bincount(hour, minlength=24)
    assert chisquare(observed, OTHER_TRIP_PROFILE * observed.sum()).pvalue > 1e-3
    assert chisquare(observed).pvalue < 1e-6  # and it is not flat


def test_every_tour_chains_from_home_through_its_places_back_home(mini_bay_world):
    traffic = mini_bay_world.traffic
    paths, v = traffic.paths, traffic.vehicles
    vehicle, tour_type, ordinal = day_tours(traffic, WEEKDAY, RandomStreams(13))
    pick = slice(0, 3000)
    legs = tour_legs(traffic, WEEKDAY, RandomStreams(13), vehicle[pick], tour_type[pick], ordinal[pick])
    first_key = legs.tour_key[:3000]
    tours: dict[int, list[int]] = {}
    key_to_tour = {int(k): t for t, k in enumerate(first_key)}
    for i, key in enumerate(legs.tour_key.tolist()):
        for j in range(3):
            if key - j in key_to_tour:
                tours.setdefault(key_to_tour[key - j], []).append(i)
                break
    assert len(tours) == 3000
    for t, idx in tours.items():
        idx = sorted(idx, key=lambda i: legs.depart_s[i])
        origins = paths.pair_origin[legs.pair[idx]]
        dests = paths.pair_dest[legs.pair[idx]]
        home = v.anchor_zone[vehicle[t], 0]
        assert origins[0] == home and dests[-1] == home
        assert (origins[1:] == dests[:-1]).all()
        assert (np.diff(legs.depart_s[idx]) > 0).all()
    # fleet vehicles chain their jobs too, home to home
    heavy = heavy_legs(traffic, WEEKDAY, RandomStreams(13))
    order = np.lexsort((heavy.depart_s, heavy.vehicle))
    veh, o, d = heavy.vehicle[order], paths.pair_origin[heavy.pair[order]], paths.pair_dest[heavy.pair[order]]
    starts = np.r_[True, veh[1:] != veh[:-1]]
    ends = np.r_[veh[1:] != veh[:-1], True]
    assert (o[starts] == v.anchor_zone[veh[starts], 0]).all()
    assert (d[ends] == v.anchor_zone[veh[ends], 0]).all()


def test_skipping_tours_without_cameras_loses_no_pass(mini_bay_world):
    """The day expands only tours flagged as passing a camera: expanding every tour gives
    exactly the same passes."""
    traffic = mini_bay_world.traffic
    streams = RandomStreams(14)
    vehicle, tour_type, ordinal = day_tours(traffic, WEEKDAY, streams)
    everything = expand_legs(traffic, tour_legs(traffic, WEEKDAY, streams, vehicle, tour_type, ordinal), streams)
    flagged = traffic.tour_camera[vehicle, tour_type]
    assert flagged.mean() < 0.9  # the filter does skip tours
    kept = expand_legs(traffic, tour_legs(traffic, WEEKDAY, streams, vehicle[flagged], tour_type[flagged],
                                          ordinal[flagged]), streams)

    def key(p):
        return sorted(zip(p.time_s.tolist(), p.camera.tolist(), p.vehicle.tolist(), strict=True))
    assert len(everything) > 0 and key(everything) == key(kept)


def test_legs_that_pass_no_camera_are_left_out_and_the_rest_are_unchanged(mini_bay_world):
    """``camera_only`` drops exactly the legs whose route holds no checkpoint; the kept
    legs (times, keys, segments) and their order are those of the full list."""
    traffic = mini_bay_world.traffic
    cp = traffic.checkpoints
    for day in (-1, WEEKDAY, 5):
        streams = RandomStreams(16)
        tours = day_tours(traffic, day, streams, camera_only=True)
        for every, some in ((tour_legs(traffic, day, streams, *tours), tour_legs(traffic, day, streams, *tours,
                                                                                camera_only=True)),
                            (heavy_legs(traffic, day, streams), heavy_legs(traffic, day, streams, camera_only=True))):
            passing = cp.counts(every.segment) > 0
            assert 0 < passing.sum() < len(every)
            for name in ("vehicle", "pair", "depart_s", "tour_key", "segment"):
                assert np.array_equal(getattr(every, name)[passing], getattr(some, name)), (day, name)


def test_doubling_a_corridors_through_traffic_raises_its_cameras_reads_and_no_others(mini_bay_world):
    doubled = build_world(parse_scenario(mini_bay_text(through=4000), "<mini-bay x2>"))
    base = _reads_by_camera(mini_bay_world)
    more = _reads_by_camera(doubled)
    v = doubled.traffic.vehicles
    # cameras the through vehicles pass (in the doubled world)
    streams = RandomStreams(3)
    through_cams = set()
    for day in range(2):
        p = day_passes(doubled.traffic, day, streams)
        through_cams |= set(p.camera[v.kind[p.vehicle] == THROUGH].tolist())
    corridor = np.isin(np.arange(len(base)), sorted(through_cams))
    assert corridor.any() and (~corridor).any()
    assert (more[~corridor] == base[~corridor]).all()
    assert more[corridor].sum() > base[corridor].sum()
    chp = doubled.owners.index("california-highway-patrol")
    assert (doubled.cameras.owner[corridor] == chp).all()  # the corridor is the highway


def test_adding_a_camera_leaves_the_other_cameras_reads_unchanged(mini_bay_world):
    extra = """
cameras:
  max_snap_m: 1000
  extra:
    - {id: added-1, owner: oakland-ca-pd, lon: -122.2711, lat: 37.8044}
"""
    more = build_world(parse_scenario(mini_bay_text(extra=extra), "<mini-bay + camera>"))
    assert len(more.cameras) == len(mini_bay_world.cameras) + 1
    base = _reads_by_camera(mini_bay_world)
    with_extra = _reads_by_camera(more)
    assert (with_extra[:-1] == base).all()
    assert with_extra[-1] > 0


def test_each_day_is_drawn_afresh(mini_bay_world):
    a = day_passes(mini_bay_world.traffic, 0, RandomStreams(3))
    b = day_passes(mini_bay_world.traffic, 1, RandomStreams(3))
    assert len(a) and len(b)
    assert b.time_s.min() >= DAY_S - 6 * 3600  # day 1's trips start after day 0's evening
    assert not np.array_equal(np.bincount(a.camera, minlength=len(mini_bay_world.cameras)),
                              np.bincount(b.camera, minlength=len(mini_bay_world.cameras)))


def test_local_hours_of_warm_up_days_before_time_zero_wrap_around_midnight():
    from sim.traffic import _local_hour
    t = np.array([-1800.0, -30 * DAY_S + 3600.0 * 5 + 1, 0.0, 3600.0 * 25])
    assert _local_hour(t, 0.0).tolist() == [23, 5, 0, 1]
    assert _local_hour(t, 6.5).tolist() == [6, 11, 6, 7]


def _expand_legs_numpy(traffic, legs, streams):
    """The numpy expression the compiled expansion replaced: the reference it must equal."""
    from sim.random_streams import combine_keys, keyed_bits
    from sim.records import Passes
    from sim.traffic import _NORMAL_TABLE, CONGESTION, _local_hour

    cp = traffic.checkpoints
    start = cp.seg_ptr[legs.segment]
    counts = cp.seg_ptr[legs.segment + 1] - start
    leg = np.repeat(np.arange(len(legs)), counts)
    entry = start[leg] + np.arange(len(leg)) - np.repeat(np.cumsum(counts) - counts, counts)
    slowdown = CONGESTION[_local_hour(legs.depart_s, traffic.start_local_hour)]
    time_s = np.floor(legs.depart_s[leg] + cp.offset_s[entry] * slowdown[leg]).astype(np.int64)
    camera = cp.camera[entry]
    bits = keyed_bits(combine_keys(legs.tour_key[leg], traffic.camera_key[camera]), streams.stream_key("traffic/speed"))
    noise = 1.0 + 0.08 * _NORMAL_TABLE[(bits[:, 0] >> np.uint64(48)).astype(np.int64)]
    speed = np.clip(cp.speed_mps[entry] / slowdown[leg] * noise, 1.0, 60.0).astype(np.float32)
    return Passes(time_s, camera, legs.vehicle[leg], speed)


def test_compiled_expansion_equals_the_numpy_reference_pass_for_pass(mini_bay_world):
    traffic = mini_bay_world.traffic
    streams = RandomStreams(15)
    for day in (-2, WEEKDAY, 5):  # a warm-up day (negative times), a weekday, a weekend day
        legs = Legs.concat([tour_legs(traffic, day, streams, *day_tours(traffic, day, streams)),
                            heavy_legs(traffic, day, streams)])
        fast, reference = expand_legs(traffic, legs, streams), _expand_legs_numpy(traffic, legs, streams)
        assert len(fast) > 1000
        for name in ("time_s", "camera", "vehicle", "speed_mps"):
            a, b = getattr(fast, name), getattr(reference, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (day, name)
