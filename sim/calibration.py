"""Expected traffic, analytically: edge flows per vehicle of each group, and the few
figures the builder fits to them.

With a population from counts, what is fitted is what is uncertain about a schematic
network: how many parallel real streets one of its segments stands for (the bundle width,
per jurisdiction), so that each owner's median camera sees its portal's reads a day; and
the size of the suburbs' population from a traffic count (the bridge's daily volume).
Without counts, the older route still works: group sizes from the owners' targets.
All of it uses candidate camera sites, never the cameras placed, so adding a camera never
changes the traffic.
"""

from __future__ import annotations

import numpy as np

from sim.paths import BUNDLE_WIDTH, ZonePaths, edge_flows
from sim.population import PopulationSpec, bridge_pairs, group_choices, home_weights
from sim.roads import EDGE_CLASSES, RoadNetwork
from sim.traffic import WEEKEND_OTHER_FACTOR


def expected_daily_trips_per_vehicle(spec: PopulationSpec, external: bool) -> float:
    """One-way trips per vehicle per day, averaged over a week."""
    per_tour = 2 + spec.chained_stop_share
    week = (5 + 2 * WEEKEND_OTHER_FACTOR) / 7
    other = (spec.through_trips_per_day if external else spec.other_trips_per_day) * week * per_tour
    commute = spec.commuter_share * (1 - spec.commute_skip_share) * 5 / 7 * per_tour
    regular = commute + other
    return (1 - spec.heavy_share) * regular + spec.heavy_share * spec.heavy_trips_per_day * (5 + 2 * 0.8) / 7


def unit_group_flows(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec) -> np.ndarray:
    """(R, E) expected daily traversals of each edge per vehicle of each home region."""
    homes, choices = home_weights(net), group_choices(net, paths, spec)
    o, d = paths.pair_origin, paths.pair_dest
    reverse = paths.pair(d, o)
    pair_trips = np.zeros((len(net.regions), paths.n_pairs))
    for g, region in enumerate(net.regions):
        if homes[g].sum() == 0:
            continue
        # out from home by the gravity model, and the same trips back
        out = homes[g][o] * choices[g].prob
        pair_trips[g] = 0.5 * (out + out[reverse]) * expected_daily_trips_per_vehicle(spec, region == "external")
        pair_trips[g, o == d] = 0.0
    return edge_flows(paths, net, pair_trips)


def through_flows(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec) -> np.ndarray:
    """(F, E) expected daily traversals of each edge by each through flow (all its vehicles)."""
    flows = np.zeros((len(spec.through), net.n_edges))
    for f, flow in enumerate(spec.through):
        a, b = net.gate_zone.get(flow.origin), net.gate_zone.get(flow.dest)
        if a is None or b is None:
            continue
        trips = np.zeros(paths.n_pairs)
        trips[paths.pair(np.array([a, b]), np.array([b, a]))] = through_vehicles(flow.vehicles_per_day)
        flows[f] = edge_flows(paths, net, trips)
    return flows


def through_vehicles(vehicles_per_day: float) -> int:
    """Each through vehicle crosses twice a day (there and back)."""
    return int(round(vehicles_per_day / 2))


def bridge_volume(net: RoadNetwork, flows: np.ndarray) -> float:
    """Vehicles a day over the bridge, both ways: twice the mean flow of its directed segments."""
    bridge = np.flatnonzero(net.edge_class == EDGE_CLASSES.index("bridge"))
    return float(flows[bridge].mean() * 2) if len(bridge) else 0.0


