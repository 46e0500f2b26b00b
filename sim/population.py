"""Vehicles and their owners: plates, fingerprint attributes, homes and workplaces.

Population groups are home regions of the road network (a city, or the external
suburbs whose traffic passes through). Group sizes come from calibration (``traffic``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.paths import ZonePaths
from sim.plates import PLATE_FORMATS, STATES, decode_symbols
from sim.random_streams import RandomStreams
from sim.records import Vehicles
from sim.roads import RoadNetwork

# Fingerprint categories with rough US fleet shares (registration statistics, rounded).
MAKES: tuple[str, ...] = ("Toyota", "Honda", "Ford", "Chevrolet", "Tesla", "Nissan", "Hyundai", "Kia",
                          "Subaru", "BMW", "Mercedes-Benz", "Volkswagen", "Jeep", "Mazda", "Lexus", "Other")
MAKE_SHARES = np.array([16, 10, 9, 8, 4, 6, 5, 4, 4, 3, 3, 3, 4, 3, 3, 15], float)
COLOURS: tuple[str, ...] = ("white", "black", "grey", "silver", "blue", "red", "green", "brown", "other")
COLOUR_SHARES = np.array([25, 22, 18, 12, 9, 8, 2, 2, 2], float)
BODIES: tuple[str, ...] = ("sedan", "suv", "pickup", "van", "hatchback", "coupe", "motorcycle")
BODY_SHARES = np.array([33, 38, 12, 5, 7, 3, 2], float)
# Out-of-state plates seen in California: neighbours first.
OUT_OF_STATE_SHARES = {"NV": 0.25, "OR": 0.2, "AZ": 0.2, "TX": 0.12, "WA": 0.1, "FL": 0.05, "NY": 0.04, "GA": 0.04}


@dataclass(frozen=True)
class PopulationSpec:
    """How a population group is made and how it drives (defaults: see the README)."""

    commuter_share: float = 0.55  # vehicles that drive to a workplace on weekdays
    commute_skip_share: float = 0.12  # weekdays a commuter stays home
    other_trips_per_day: float = 1.3  # round trips per vehicle per day (errands, visits)
    through_trips_per_day: float = 1.0  # round trips per external vehicle per day
    trip_time_scale_s: float = 900.0  # gravity model: trips this long are e times rarer
    through_trip_time_scale_s: float = 3600.0
    out_of_state_plate_share: float = 0.04
    through_out_of_state_plate_share: float = 0.10


@dataclass(frozen=True)
class DestinationChoice:
    """Where trips go: a gravity model over travel time, P(d | o) ∝ activity(d) · exp(-t(o,d) / τ).

    Stored in pair order (see ``ZonePaths``) as one cumulative array, so that a batch of
    trips samples its destinations with a single ``searchsorted``.
    """

    prob: np.ndarray  # (P,) P(dest | origin) for each zone pair
    cum: np.ndarray  # (P,) running sum of the unnormalised weights, in pair order
    row_start: np.ndarray  # (Z,) cum value just before the origin's row
    row_total: np.ndarray  # (Z,) total weight of the origin's row

    def sample(self, paths: ZonePaths, origin: np.ndarray, u: np.ndarray) -> np.ndarray:
        target = self.row_start[origin] + u * self.row_total[origin]
        first = paths.pair(origin, origin) - paths.zone_local[origin]
        pair = np.searchsorted(self.cum, target, side="right")
        pair = np.clip(pair, first, first + paths.zone_block_size[origin] - 1)
        return paths.pair_dest[pair].astype(np.int64)


def destination_choice(net: RoadNetwork, paths: ZonePaths, time_scale_s: float) -> DestinationChoice:
    t = paths.pair_time_s.astype(np.float64)
    w = net.zone_weight.astype(np.float64)[paths.pair_dest] * np.exp(-np.where(np.isfinite(t), t, np.inf) / time_scale_s)
    total = np.bincount(paths.pair_origin, weights=w, minlength=net.n_zones)
    cum = np.cumsum(w)
    first = (paths.zone_block + paths.zone_local.astype(np.int64) * paths.zone_block_size)
    return DestinationChoice(w / np.where(total > 0, total, 1.0)[paths.pair_origin], cum,
                             cum[first] - w[first], total)


def group_choices(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec) -> tuple[DestinationChoice, ...]:
    """One destination model per population group: through traffic travels further."""
    local = destination_choice(net, paths, spec.trip_time_scale_s)
    through = destination_choice(net, paths, spec.through_trip_time_scale_s)
    return tuple(through if region == "external" else local for region in net.regions)


def home_weights(net: RoadNetwork) -> np.ndarray:
    """(G, Z) where a group's vehicles live: its own zones, by activity weight."""
    w = np.zeros((len(net.regions), net.n_zones))
    w[net.zone_region, np.arange(net.n_zones)] = net.zone_weight.astype(np.float64)
    sums = w.sum(axis=1, keepdims=True)
    return np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)


