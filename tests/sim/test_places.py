"""Trips start and end at places on the network: the home is where trips from home start,
and a vehicle leaves and reaches its home by the same streets whatever the other end."""

from __future__ import annotations

import numpy as np

from sim.paths import checkpoints_on, zone_paths
from sim.population import THROUGH
from sim.roads import NetworkBuilder
from sim.tours import tour_table
from sim.traffic import leg_segments


def test_every_resident_lives_at_the_place_its_trips_from_home_start(mini_bay_world):
    v, net = mini_bay_world.traffic.vehicles, mini_bay_world.net
    residents = v.kind != THROUGH  # through traffic lives at its gate
    np.testing.assert_array_equal(v.home_node[residents], net.zone_node[v.anchor_zone[residents, 0]])
    commuters = v.commuter & residents
    np.testing.assert_array_equal(v.work_node[commuters], net.zone_node[v.anchor_zone[commuters, 1]])


def test_compiled_leg_segments_equal_the_numpy_reference(mini_bay_world):
    traffic = mini_bay_world.traffic
    v, paths = traffic.vehicles, traffic.paths
    table = tour_table(traffic.spec.places_per_vehicle)
    rng = np.random.default_rng(0)
    vehicle = rng.integers(0, len(v.plate), 4000)
    for leg, (a, b) in enumerate(table.leg_anchors):
        pair = paths.pair(v.anchor_zone[vehicle, a], v.anchor_zone[vehicle, b])
        home_leg = np.full(len(vehicle), a == 0 or b == 0)
        expected = leg_segments(traffic.checkpoints, vehicle, pair, home_leg)
        np.testing.assert_array_equal(traffic.leg_segment[vehicle, leg], expected)


def _line_of_zones():
    """Four zones on a street; the home zone at the west end."""
    b = NetworkBuilder("line")
    nodes = b.polyline([(-122.0, 37.0), (-121.96, 37.0)], "street", "town", densify_m=400)
    for k in range(4):
        b.zone_at("town", nodes[3 * k:3 * k + 3], 1.0)
    return b.build()


def _passes_by_vehicle(home_leg: bool) -> np.ndarray:
    net = _line_of_zones()
    paths = zone_paths(net)
    home = net.zone_node[0]
    first_edge = int(np.flatnonzero((net.edge_from == home) & (net.edge_to == home + 1))[0])
    # one camera on the first street out of home, in a bundle of 4 streets
    cp = checkpoints_on(paths, net, np.array([first_edge], np.int32), np.array([0.5], np.float32),
                        np.array([0], np.int32), np.array([4]), np.array([1]))
    n = 4000
    vehicle = np.repeat(np.arange(n), 3)
    pair = paths.pair(np.zeros(3 * n, np.int64), np.tile([1, 2, 3], n))
    seg = leg_segments(cp, vehicle, pair, np.full(3 * n, home_leg))
    return np.bincount(vehicle, weights=cp.counts(seg), minlength=n)


def test_a_camera_on_the_home_street_reads_a_household_on_every_trip_or_on_none():
    passes = _passes_by_vehicle(home_leg=True)
    assert set(np.unique(passes)) == {0.0, 3.0}
    share = (passes == 3).mean()
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(passes))  # 1 street of 4, within binomial error
    # keyed by route instead, the same camera would catch most households now and then
    mixed = _passes_by_vehicle(home_leg=False)
    assert ((mixed == 1) | (mixed == 2)).mean() > 0.3
    assert abs(mixed.mean() - 3 * 0.25) < 0.05  # the same traffic either way
