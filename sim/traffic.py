"""Daily tours and the camera passes they make, in numpy batches.

Each vehicle's day is a set of tours between its anchor places (``sim.tours``): a
commute on weekdays, errands (home -> place [-> place] -> home) at survey rates, and a
heavy tail of fleet and ride-hail vehicles making many trips to changing places. When the
traffic is built, every leg a vehicle can drive is looked up once: how many checkpoints
it passes on the vehicle's habitual streets. A day then draws every vehicle's tours (a
few cheap columns), keeps only the tours that pass a camera, and expands just those into
passes. Tour counts and types come from per-group streams drawn independently of the
cameras, and each tour's times are keyed by the tour itself, so adding a camera changes
no other camera's passes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np
from scipy.special import ndtri

from sim.compiled_traffic import (
    expand_kernel,
    group_tours_kernel,
    tour_legs_kernel,
    vehicle_legs_kernel,
)
from sim.paths import ROUTE_GRID_BITS, CheckpointPaths, ZonePaths, stable_argsort
from sim.population import (
    HEAVY,
    NIGHT_WORKER,
    THROUGH,
    DestinationChoice,
    PopulationSpec,
    place_weights,
)
from sim.random_streams import RandomStreams, combine_keys, keyed_uniforms
from sim.records import Passes, Vehicles
from sim.roads import RoadNetwork
from sim.tours import TourTable, tour_table

DAY_S = 86_400
BUILD_THREADS = 2  # threads that find the vehicles' legs when the traffic is built
# Share of non-commute trips starting in each local hour: the shape of US travel-survey
# trip start times (NHTS 2017, all purposes), rounded; assumption, not checked here against
# the published tables.
OTHER_TRIP_PROFILE = np.array([0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.6, 4.4, 5.2, 5.4, 5.9, 6.6,
                               7.2, 7.0, 6.9, 7.3, 7.8, 7.6, 6.2, 4.8, 3.6, 2.7, 1.9, 1.1])
OTHER_TRIP_PROFILE = OTHER_TRIP_PROFILE / OTHER_TRIP_PROFILE.sum()
_PROFILE_CUM = np.cumsum(OTHER_TRIP_PROFILE)
# standard normal quantiles on a 2**-16 grid: a per-pass normal is one table look-up
_NORMAL_TABLE = ndtri((np.arange(2**16) + 0.5) / 2**16)
# Peak-hour slowdown: travel times stretch by this factor in each local hour.
CONGESTION = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.45, 1.5, 1.3, 1.15, 1.15,
                       1.2, 1.15, 1.15, 1.25, 1.45, 1.55, 1.4, 1.2, 1.1, 1.05, 1.0, 1.0])
WEEKEND_OTHER_FACTOR = 1.15
DWELL_MEAN_S = 1.2 * 3600  # at an errand stop (assumption)
HEAVY_DWELL_MEAN_S = 0.3 * 3600  # between a fleet vehicle's jobs (assumption)
# Commute departure (local hour, mean and sd) and hours at work: day and night shifts.
COMMUTE_DEPART_H = {"day": (7.6, 1.1), "night": (20.5, 2.0)}
WORK_HOURS = (8.8, 1.0)


@dataclass(frozen=True)
class Traffic:
    """Everything needed to turn a day number into passes."""

    net: RoadNetwork
    paths: ZonePaths
    checkpoints: CheckpointPaths
    vehicles: Vehicles
    spec: PopulationSpec
    destinations: tuple[DestinationChoice, ...]  # per home region
    start_local_hour: float  # local clock hour at time 0
    start_weekday: int  # 0 = Monday, of day 0
    camera_key: np.ndarray  # uint64 per camera (stable ids), for per-pass draws
    group_names: tuple[str, ...]
    group_ptr: np.ndarray  # (G + 1,) vehicles of group g are group_ptr[g]:group_ptr[g + 1]
    tour_camera: np.ndarray  # (N, T) bool: the vehicle's tour of that type passes a camera
    leg_segment: np.ndarray  # (N, L) int32 the checkpoint segment of each of the vehicle's legs
    leg_camera: np.ndarray  # (N, L) bool: that leg passes a camera

    @property
    def tours(self) -> TourTable:
        return tour_table(self.spec.places_per_vehicle)


@dataclass(frozen=True)
class Legs:
    """Trips (legs of tours) to expand into passes."""

    vehicle: np.ndarray  # int32
    pair: np.ndarray  # int64 zone pair
    depart_s: np.ndarray  # float64
    tour_key: np.ndarray  # uint64, for per-pass draws
    segment: np.ndarray  # int64 checkpoint segment (CheckpointPaths) of the leg's route

    def __len__(self) -> int:
        return len(self.vehicle)

    @classmethod
    def concat(cls, parts: list[Legs]) -> Legs:
        if not parts:
            return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.uint64),
                       np.zeros(0, np.int64))
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


def _local_hour(time_s: np.ndarray, start_local_hour: float) -> np.ndarray:
    # + 24,000 h: warm-up days run at negative times; truncation must not cross zero
    return ((time_s * (1 / 3600.0) + (start_local_hour + 24_000.0)).astype(np.int64)) % 24


# The route key of every leg from or to home: a vehicle leaves and reaches its home by the
# same street of each bundle whatever the other end, so the cameras on its home street read
# it on every such trip (and the others on none), as a street of real homes would be.
HOME_ROUTE_KEY = np.uint64(2**63 - 1)


def route_fractions(vehicle: np.ndarray, pair: np.ndarray, home_leg: np.ndarray | None = None) -> np.ndarray:
    """A vehicle's habitual street choice on a route, in [0, 1): a hash of the vehicle and
    the pair, or of the vehicle alone on legs from or to home (``home_leg``)."""
    route = pair.astype(np.uint64) if home_leg is None else np.where(home_leg, HOME_ROUTE_KEY, pair.astype(np.uint64))
    keys = combine_keys(vehicle.astype(np.uint64), route)
    return (keys >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def leg_segments(cp: CheckpointPaths, vehicle: np.ndarray, pair: np.ndarray,
                 home_leg: np.ndarray | None = None) -> np.ndarray:
    """The checkpoint segment of each leg: which checkpoints its habitual streets pass."""
    return cp.segments(pair, route_fractions(vehicle, pair, home_leg))


def make_traffic(net: RoadNetwork, paths: ZonePaths, cp: CheckpointPaths, vehicles: Vehicles, spec: PopulationSpec,
                 destinations: tuple[DestinationChoice, ...], start_local_hour: float, start_weekday: int,
                 camera_key: np.ndarray, group_names: tuple[str, ...]) -> Traffic:
    """The traffic of a population: which of each vehicle's tours pass a camera, found once."""
    table = tour_table(spec.places_per_vehicle)
    n = len(vehicles.anchor_zone)
    leg_segment = np.empty((n, len(table.leg_anchors)), np.int32)
    leg_camera = np.zeros((n, len(table.leg_anchors)), bool)
    tour_camera = np.zeros((n, table.n_types), bool)

    def block(lo: int, hi: int) -> None:
        vehicle_legs_kernel(vehicles.anchor_zone, table.leg_anchors.astype(np.int64), table.legs.astype(np.int64),
                            paths.zone_block, paths.zone_local, paths.zone_block_size, cp.seg_key, cp.bucket_seg,
                            cp.seg_ptr, ROUTE_GRID_BITS, cp.bucket_bits, HOME_ROUTE_KEY, lo, hi,
                            leg_segment, leg_camera, tour_camera)

    # vehicles are independent: one block per core, each filling its own rows (threads,
    # not OpenMP, which must not be running when a sweep forks its workers)
    cut = np.linspace(0, n, BUILD_THREADS + 1).astype(np.int64)
    with ThreadPoolExecutor(max_workers=BUILD_THREADS, thread_name_prefix="alprsim-legs") as pool:
        list(pool.map(block, cut[:-1], cut[1:]))
    group_ptr = np.searchsorted(vehicles.group, np.arange(len(group_names) + 1))
    return Traffic(net, paths, cp, vehicles, spec, destinations, start_local_hour, start_weekday,
                   np.asarray(camera_key, np.uint64), group_names, group_ptr, tour_camera, leg_segment, leg_camera)