def fit_bridge_penalty(net: RoadNetwork, paths: ZonePaths, spec: PopulationSpec, sizes: np.ndarray,
                       vehicles_per_day: float, through_on_bridge: float = 0.0) -> float:
    """The bridge penalty (s) at which the gravity model sends ``vehicles_per_day`` over the
    bridge (both ways), found by bisection on the expected crossings (0 when even no
    penalty sends fewer)."""
    cross = bridge_pairs(net, paths)
    if not cross.any():
        raise ValueError("bridge_vehicles_per_day: the network has no bridge")
    homes = home_weights(net)
    t = paths.pair_time_s.astype(np.float64)
    t = np.where(np.isfinite(t), t, np.inf)
    dest_w = net.zone_weight.astype(np.float64)[paths.pair_dest]

    # a penalty only scales the crossing destinations' weights by exp(-penalty / tau), so
    # each group's crossing and staying weights per origin are summed once
    groups = []
    for g, region in enumerate(net.regions):
        if not sizes[g]:
            continue
        external = region == "external"
        tau = spec.through_trip_time_scale_s if external else spec.trip_time_scale_s
        w = dest_w * np.exp(-t / tau)
        w_cross = np.bincount(paths.pair_origin, weights=w * cross, minlength=net.n_zones)
        w_stay = np.bincount(paths.pair_origin, weights=w * ~cross, minlength=net.n_zones)
        trips = sizes[g] * expected_daily_trips_per_vehicle(spec, external)
        groups.append((tau, w_cross, w_stay, trips * homes[g]))

    def crossings(penalty_s: float) -> float:
        total = through_on_bridge
        for tau, w_cross, w_stay, trips_from in groups:
            c = w_cross * np.exp(-penalty_s / tau)
            share = np.divide(c, c + w_stay, out=np.zeros_like(c), where=(c + w_stay) > 0)
            total += float(trips_from @ share)
        return total

    if crossings(0.0) <= vehicles_per_day:
        return 0.0
    lo, hi = 0.0, 4 * 3600.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if crossings(mid) > vehicles_per_day else (lo, mid)
    return round(0.5 * (lo + hi), 1)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value with at least half the total weight at or below it."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    if not len(cum) or cum[-1] <= 0:
        return 0.0
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def base_bundle_width(net: RoadNetwork) -> np.ndarray:
    """Per edge: streets per segment by class on a schematic network, 1 on real streets."""
    if not net.schematic:
        return np.ones(net.n_edges)
    return BUNDLE_WIDTH[net.edge_class].astype(np.float64)


def fit_bundle_widths(net: RoadNetwork, flows: np.ndarray, site_weights: dict[str, np.ndarray],
                      targets: dict[str, float], jurisdiction_of: dict[str, str],
                      mean_read_probability: float) -> tuple[np.ndarray, dict[str, float]]:
    """Per-edge bundle widths: each targeted owner's jurisdiction's base widths scaled so
    that its median candidate site sees the target. Returns (widths, scale by jurisdiction).

    On a network of real streets (not schematic) nothing is scaled: the widths stay 1.
    """
    base = base_bundle_width(net)
    width = base.copy()
    scales: dict[str, float] = {}
    if not net.schematic:
        return np.maximum(np.round(width), 1).astype(np.int64), scales
    for owner, target in targets.items():
        j = jurisdiction_of[owner]
        sites = np.flatnonzero(site_weights[owner] > 0)
        if not len(sites) or j not in net.jurisdictions:
            continue
        median = weighted_median(flows[sites] / base[sites], site_weights[owner][sites])
        scale = max(median * mean_read_probability / target, 1.0 / base[sites].max())
        scales[j] = round(scale, 3)
        in_j = net.edge_jurisdiction == net.jurisdiction_index(j)
        width[in_j] = base[in_j] * scale
    if scales:
        # where no owner publishes a figure (highways, suburbs), cameras are taken to log the
        # same share of their street's traffic as the cities' cameras: the median scale
        typical = float(np.median(list(scales.values())))
        for j, name in enumerate(net.jurisdictions):
            if name not in scales:
                in_j = net.edge_jurisdiction == j
                width[in_j] = base[in_j] * typical
                scales[name] = round(typical, 3)
    return np.maximum(np.round(width), 1).astype(np.int64), scales


def calibrate_group_sizes(unit_flows: np.ndarray, site_weights: dict[str, np.ndarray],
                          targets: dict[str, float], group_of_owner: dict[str, int],
                          mean_read_probability: float, iterations: int = 60) -> np.ndarray:
    """Vehicles per group so that each owner's median camera sees its target reads a day
    (scenarios without population counts).

    ``site_weights[owner]`` weighs the edges where that owner's cameras may stand; each
    owner's target sets the size of one group (``group_of_owner``). Flows from other
    groups also pass the owner's cameras, so the sizes are found by fixed-point iteration.
    """
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
