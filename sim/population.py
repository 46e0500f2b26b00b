"""Vehicles and their owners: plates, fingerprint attributes, homes and workplaces.

Population groups are home regions of the road network (a city, or the suburbs outside
it), with vehicle counts from the scenario's ``population`` section, and through flows
between the network's gates. Each vehicle has anchor places (home, workplace, a few
habitual places) that its daily tours chain together (``sim.traffic``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim.compiled_traffic import search_right
from sim.paths import ZonePaths
from sim.plates import PLATE_FORMATS, STATES, ca_issued_plates, decode_symbols
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
class RegionCount:
    """How many vehicles live in a home region, and where the figure comes from."""

    region: str
    vehicles: int
    source: str = ""


@dataclass(frozen=True)
class ThroughFlow:
    """Vehicles crossing the network between two gates (highway ends) without stopping."""

    origin: str
    dest: str
    vehicles_per_day: float  # crossings a day, both directions together
    source: str = ""

    @property
    def name(self) -> str:
        return f"through:{self.origin}-{self.dest}"


@dataclass(frozen=True)
class PopulationSpec:
    """How the population is made and how it drives (defaults: see the README)."""

    commuter_share: float = 0.55  # vehicles that drive to a workplace on weekdays
    commute_skip_share: float = 0.12  # weekdays a commuter stays home
    other_trips_per_day: float = 0.9  # non-work tours (home -> places -> home) per vehicle per day
    through_trips_per_day: float = 0.6  # non-work tours per day of a vehicle living outside the cities
    trip_time_scale_s: float = 900.0  # gravity model: places this far are e times rarer
    through_trip_time_scale_s: float = 3600.0
    out_of_state_plate_share: float = 0.04
    through_out_of_state_plate_share: float = 0.10
    places_per_vehicle: int = 3  # habitual places besides home and work
    chained_stop_share: float = 0.3  # tours with a second stop
    heavy_share: float = 0.02  # fleets and ride-hail: many trips a day to changing places
    heavy_trips_per_day: float = 14.0
    night_worker_share: float = 0.1  # commuters on evening and night shifts
    regions: tuple[RegionCount, ...] = ()  # vehicles per home region (empty: calibrated)
    through: tuple[ThroughFlow, ...] = ()
    # Crossing the bay costs more than its driving time (toll, queues, habit): extra
    # impedance in the gravity model for places across a bridge. None: fitted so that the
    # bridge carries ``bridge_vehicles_per_day`` (a traffic count), else 0.
    bridge_penalty_s: float | None = None
    bridge_vehicles_per_day: float | None = None
    bridge_source: str = ""

    def region_count(self, region: str) -> RegionCount | None:
        return next((r for r in self.regions if r.region == region), None)


# Vehicle kinds (Vehicles.kind)
REGULAR, HEAVY, NIGHT_WORKER, THROUGH = 0, 1, 2, 3
# Habitual places are visited unevenly: the first most (assumption).
PLACE_WEIGHTS = np.array([0.5, 0.3, 0.2, 0.12, 0.08, 0.05])


def place_weights(k: int) -> np.ndarray:
    w = PLACE_WEIGHTS[:k] if k <= len(PLACE_WEIGHTS) else np.full(k, 1.0)
    return w / w.sum()


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
        # a binary search inside each origin's row: the same pair as searching the whole
        # (non-decreasing) cumulative array and clipping to the row, in cache
        pair = _search_rows(self.cum, target, first, paths.zone_block_size[origin].astype(np.int64))
        return paths.pair_dest[pair].astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _search_rows(cum, target, first, size):
    """``clip(searchsorted(cum, target, "right"), first, first + size - 1)`` per row."""
    out = np.empty(target.size, np.int64)
    for i in range(target.size):
        end = first[i] + size[i]
        out[i] = min(search_right(cum, target[i], first[i], end), end - 1)
    return out


def bridge_pairs(net: RoadNetwork, paths: ZonePaths) -> np.ndarray:
    """(P,) bool: the pair's path crosses a bridge."""
    return paths.pair_bridge