def _tour_uniforms(vehicle: np.ndarray, day: int, ordinal: np.ndarray, streams: RandomStreams, count: int) -> np.ndarray:
    keys = combine_keys(vehicle.astype(np.uint64), np.uint64(day + 2**20), ordinal.astype(np.uint64))
    return keys, keyed_uniforms(keys, streams.stream_key("traffic/tours"), count)


def _clipped_normal(u: np.ndarray, mean: float, sd: float, lo: float, hi: float) -> np.ndarray:
    return np.clip(mean + sd * ndtri(np.clip(u, 1e-12, 1 - 1e-12)), lo, hi)


def day_tours(traffic: Traffic, day: int, streams: RandomStreams,
              camera_only: bool = False) -> tuple[np.ndarray, ...]:
    """(vehicle, tour type, ordinal) of every tour of one day by the regular and through
    vehicles (heavy vehicles: ``heavy_legs``); with ``camera_only``, only the tours that
    pass a camera (``Traffic.tour_camera``), drawn the same way.

    Per group: one uniform per vehicle decides whether it commutes, and (rescaled) whether
    it stops at a place on the way home, and which; a Poisson count of errands, each with
    one uniform that picks single or chained, the first place and the second.
    """
    spec, v, table = traffic.spec, traffic.vehicles, traffic.tours
    weekday = (traffic.start_weekday + day) % 7 < 5
    w = place_weights(table.k)
    cum_w = np.cumsum(w)
    out = []
    for g, name in enumerate(traffic.group_names):
        lo, hi = int(traffic.group_ptr[g]), int(traffic.group_ptr[g + 1])
        if hi == lo:
            continue
        rng = streams.generator(f"traffic/day/{day}/{name}")
        n = hi - lo
        kind = v.kind[lo:hi]
        u = rng.random(n)
        rate = spec.through_trips_per_day if name == "external" else spec.other_trips_per_day
        rate *= 1.0 if weekday else WEEKEND_OTHER_FACTOR
        counts = rng.poisson(rate, n)
        counts[(kind == HEAVY) | (kind == THROUGH)] = 0
        u_errand = rng.random(int(counts.sum()))
        out.append(group_tours_kernel(lo, kind, v.commuter[lo:hi], u, counts, u_errand, weekday,
                                      spec.commute_skip_share if weekday else 0.0, spec.chained_stop_share, cum_w, w,
                                      HEAVY, THROUGH, traffic.tour_camera, camera_only))
    if not out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return tuple(np.concatenate([o[i] for o in out]) for i in range(3))


