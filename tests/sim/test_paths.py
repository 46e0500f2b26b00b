"""Zone paths and checkpoint segments against a plain, one-source-at-a-time Dijkstra."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.paths import checkpoints_on, zone_paths
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