def destination_choice(net: RoadNetwork, paths: ZonePaths, time_scale_s: float,
                       bridge_penalty_s: float = 0.0) -> DestinationChoice:
    t = paths.pair_time_s.astype(np.float64)
    if bridge_penalty_s:
        t = t + bridge_penalty_s * bridge_pairs(net, paths)
    w = net.zone_weight.astype(np.float64)[paths.pair_dest] * np.exp(-np.where(np.isfinite(t), t, np.inf) / time_scale_s)
    total = np.bincount(paths.pair_origin, weights=w, minlength=net.n_zones)
    cum = np.cumsum(w)
    first = (paths.zone_block + paths.zone_local.astype(np.int64) * paths.zone_block_size)
    return DestinationChoice(w / np.where(total > 0, total, 1.0)[paths.pair_origin], cum,
                             cum[first] - w[first], total)


def group_choices(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec) -> tuple[DestinationChoice, ...]:
    """One destination model per population group: through traffic travels further."""
    local = destination_choice(net, paths, spec.trip_time_scale_s, spec.bridge_penalty_s)
    through = destination_choice(net, paths, spec.through_trip_time_scale_s, spec.bridge_penalty_s)
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


def group_names(net: RoadNetwork, spec: PopulationSpec) -> tuple[str, ...]:
    """Population groups: the network's home regions, then one per through flow."""
    return net.regions + tuple(t.name for t in spec.through)


def _anchor_zones(rng: np.random.Generator, choice: DestinationChoice, paths: ZonePaths, home_zone: np.ndarray,
                  commuter: np.ndarray, k: int) -> np.ndarray:
    """(n, 2 + k): home, work (home for non-commuters) and ``k`` habitual places by the gravity model."""
    n = len(home_zone)
    anchors = np.empty((n, 2 + k), np.int32)
    anchors[:, 0] = home_zone
    anchors[:, 1] = np.where(commuter, choice.sample(paths, home_zone, rng.random(n)), home_zone)
    for j in range(k):
        anchors[:, 2 + j] = choice.sample(paths, home_zone, rng.random(n))
    return anchors


def _plates(rng: np.random.Generator, state: np.ndarray, live_ca: int) -> np.ndarray:
    ca = STATES.index("CA")
    plates = np.zeros(len(state), np.int64)
    is_ca = state == ca
    plates[is_ca] = ca_issued_plates(rng, int(is_ca.sum()), live_ca)
    for s, code in enumerate(STATES):
        idx = np.nonzero(state == s)[0]
        if s != ca and len(idx):
            plates[idx] = PLATE_FORMATS[code].generate(rng, len(idx))
    return plates


def _dedupe_plates(rng: np.random.Generator, plates: np.ndarray, state: np.ndarray, live_ca: int) -> np.ndarray:
    """Redraw every later duplicate (the earlier vehicle keeps its plate); redraws are
    checked against the sorted plates already taken, not by sorting everything again."""
    todo = _later_duplicates(plates)
    if not len(todo):
        return plates
    keep = np.ones(len(plates), bool)
    keep[todo] = False
    taken = np.sort(plates[keep])
    for _ in range(500):
        new = _plates(rng, state[todo], live_ca)
        pos = np.searchsorted(taken, new)
        free = ~((pos < len(taken)) & (taken[np.minimum(pos, len(taken) - 1)] == new))
        cand = np.flatnonzero(free)
        _, first_of = np.unique(new[cand], return_index=True)  # among the redraws, the earliest wins
        won = cand[first_of]
        plates[todo[won]] = new[won]
        values = np.sort(new[won])
        taken = np.insert(taken, np.searchsorted(taken, values), values)
        lost = np.ones(len(todo), bool)
        lost[won] = False
        todo = todo[lost]
        if not len(todo):
            break
    return plates