def _slowdown(depart_s: np.ndarray, traffic: Traffic) -> np.ndarray:
    return CONGESTION[_local_hour(depart_s, traffic.start_local_hour)]


def tour_legs(traffic: Traffic, day: int, streams: RandomStreams, vehicle: np.ndarray, tour_type: np.ndarray,
              ordinal: np.ndarray, camera_only: bool = False) -> Legs:
    """The legs of the given tours with their departure times (keyed by each tour): all
    first legs, then second legs, then third legs; with ``camera_only``, only the legs
    that pass a camera (``Traffic.leg_camera``), in the same order and with the same times."""
    v, table, paths = traffic.vehicles, traffic.tours, traffic.paths
    day0 = day * DAY_S - traffic.start_local_hour * 3600.0  # local midnight of this day
    keys, u = _tour_uniforms(vehicle, day, ordinal, streams, 5)
    kind = v.kind[vehicle]
    start_h = np.minimum(np.searchsorted(_PROFILE_CUM, u[:, 0]), 23) + u[:, 1]
    # commutes (not through traffic) leave at the shift's hour instead
    for shift, mask, lo, hi in (("day", kind != NIGHT_WORKER, 4.5, 11.0), ("night", kind == NIGHT_WORKER, 14.0, 27.0)):
        c = np.flatnonzero((ordinal == 0) & (kind != THROUGH) & mask)
        start_h[c] = _clipped_normal(u[c, 0], *COMMUTE_DEPART_H[shift], lo, hi)
    # time spent at a stop: a shift at work (through traffic: the far end), else an errand
    dwell_first = -DWELL_MEAN_S * np.log1p(-u[:, 3])
    dwell_later = -DWELL_MEAN_S * np.log1p(-u[:, 4])
    at_work = np.flatnonzero(table.stops[tour_type, 1] == 1)
    work_s = np.zeros(len(vehicle))
    work_s[at_work] = _clipped_normal(u[at_work, 2], *WORK_HOURS, 4.0, 12.0) * 3600
    return Legs(*tour_legs_kernel(
        np.ascontiguousarray(vehicle, np.int64), np.ascontiguousarray(tour_type, np.int64), keys, start_h,
        dwell_first, dwell_later, work_s, table.stops, table.legs, v.anchor_zone, traffic.leg_segment,
        paths.zone_block, paths.zone_local, paths.zone_block_size, paths.pair_time_s, CONGESTION,
        float(traffic.start_local_hour), float(day0), traffic.leg_camera, camera_only))


