"""Zone paths and checkpoint segments from shortest-path trees, against a plain,
one-source-at-a-time Dijkstra and against the all-pairs edge-list store they replaced."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.all_pairs import checkpoints_from_edges, pair_edge_flows, pair_edges
from sim.paths import checkpoints_on, edge_flows, zone_paths
from sim.roads import NetworkBuilder
from sim.traffic import route_fractions


def _random_network(draw_seed: int, n_side: int):
    rng = np.random.default_rng(draw_seed)
    b = NetworkBuilder("random")
    ids = b.grid("town", -122.0, -121.98, 37.0, 37.018, spacing_m=2000.0 / n_side)
    # random speeds make shortest paths unique (ties have probability zero)
    b.edges = [(u, v, c, float(rng.uniform(5, 30)), j) for (u, v, c, _, j) in b.edges]
    b.zones_from_grid("town", ids, 1)
    return b.build()


def _dijkstra(net, source: int, target: int) -> tuple[float, list[int]]:
    """(time, edges) of the shortest path, by the textbook algorithm with a heap."""
    tt = net.travel_time_s().astype(np.float64)
    out: dict[int, list[int]] = {}
    for e in range(net.n_edges):
        out.setdefault(int(net.edge_from[e]), []).append(e)
    best, via = {source: 0.0}, {}
    heap = [(0.0, source)]
    done = set()
    while heap:
        t, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for e in out.get(node, []):
            nxt, cand = int(net.edge_to[e]), t + tt[e]
            if cand < best.get(nxt, np.inf):
                best[nxt], via[nxt] = cand, e
                heapq.heappush(heap, (cand, nxt))
    edges, node = [], target
    while node != source:
        edges.append(via[node])
        node = int(net.edge_from[via[node]])
    return best[target], edges[::-1]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 5), st.integers(1, 12), st.integers(1, 9))
def test_checkpoints_of_a_route_are_the_cameras_on_its_shortest_path(seed, n_side, n_cameras, max_width):
    net = _random_network(seed, n_side)
    paths = zone_paths(net)
    rng = np.random.default_rng(seed + 1)
    cp_edge = rng.choice(net.n_edges, size=n_cameras).astype(np.int32)
    # positions on a 1% grid: two cameras of one edge are either at the same place (then in
    # argument order, both here and in the store) or clearly apart; positions a float32
    # rounding apart would make the checkpoint times tie and the order a coin toss
    cp_fraction = (rng.integers(10, 91, n_cameras) / 100).astype(np.float32)
    cp_width = rng.integers(1, max_width + 1, n_cameras)
    cp_street = rng.integers(0, 1000, n_cameras)
    cp = checkpoints_on(paths, net, cp_edge, cp_fraction, np.arange(n_cameras, dtype=np.int32), cp_width, cp_street)
    o = rng.integers(0, net.n_zones, 12)
    d = rng.integers(0, net.n_zones, 12)
    vehicle = rng.integers(0, 10_000, 12)
    pair = paths.pair(o, d)
    u = route_fractions(vehicle, pair)
    seg = cp.segments(pair, u)
    for k in range(12):
        length, edges = _dijkstra(net, int(net.zone_node[o[k]]), int(net.zone_node[d[k]]))
        np.testing.assert_allclose(paths.pair_time_s[pair[k]], length, rtol=1e-5)
        expected = []
        for e in edges:  # cameras on each path edge, by position along it
            here = [c for c in np.argsort(cp_fraction, kind="stable") if cp_edge[c] == e]
            expected += [c for c in here if int(u[k] * cp_width[c]) == cp_street[c] % cp_width[c]]
        got = cp.camera[cp.seg_ptr[seg[k]]:cp.seg_ptr[seg[k] + 1]].tolist()
        assert got == expected


def test_segments_partition_every_route_fraction():
    net = _random_network(1, 4)
    paths = zone_paths(net)
    n = 6
    cp = checkpoints_on(paths, net, np.arange(n, dtype=np.int32), np.full(n, 0.5, np.float32),
                        np.arange(n, dtype=np.int32), np.array([1, 2, 3, 4, 5, 6]), np.arange(n))
    pair = np.repeat(np.arange(paths.n_pairs), 50)
    u = np.tile(np.linspace(0, 1, 50, endpoint=False), paths.n_pairs)
    seg = cp.segments(pair, u)
    assert ((cp.seg_key[seg] >> 33) == pair).all()  # every fraction lands in its own pair's segments


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 6), st.integers(1, 3))
def test_edge_flows_summed_per_tree_equal_flows_over_every_pairs_edge_list(seed, n_side, groups):
    net = _random_network(seed, n_side)
    paths = zone_paths(net)
    rng = np.random.default_rng(seed)
    trips = rng.random((groups, paths.n_pairs)) * (rng.random((groups, paths.n_pairs)) < 0.5)
    edges = pair_edges(net, paths)
    expected = np.stack([pair_edge_flows(edges, t, net.n_edges) for t in trips])
    np.testing.assert_allclose(edge_flows(paths, net, trips), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(edge_flows(paths, net, trips[0]), expected[0], rtol=1e-9, atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 6), st.integers(1, 15))
def test_tree_store_is_the_edge_list_store_array_for_array(seed, n_side, n_cameras):
    net = _random_network(seed, n_side)
    paths = zone_paths(net)
    rng = np.random.default_rng(seed + 2)
    args = (rng.choice(net.n_edges, size=n_cameras).astype(np.int32),
            (rng.integers(10, 91, n_cameras) / 100).astype(np.float32), np.arange(n_cameras, dtype=np.int32),
            rng.integers(1, 7, n_cameras), rng.integers(0, 1000, n_cameras))
    trees = checkpoints_on(paths, net, *args)
    edges = checkpoints_from_edges(pair_edges(net, paths), paths, net, *args)
    for name in ("seg_key", "seg_ptr", "camera", "offset_s", "speed_mps", "bucket_seg"):
        np.testing.assert_array_equal(getattr(trees, name), getattr(edges, name), err_msg=name)
    assert trees.candidates == edges.candidates


def test_pairs_of_separate_towns_are_numbered_per_town_and_unreachable_between():
    b = NetworkBuilder("two")
    for name, lon in (("a", -122.0), ("b", -121.0)):
        ids = b.grid(name, lon, lon + 0.01, 37.0, 37.01, spacing_m=400.0)
        b.zones_from_grid(name, ids, 2)
    net = b.build()
    paths = zone_paths(net)
    sizes = np.bincount(net.zone_region)
    assert paths.n_pairs == int((sizes ** 2).sum())  # no pair across towns is stored
    a, bz = np.flatnonzero(net.zone_region == 0), np.flatnonzero(net.zone_region == 1)
    assert np.isfinite(paths.pair_time_s[paths.pair(a, a[::-1])]).all()
    assert (paths.pair_origin[paths.pair(bz, bz)] == bz).all()


def test_a_path_over_the_bridge_is_flagged_and_one_beside_it_is_not():
    b = NetworkBuilder("bridge")
    w = b.polyline([(-122.0, 37.0), (-121.99, 37.0)], "street", "west", densify_m=400)
    e = b.polyline([(-121.98, 37.0), (-121.97, 37.0)], "street", "east", densify_m=400)
    b.road(w[-1], e[0], "bridge", "bay")
    b.zone_at("west", w[:2], 1.0)
    b.zone_at("west", w[2:], 1.0)
    b.zone_at("east", e, 1.0)
    net = b.build()
    paths = zone_paths(net)
    assert paths.pair_bridge[paths.pair(np.array([0, 2]), np.array([2, 0]))].all()
    assert not paths.pair_bridge[paths.pair(np.array([0, 1, 0]), np.array([1, 0, 0]))].any()
