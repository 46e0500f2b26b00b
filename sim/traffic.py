"""Daily trips and the camera passes they make, in numpy batches.

A day's trips are drawn for every vehicle at once; each trip looks up its zone pair's
checkpoint sequence (CSR) and expands into passes with ``np.repeat``. Group sizes are
calibrated analytically from expected edge flows, against the road network's candidate
camera sites rather than the cameras themselves, so adding a camera never changes the
traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.paths import (
    BUNDLE_WIDTH,
    ROUTE_VARIANTS,
    CheckpointPaths,
    ZonePaths,
    edge_flows,
    stable_argsort,
)
from sim.population import DestinationChoice, PopulationSpec, group_choices, home_weights
from sim.random_streams import RandomStreams, combine_keys
from sim.records import Passes, Vehicles
from sim.roads import RoadNetwork

DAY_S = 86_400
# Share of non-commute trips starting in each local hour (US travel-survey shape, rounded).
OTHER_TRIP_PROFILE = np.array([0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.6, 4.4, 5.2, 5.4, 5.9, 6.6,
                               7.2, 7.0, 6.9, 7.3, 7.8, 7.6, 6.2, 4.8, 3.6, 2.7, 1.9, 1.1])
OTHER_TRIP_PROFILE = OTHER_TRIP_PROFILE / OTHER_TRIP_PROFILE.sum()
# Peak-hour slowdown: travel times stretch by this factor in each local hour.
CONGESTION = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.45, 1.5, 1.3, 1.15, 1.15,
                       1.2, 1.15, 1.15, 1.25, 1.45, 1.55, 1.4, 1.2, 1.1, 1.05, 1.0, 1.0])
WEEKEND_OTHER_FACTOR = 1.15
DWELL_MEAN_S = 1.7 * 3600


@dataclass(frozen=True)
class Traffic:
    """Everything needed to turn a day number into passes."""

    net: RoadNetwork
    paths: ZonePaths
    checkpoints: CheckpointPaths
    vehicles: Vehicles
    spec: PopulationSpec
    destinations: tuple[DestinationChoice, ...]  # per population group
    start_local_hour: float  # local clock hour at time 0
    start_weekday: int  # 0 = Monday, of day 0


def _local_hour(time_s: np.ndarray, start_local_hour: float) -> np.ndarray:
    return ((time_s / 3600.0 + start_local_hour) % 24).astype(np.int64)


def _sample_destinations(traffic: Traffic, origin: np.ndarray, group: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = np.empty(len(origin), np.int64)
    for g in np.unique(group):
        m = group == g
        out[m] = traffic.destinations[g].sample(traffic.paths, origin[m], u[m])
    return out


def day_trips(traffic: Traffic, day: int, streams: RandomStreams) -> tuple[np.ndarray, ...]:
    """(vehicle, origin zone, dest zone, departure time_s) for every trip of one day."""
    rng = streams.generator(f"traffic/day/{day}")
    v, net, spec = traffic.vehicles, traffic.net, traffic.spec
    n = len(v)
    day0 = day * DAY_S - traffic.start_local_hour * 3600.0  # local midnight of this day
    home = net.node_zone[v.home_node].astype(np.int64)
    work = net.node_zone[v.work_node].astype(np.int64)
    weekday = (traffic.start_weekday + day) % 7 < 5
    parts = []
    if weekday:
        goes = v.commuter & (rng.random(n) >= spec.commute_skip_share)
        idx = np.nonzero(goes)[0]
        morning = np.clip(rng.normal(7.6, 1.1, len(idx)), 4.5, 11.0) * 3600
        evening = np.clip(rng.normal(17.3, 1.5, len(idx)), 13.0, 23.7) * 3600
        parts.append((idx, home[idx], work[idx], day0 + morning))
        parts.append((idx, work[idx], home[idx], day0 + evening))
    external = np.asarray([r == "external" for r in net.regions])[v.group]
    rate = np.where(external, spec.through_trips_per_day, spec.other_trips_per_day)
    rate = rate * (1.0 if weekday else WEEKEND_OTHER_FACTOR)
    counts = rng.poisson(rate)
    idx = np.repeat(np.arange(n), counts)
    dest = _sample_destinations(traffic, home[idx], v.group[idx], rng.random(len(idx)))
    hour = rng.choice(24, size=len(idx), p=OTHER_TRIP_PROFILE)
    out_s = day0 + (hour + rng.random(len(idx))) * 3600
    pair_out = traffic.paths.pair(home[idx], dest)
    back_s = out_s + traffic.paths.pair_time_s[pair_out] + rng.exponential(DWELL_MEAN_S, len(idx))
    parts.append((idx, home[idx], dest, out_s))
    parts.append((idx, dest, home[idx], back_s))
    veh = np.concatenate([p[0] for p in parts]).astype(np.int32)
    origin = np.concatenate([p[1] for p in parts])
    dest = np.concatenate([p[2] for p in parts])
    depart = np.concatenate([p[3] for p in parts])
    keep = (origin != dest) & np.isfinite(depart)
    return veh[keep], origin[keep], dest[keep], depart[keep]


def day_passes(traffic: Traffic, day: int, streams: RandomStreams) -> Passes:
    """Every checkpoint pass of the trips departing on ``day``, sorted by time."""
    vehicle, origin, dest, depart = day_trips(traffic, day, streams)
    cp = traffic.checkpoints
    pair = traffic.paths.pair(origin, dest)
    # a vehicle keeps to its habitual streets on a route: the variant is a hash of both
    variant = combine_keys(vehicle.astype(np.uint64), pair.astype(np.uint64)) % np.uint64(ROUTE_VARIANTS)
    row = pair * ROUTE_VARIANTS + variant.astype(np.int64)
    start = cp.pair_ptr[row]
    counts = cp.pair_ptr[row + 1] - start
    total = int(counts.sum())
    trip = np.repeat(np.arange(len(pair)), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    entry = start[trip] + within
    slowdown = CONGESTION[_local_hour(depart, traffic.start_local_hour)]
    time_s = np.floor(depart[trip] + cp.offset_s[entry] * slowdown[trip]).astype(np.int64)
    rng = streams.generator(f"traffic/speed/{day}")
    noise = rng.normal(1.0, 0.08, total)  # drawn in trip order, whatever the sort below does
    order = time_order(time_s)
    entry, trip = entry[order], trip[order]
    speed = cp.speed_mps[entry] / slowdown[trip] * noise[order]
    return Passes(time_s[order], cp.camera[entry], vehicle[trip], np.clip(speed, 1.0, 60.0).astype(np.float32))


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


# ---------------------------------------------------------------------------- calibration

def expected_daily_trips_per_vehicle(spec: PopulationSpec, external: bool) -> float:
    """One-way trips per vehicle per day, averaged over a week."""
    if external:
        return 2 * spec.through_trips_per_day * (5 + 2 * WEEKEND_OTHER_FACTOR) / 7
    commute = 2 * spec.commuter_share * (1 - spec.commute_skip_share) * 5 / 7
    return commute + 2 * spec.other_trips_per_day * (5 + 2 * WEEKEND_OTHER_FACTOR) / 7


def unit_group_flows(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec) -> np.ndarray:
    """(G, E) expected daily traversals of each edge per vehicle of each group."""
    homes, choices = home_weights(net), group_choices(net, paths, spec)
    flows = np.zeros((len(net.regions), net.n_edges))
    o, d = paths.pair_origin, paths.pair_dest
    reverse = paths.pair(d, o)
    for g, region in enumerate(net.regions):
        if homes[g].sum() == 0:
            continue
        # out from home by the gravity model, and the same trips back
        out = homes[g][o] * choices[g].prob
        pair_trips = 0.5 * (out + out[reverse]) * expected_daily_trips_per_vehicle(spec, region == "external")
        pair_trips[o == d] = 0.0
        flows[g] = edge_flows(paths, pair_trips, net.n_edges)
    return flows


def camera_flows(net: RoadNetwork, flows: np.ndarray) -> np.ndarray:
    """Traversals a camera on each edge sees: one street of the edge's bundle."""
    return flows / BUNDLE_WIDTH[net.edge_class]


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value with at least half the total weight at or below it."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    if not len(cum) or cum[-1] <= 0:
        return 0.0
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def calibrate_group_sizes(unit_flows: np.ndarray, site_weights: dict[str, np.ndarray],
                          targets: dict[str, float], group_of_owner: dict[str, int],
                          mean_read_probability: float, iterations: int = 60) -> np.ndarray:
    """Vehicles per group so that each owner's median camera sees its target reads a day.

    ``site_weights[owner]`` weighs the edges where that owner's cameras may stand; each
    owner's target sets the size of one group (``group_of_owner``). Flows from other
    groups also pass the owner's cameras, so the sizes are found by fixed-point iteration.
    """
    # only an owner's candidate sites weigh in its median: work on those edges alone
    sites = {owner: np.flatnonzero(site_weights[owner] > 0) for owner in group_of_owner}
    weights = {owner: site_weights[owner][idx] for owner, idx in sites.items()}
    sizes = np.ones(unit_flows.shape[0])
    for owner, g in group_of_owner.items():
        m = weighted_median(unit_flows[g][sites[owner]], weights[owner])
        sizes[g] = targets[owner] / max(m * mean_read_probability, 1e-9)
    for _ in range(iterations):
        reads = (sizes @ unit_flows) * mean_read_probability
        change = 0.0
        for owner, g in group_of_owner.items():
            current = weighted_median(reads[sites[owner]], weights[owner])
            factor = targets[owner] / current if current > 0 else 2.0
            factor = float(np.clip(factor, 0.5, 2.0)) ** 0.7  # damped: groups share roads
            sizes[g] *= factor
            change = max(change, abs(factor - 1))
        if change < 1e-4:
            break
    return np.round(sizes).astype(np.int64)