def heavy_legs(traffic: Traffic, day: int, streams: RandomStreams, camera_only: bool = False) -> Legs:
    """Fleet and ride-hail vehicles: a chain of trips from home to places drawn afresh each
    day (gravity model from home) and back home at the end; with ``camera_only``, only the
    trips that pass a camera."""
    v, spec, paths = traffic.vehicles, traffic.spec, traffic.paths
    heavy = np.flatnonzero(v.kind == HEAVY) if v.kind is not None else np.zeros(0, np.int64)
    if not len(heavy):
        return Legs.concat([])
    rng = streams.generator(f"traffic/heavy/{day}")
    weekday = (traffic.start_weekday + day) % 7 < 5
    n_trips = rng.poisson(spec.heavy_trips_per_day * (1.0 if weekday else 0.8), len(heavy))
    start_h = np.clip(rng.normal(8.0, 3.0, len(heavy)), 0.0, 20.0)
    active = n_trips > 0
    heavy, n_trips, start_h = heavy[active], np.maximum(n_trips[active], 2), start_h[active]
    leg_vehicle = np.repeat(heavy, n_trips)
    first_of = np.cumsum(n_trips) - n_trips
    step = np.arange(len(leg_vehicle)) - np.repeat(first_of, n_trips)
    last = step == np.repeat(n_trips, n_trips) - 1
    home = v.anchor_zone[leg_vehicle, 0].astype(np.int64)
    group = v.group[leg_vehicle]
    stop = np.empty(len(leg_vehicle), np.int64)
    u = rng.random(len(leg_vehicle))
    for g in np.unique(group):
        m = group == g
        stop[m] = traffic.destinations[g].sample(paths, home[m], u[m])
    stop[last] = home[last]
    origin = np.where(step == 0, home, np.roll(stop, 1))
    pair = paths.pair(origin, stop)
    day0 = day * DAY_S - traffic.start_local_hour * 3600.0
    trip_s = paths.pair_time_s[pair] * 1.2 + rng.exponential(HEAVY_DWELL_MEAN_S, len(leg_vehicle))
    before = np.cumsum(trip_s) - trip_s
    before -= np.repeat(before[first_of], n_trips)
    depart = day0 + np.repeat(start_h * 3600, n_trips) + before
    keys = combine_keys(leg_vehicle.astype(np.uint64), np.uint64(day + 2**21), step.astype(np.uint64))
    keep = np.flatnonzero(origin != stop)
    vehicle, pair = leg_vehicle[keep], pair[keep]
    home_leg = ((origin == home) | (stop == home))[keep]
    segment = leg_segments(traffic.checkpoints, vehicle, pair, home_leg)
    if camera_only:
        some = np.flatnonzero(traffic.checkpoints.counts(segment) > 0)
        keep, vehicle, pair, segment = keep[some], vehicle[some], pair[some], segment[some]
    return Legs(vehicle.astype(np.int32), pair, depart[keep], keys[keep], segment)


def day_legs(traffic: Traffic, day: int, streams: RandomStreams) -> Legs:
    """Every leg of the day that passes a camera (tours that pass none are never expanded)."""
    legs = tour_legs(traffic, day, streams, *day_tours(traffic, day, streams, camera_only=True), camera_only=True)
    return Legs.concat([legs, heavy_legs(traffic, day, streams, camera_only=True)])


def expand_legs(traffic: Traffic, legs: Legs, streams: RandomStreams) -> Passes:
    """The passes of the given legs, in leg order then path order (not sorted by time)."""
    cp = traffic.checkpoints
    return Passes(*expand_kernel(cp.seg_ptr, np.ascontiguousarray(legs.segment, np.int64),
                                 np.ascontiguousarray(legs.depart_s, np.float64),
                                 np.ascontiguousarray(legs.tour_key, np.uint64),
                                 np.ascontiguousarray(legs.vehicle, np.int32), cp.offset_s, cp.camera, cp.speed_mps,
                                 traffic.camera_key, CONGESTION, float(traffic.start_local_hour),
                                 streams.stream_key("traffic/speed"), _NORMAL_TABLE))


def day_passes(traffic: Traffic, day: int, streams: RandomStreams) -> Passes:
    """Every checkpoint pass of the trips departing on ``day``, sorted by time."""
    passes = expand_legs(traffic, day_legs(traffic, day, streams), streams)
    return passes.take(time_order(passes.time_s))


def time_order(time_s: np.ndarray) -> np.ndarray:
    """The stable order of passes by time (``np.argsort(time_s, kind="stable")``, faster)."""
    return stable_argsort(time_s)


def merge_passes(earlier: Passes, later: Passes) -> Passes:
    """Two time-sorted batches as one, ties in ``earlier`` first: the same as a stable sort
    of their concatenation, in linear time."""
    if not len(earlier):
        return later
    pos_earlier = np.arange(len(earlier)) + np.searchsorted(later.time_s, earlier.time_s, side="left")
    pos_later = np.arange(len(later)) + np.searchsorted(earlier.time_s, later.time_s, side="right")
    order = np.empty(len(earlier) + len(later), np.int64)
    order[pos_earlier] = np.arange(len(earlier))
    order[pos_later] = len(earlier) + np.arange(len(later))
    return Passes.concat([earlier, later]).take(order)
