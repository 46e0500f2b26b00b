"""Shortest paths between zone centroids, stored as CSR arrays of edges and checkpoints.

Paths are computed once per connected component with scipy's Dijkstra (travel time as
weight) and walked back for all zone pairs at once, so no per-path Python loop runs.
A *checkpoint* is a point on a directed edge where a camera watches; ``checkpoints_on``
turns the zone-pair paths into zone-pair camera sequences with time offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sim.roads import RoadNetwork


@dataclass(frozen=True)
class ZonePaths:
    """Edges of the shortest path for every ordered pair of zones in one component.

    Pairs are numbered block by block (one block per connected component), so a
    statewide network of many separate cities needs no Z x Z table.
    """

    n_zones: int
    zone_component: np.ndarray  # int32 component of each zone
    zone_block: np.ndarray  # int64 first pair id of the zone's component block
    zone_local: np.ndarray  # int32 index of the zone within its component
    zone_block_size: np.ndarray  # int32 zones in the zone's component
    pair_origin: np.ndarray  # int32 (P,)
    pair_dest: np.ndarray  # int32 (P,)
    pair_ptr: np.ndarray  # int64 (P + 1,) CSR pointer into pair_edge
    pair_edge: np.ndarray  # int32 edges in travel order
    edge_offset_s: np.ndarray  # float32 time from the origin to the start of each edge
    pair_time_s: np.ndarray  # float32 (P,) travel time, inf when unreachable one way

    @property
    def n_pairs(self) -> int:
        return len(self.pair_origin)

    def pair(self, origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
        """Pair ids; origin and dest must lie in the same component."""
        return self.zone_block[origin] + self.zone_local[origin].astype(np.int64) * self.zone_block_size[origin] + self.zone_local[dest]

    def edge_counts(self) -> np.ndarray:
        return np.diff(self.pair_ptr)


def zone_paths(net: RoadNetwork) -> ZonePaths:
    n, z = net.n_nodes, net.n_zones
    weights = net.travel_time_s().astype(np.float64)
    graph = csr_matrix((weights, (net.edge_from, net.edge_to)), shape=(n, n))
    _, component = connected_components(graph, directed=True, connection="weak")
    edge_key = net.edge_from.astype(np.int64) * n + net.edge_to
    key_order = np.argsort(edge_key)
    sorted_keys = edge_key[key_order]

    zone_comp = component[net.zone_node].astype(np.int32)
    comps, zone_comp = np.unique(zone_comp, return_inverse=True)
    sizes = np.bincount(zone_comp).astype(np.int64)
    block_start = np.concatenate([[0], np.cumsum(sizes * sizes)])
    zone_local = np.zeros(z, np.int32)
    n_pairs = int(block_start[-1])
    pair_origin = np.zeros(n_pairs, np.int32)
    pair_dest = np.zeros(n_pairs, np.int32)
    pair_time = np.full(n_pairs, np.inf, np.float32)
    chunks_pair, chunks_edge, chunks_offset, chunks_step = [], [], [], []
    for comp in range(len(comps)):
        zones = np.nonzero(zone_comp == comp)[0]
        zone_local[zones] = np.arange(len(zones))
        sources = net.zone_node[zones]
        dist, pred = dijkstra(graph, directed=True, indices=sources, return_predecessors=True)
        # all (origin, dest) pairs of this component at once: walk predecessors back
        k = len(zones)
        origin_row = np.repeat(np.arange(k), k)
        dest_zone = np.tile(zones, k)
        pair_ids = block_start[comp] + np.arange(k * k, dtype=np.int64)
        pair_origin[pair_ids] = np.repeat(zones, k)
        pair_dest[pair_ids] = dest_zone
        pair_time[pair_ids] = dist[origin_row, net.zone_node[dest_zone]]
        cur = net.zone_node[dest_zone].astype(np.int64)
        active = np.nonzero(pred[origin_row, cur] >= 0)[0]
        step = 0
        while len(active):
            prev = pred[origin_row[active], cur[active]]
            key = prev.astype(np.int64) * n + cur[active]
            edge = key_order[np.searchsorted(sorted_keys, key)].astype(np.int32)
            chunks_pair.append(pair_ids[active])
            chunks_edge.append(edge)
            chunks_offset.append(dist[origin_row[active], prev].astype(np.float32))
            chunks_step.append(np.full(len(active), step, np.int32))
            cur[active] = prev
            active = active[pred[origin_row[active], prev] >= 0]
            step += 1
    pair = np.concatenate(chunks_pair) if chunks_pair else np.empty(0, np.int64)
    edge = np.concatenate(chunks_edge) if chunks_edge else np.empty(0, np.int32)
    offset = np.concatenate(chunks_offset) if chunks_offset else np.empty(0, np.float32)
    counts = np.bincount(pair, minlength=n_pairs)
    ptr = np.zeros(n_pairs + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    # the walk went from each destination back to its origin: the k-th step is the k-th
    # edge from the end, so each edge's place is known without sorting (when offsets rise
    # strictly along every path, this is exactly the order of sorting by (pair, offset))
    step = np.concatenate(chunks_step) if chunks_step else np.empty(0, np.int32)
    place = ptr[pair] + counts[pair] - 1 - step
    ordered_edge, ordered_offset = np.empty_like(edge), np.empty_like(offset)
    ordered_edge[place], ordered_offset[place] = edge, offset
    same_pair = np.diff(np.repeat(np.arange(n_pairs), counts)) == 0
    if not (np.diff(ordered_offset) > 0)[same_pair].all():
        order = np.lexsort((offset, pair))  # ties in offset: keep the sort's tie order
        ordered_edge, ordered_offset = edge[order], offset[order]
    return ZonePaths(z, zone_comp.astype(np.int32), block_start[zone_comp], zone_local, sizes[zone_comp].astype(np.int32),
                     pair_origin, pair_dest, ptr, ordered_edge, ordered_offset, pair_time)


# A road segment of the model stands for a bundle of parallel real streets (or lanes): a
# camera watches one of them, and a vehicle keeps to one habitual street per route. The
# number of streets a segment stands for, by class (street, arterial, highway, ramp, bridge):
BUNDLE_WIDTH = np.array([8, 4, 4, 1, 4], np.int64)
ROUTE_VARIANTS = 8  # a multiple of every BUNDLE_WIDTH


@dataclass(frozen=True)
class CheckpointPaths:
    """For every (zone pair, route variant): the checkpoints passed, in order.

    Row ``pair * ROUTE_VARIANTS + variant``. A camera on bundle street ``k`` of a segment
    of width ``w`` is passed by the variants ``r`` with ``r % w == k``.
    """

    pair_ptr: np.ndarray  # int64 (P * ROUTE_VARIANTS + 1,)
    camera: np.ndarray  # int32 camera index
    offset_s: np.ndarray  # float32 time from departure to the checkpoint
    speed_mps: np.ndarray  # float32 free-flow speed at the checkpoint


def _expand_checkpoints(paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray, cp_fraction: np.ndarray,
                        cp_street: np.ndarray) -> tuple[np.ndarray, ...]:
    """(row, offset, checkpoint, edge) of every checkpoint on every zone-pair path, in
    pair order and, within a pair, path order (checkpoints of one edge in the given order)."""
    width = BUNDLE_WIDTH[net.edge_class[cp_edge]]
    cp_street = cp_street % width
    # each checkpoint serves every variant r with r % width == street
    copies = ROUTE_VARIANTS // width
    cp_rep = np.repeat(np.arange(len(cp_edge)), copies)
    cp_variant = cp_street[cp_rep] + width[cp_rep] * (np.arange(len(cp_rep)) - np.repeat(np.cumsum(copies) - copies, copies))
    edge_ptr = np.zeros(net.n_edges + 1, np.int64)
    np.cumsum(np.bincount(cp_edge[cp_rep], minlength=net.n_edges), out=edge_ptr[1:])
    per_edge = np.diff(edge_ptr)[paths.pair_edge]
    total = int(per_edge.sum())
    src = np.repeat(np.arange(len(paths.pair_edge)), per_edge)
    within = np.arange(total) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    rep = edge_ptr[paths.pair_edge[src]] + within
    cp = cp_rep[rep]
    edge = paths.pair_edge[src]
    offset = paths.edge_offset_s[src] + cp_fraction[cp] * net.travel_time_s()[edge]
    pair = np.repeat(np.arange(paths.n_pairs), paths.edge_counts())[src]
    row = pair * ROUTE_VARIANTS + cp_variant[rep]
    return row, offset, cp, edge


def checkpoints_on(paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray, cp_fraction: np.ndarray,
                   cp_camera: np.ndarray, cp_street: np.ndarray) -> CheckpointPaths:
    """Expand zone-pair edge sequences into the checkpoints (cameras) standing on them.

    ``cp_street[i]`` is the bundle street the checkpoint watches (taken modulo the width).
    Rows list their checkpoints by offset; equal offsets in the order of the arguments.
    """
    # Fast path: checkpoints by edge and along each edge by position, so the expansion comes
    # out in (pair, offset) order, and a stable radix sort by row gives (row, offset) order.
    # Where two checkpoints of a row share an offset their order would depend on this
    # arrangement, so that rare case takes the full sort by (row, offset, argument order).
    by_position = np.lexsort((cp_fraction, cp_edge))
    row, offset, cp, edge = _expand_checkpoints(paths, net, cp_edge[by_position], cp_fraction[by_position],
                                                cp_street[by_position])
    order = stable_argsort(row)
    row_sorted, offset_sorted = row[order], offset[order]
    if (offset_sorted[1:] > offset_sorted[:-1])[row_sorted[1:] == row_sorted[:-1]].all():
        camera = cp_camera[by_position][cp]
    else:
        by_edge = np.argsort(cp_edge, kind="stable")
        row, offset, cp, edge = _expand_checkpoints(paths, net, cp_edge[by_edge], cp_fraction[by_edge],
                                                    cp_street[by_edge])
        order = np.lexsort((offset, row))
        camera = cp_camera[by_edge][cp]
    ptr = np.zeros(paths.n_pairs * ROUTE_VARIANTS + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=paths.n_pairs * ROUTE_VARIANTS), out=ptr[1:])
    return CheckpointPaths(ptr, camera[order].astype(np.int32), offset[order].astype(np.float32),
                           net.speed_mps[edge][order].astype(np.float32))


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for integers, faster: two 16-bit radix passes
    when the values span less than 2**32 (numpy sorts 16-bit keys by radix, wider ones by
    timsort)."""
    if not len(values):
        return np.zeros(0, np.int64)
    rel = values - values.min()
    if rel.max() >= 2**32:
        return np.argsort(values, kind="stable")
    low = np.argsort(rel.astype(np.uint16), kind="stable")  # rel mod 2**16
    high = (rel >> 16).astype(np.uint16)
    return low[np.argsort(high[low], kind="stable")]


def edge_flows(paths: ZonePaths, pair_trips: np.ndarray, n_edges: int) -> np.ndarray:
    """Expected traversals per edge given expected trips per zone pair."""
    weights = np.repeat(pair_trips, paths.edge_counts())
    return np.bincount(paths.pair_edge, weights=weights, minlength=n_edges)