def _draw_categories(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.uint8)


def _later_duplicates(values: np.ndarray) -> np.ndarray:
    """Sorted indices of the values that occurred before (every occurrence but the first)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    repeat = np.zeros(len(values), bool)
    repeat[1:] = ordered[1:] == ordered[:-1]
    return np.sort(order[repeat])


def _unique_plates(rng: np.random.Generator, states: np.ndarray) -> np.ndarray:
    plates = np.zeros(len(states), np.int64)
    for s, state in enumerate(STATES):
        idx = np.nonzero(states == s)[0]
        plates[idx] = PLATE_FORMATS[state].generate(rng, len(idx))
    # redraw the rare duplicates until every vehicle has its own plate
    for _ in range(20):
        dup = _later_duplicates(plates)
        if not len(dup):
            break
        for s, state in enumerate(STATES):
            idx = dup[states[dup] == s]
            plates[idx] = PLATE_FORMATS[state].generate(rng, len(idx))
    return plates


def make_population(net: RoadNetwork, paths: ZonePaths, group_sizes: np.ndarray, spec: PopulationSpec,
                    streams: RandomStreams) -> Vehicles:
    """Draw every vehicle: group by group, each from its own named stream."""
    homes = home_weights(net)
    choices = group_choices(net, paths, spec)
    members = np.argsort(net.node_zone, kind="stable")
    zone_ptr = np.searchsorted(net.node_zone[members], np.arange(net.n_zones + 1))
    parts: list[dict[str, np.ndarray]] = []
    for g, region in enumerate(net.regions):
        n = int(group_sizes[g])
        if n == 0 or homes[g].sum() == 0:
            continue
        rng = streams.generator(f"population/{region}")
        home_zone = rng.choice(net.n_zones, size=n, p=homes[g])
        # a home at one of the zone's intersections
        pick = zone_ptr[home_zone] + (rng.random(n) * (zone_ptr[home_zone + 1] - zone_ptr[home_zone])).astype(np.int64)
        home_node = members[pick]
        external = region == "external"
        commuter = (rng.random(n) < spec.commuter_share) & (not external)
        work_zone = np.where(commuter, choices[g].sample(paths, home_zone, rng.random(n)), home_zone)
        oos_share = spec.through_out_of_state_plate_share if external else spec.out_of_state_plate_share
        oos_states = [STATES.index(s) for s in OUT_OF_STATE_SHARES]
        oos_p = np.array(list(OUT_OF_STATE_SHARES.values()))
        state = np.where(rng.random(n) < oos_share, rng.choice(oos_states, size=n, p=oos_p / oos_p.sum()),
                         STATES.index("CA")).astype(np.uint8)
        parts.append({
            "plate_state": state, "home_node": home_node.astype(np.int32),
            "work_node": np.where(commuter, net.zone_node[work_zone], home_node).astype(np.int32),
            "group": np.full(n, g, np.int16), "commuter": commuter,
            "make": _draw_categories(rng, MAKE_SHARES, n), "colour": _draw_categories(rng, COLOUR_SHARES, n),
            "body": _draw_categories(rng, BODY_SHARES, n),
        })
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else None
    if cols is None:
        raise ValueError("population: every group is empty; check the scenario's calibration targets")
    plates = _unique_plates(streams.generator("population/plates"), cols["plate_state"])
    return Vehicles(plate=plates, plate_symbols=decode_symbols(plates), **cols)