def make_population(net: RoadNetwork, paths: ZonePaths, group_sizes: np.ndarray, spec: PopulationSpec,
                    streams: RandomStreams, gate_zone: dict[str, int] | None = None) -> Vehicles:
    """Draw every vehicle, group by group (home regions, then through flows), each from
    its own named streams: changing one group's size leaves the others' vehicles alone."""
    homes = home_weights(net)
    choices = group_choices(net, paths, spec)
    oos_states = [STATES.index(s) for s in OUT_OF_STATE_SHARES]
    oos_p = np.array(list(OUT_OF_STATE_SHARES.values()))
    k = spec.places_per_vehicle
    parts: list[dict[str, np.ndarray]] = []
    names = group_names(net, spec)
    # the residents' count sets how far back the sequence their plates reach (not the
    # through flows', so that changing a flow leaves everyone else's plate alone)
    live_ca = int(np.sum(group_sizes[:len(net.regions)]) * (1 - spec.out_of_state_plate_share))
    for g, name in enumerate(names):
        n = int(group_sizes[g])
        through = g >= len(net.regions)
        if n == 0 or (not through and homes[g].sum() == 0):
            continue
        rng = streams.generator(f"population/{name}")
        if through:
            flow = spec.through[g - len(net.regions)]
            gates = gate_zone or {}
            for gate in (flow.origin, flow.dest):
                if gate not in gates:
                    raise ValueError(f"population.through: {gate!r} is not a gate of network {net.name!r} "
                                     f"(gates: {sorted(gates)})")
            home_zone = np.full(n, gates[flow.origin], np.int64)
            anchors = np.repeat(np.array([[gates[flow.origin], gates[flow.dest]] + [gates[flow.origin]] * k],
                                         np.int32), n, axis=0)
            commuter = np.ones(n, bool)
            kind = np.full(n, THROUGH, np.uint8)
            external = True
        else:
            external = net.regions[g] == "external"
            home_zone = rng.choice(net.n_zones, size=n, p=homes[g])
            commuter = rng.random(n) < spec.commuter_share
            anchors = _anchor_zones(rng, choices[g], paths, home_zone, commuter, k)
            u = rng.random(n)
            kind = np.where(u < spec.heavy_share, HEAVY, REGULAR).astype(np.uint8)
            night = commuter & (rng.random(n) < spec.night_worker_share) & (kind == REGULAR)
            kind[night] = NIGHT_WORKER
        # the home is the zone's place on the network, where every trip from home starts
        # and every trip home ends (a home elsewhere in the zone would be read on streets
        # its trips never use)
        home_node = net.zone_node[home_zone]
        oos_share = spec.through_out_of_state_plate_share if external else spec.out_of_state_plate_share
        state = np.where(rng.random(n) < oos_share, rng.choice(oos_states, size=n, p=oos_p / oos_p.sum()),
                         STATES.index("CA")).astype(np.uint8)
        parts.append({
            "plate_state": state, "home_node": home_node.astype(np.int32),
            "work_node": np.where(commuter, net.zone_node[anchors[:, 1]], home_node).astype(np.int32),
            "group": np.full(n, g, np.int16), "commuter": commuter,
            "make": _draw_categories(rng, MAKE_SHARES, n), "colour": _draw_categories(rng, COLOUR_SHARES, n),
            "body": _draw_categories(rng, BODY_SHARES, n), "anchor_zone": anchors, "kind": kind,
            "plate": _plates(streams.generator(f"population/plates/{name}"), state, live_ca),
        })
    if not parts:
        raise ValueError("population: every group is empty; check the scenario's population counts")
    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    cols["plate"] = _dedupe_plates(streams.generator("population/plates"), cols["plate"], cols["plate_state"],
                                   live_ca)
    return Vehicles(plate_symbols=decode_symbols(cols["plate"]), **cols)
