"""The all-pairs edge-list store that ``sim.paths`` replaced: the edges of the shortest
path of every ordered zone pair of a component. Its memory grows as zones squared times
path length; it is kept as the reference the tree store is tested against and as the
baseline of ``python -m benchmarks path_store``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from sim.path_trees import graph_of
from sim.paths import ROUTE_GRID_BITS as U_BITS
from sim.paths import CheckpointPaths, ZonePaths, bucket_bits_for
from sim.radix import stable_argsort
from sim.roads import RoadNetwork


@dataclass(frozen=True)
class PairEdges:
    """Edges of every pair's path (CSR in pair order, ``ZonePaths`` numbering)."""

    pair_ptr: np.ndarray  # int64 (P + 1,)
    pair_edge: np.ndarray  # int32 edges in travel order
    edge_offset_s: np.ndarray  # float32 time from the origin to the start of each edge

    def edge_counts(self) -> np.ndarray:
        return np.diff(self.pair_ptr)


def pair_edges(net: RoadNetwork, paths: ZonePaths) -> PairEdges:
    """Walk each component's predecessor matrix back from every destination at once."""
    n = net.n_nodes
    graph = graph_of(net)
    edge_key = net.edge_from.astype(np.int64) * n + net.edge_to
    key_order = np.argsort(edge_key)
    sorted_keys = edge_key[key_order]
    chunks_pair, chunks_edge, chunks_offset, chunks_step = [], [], [], []
    for zones, start in zip(paths.component_zones, paths.component_start, strict=False):
        dist, pred = dijkstra(graph, directed=True, indices=net.zone_node[zones], return_predecessors=True)
        k = len(zones)
        origin_row = np.repeat(np.arange(k), k)
        dest_zone = np.tile(zones, k)
        pair_ids = start + np.arange(k * k, dtype=np.int64)
        cur = net.zone_node[dest_zone].astype(np.int64)
        active = np.nonzero(pred[origin_row, cur] >= 0)[0]
        step = 0
        while len(active):
            prev = pred[origin_row[active], cur[active]]
            key = prev.astype(np.int64) * n + cur[active]
            chunks_pair.append(pair_ids[active])
            chunks_edge.append(key_order[np.searchsorted(sorted_keys, key)].astype(np.int32))
            chunks_offset.append(dist[origin_row[active], prev].astype(np.float32))
            chunks_step.append(np.full(len(active), step, np.int32))
            cur[active] = prev
            active = active[pred[origin_row[active], prev] >= 0]
            step += 1
    def cat(chunks, dtype):
        return (np.concatenate(chunks) if chunks else np.zeros(0, dtype))
    pair, edge = cat(chunks_pair, np.int64), cat(chunks_edge, np.int32)
    offset, step = cat(chunks_offset, np.float32), cat(chunks_step, np.int32)
    counts = np.bincount(pair, minlength=paths.n_pairs)
    ptr = np.zeros(paths.n_pairs + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    # the k-th step back is the k-th edge from the end of the path
    place = ptr[pair] + counts[pair] - 1 - step
    ordered_edge, ordered_offset = np.empty_like(edge), np.empty_like(offset)
    ordered_edge[place], ordered_offset[place] = edge, offset
    return PairEdges(ptr, ordered_edge, ordered_offset)


def pair_edge_flows(edges: PairEdges, pair_trips: np.ndarray, n_edges: int) -> np.ndarray:
    """Expected traversals per edge given expected trips per zone pair."""
    return np.bincount(edges.pair_edge, weights=np.repeat(pair_trips, edges.edge_counts()), minlength=n_edges)


def checkpoints_from_edges(edges: PairEdges, paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray,
                           cp_fraction: np.ndarray, cp_camera: np.ndarray, cp_width: np.ndarray,
                           cp_street: np.ndarray) -> CheckpointPaths:
    """``sim.paths.checkpoints_on`` by expanding every pair's edge list."""
    by_edge = np.lexsort((cp_fraction, cp_edge))
    sorted_edge, sorted_fraction = np.asarray(cp_edge)[by_edge], np.asarray(cp_fraction)[by_edge]
    edge_ptr = np.zeros(net.n_edges + 1, np.int64)
    np.cumsum(np.bincount(sorted_edge, minlength=net.n_edges), out=edge_ptr[1:])
    per_edge = np.diff(edge_ptr)[edges.pair_edge]
    total = int(per_edge.sum())
    src = np.repeat(np.arange(len(edges.pair_edge)), per_edge)
    within = np.arange(total) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    cp = edge_ptr[edges.pair_edge[src]] + within
    edge = edges.pair_edge[src]
    offset = edges.edge_offset_s[src] + sorted_fraction[cp] * net.travel_time_s()[edge]
    pair = np.repeat(np.arange(paths.n_pairs), edges.edge_counts())[src]
    return segment_store_reference(paths.n_pairs, net, pair, offset, by_edge[cp], edge, cp_camera, cp_width,
                                   cp_street, bucket_bits_for(paths.n_pairs, len(pair)))


def segment_store_reference(n_pairs: int, net: RoadNetwork, pair: np.ndarray, offset: np.ndarray, original: np.ndarray,
                  edge: np.ndarray, cp_camera: np.ndarray, cp_width: np.ndarray, cp_street: np.ndarray, bucket_bits: int) -> CheckpointPaths:
    """Cut each pair's route interval at its checkpoints' bundle bounds (``CheckpointPaths``),
    given every (pair, offset, checkpoint, edge) in pair order then path order: the
    all-pairs store's numpy construction, kept as the reference for ``sim.paths``'."""
    width = np.maximum(np.asarray(cp_width, np.int64), 1)[original]
    street = np.asarray(cp_street, np.int64)[original] % width
    lo = (street << U_BITS) // width  # interval bounds on the 2**-32 grid
    hi = ((street + 1) << U_BITS) // width
    # elementary segments of each pair: cut at 0 and at every bound
    cuts = np.concatenate([np.arange(n_pairs, dtype=np.int64) << 33, (pair << 33) | lo, (pair << 33) | hi])
    cuts = np.sort(cuts[(cuts & ((1 << 33) - 1)) < (1 << U_BITS)])
    cuts = cuts[np.r_[True, cuts[1:] != cuts[:-1]]]
    first = np.searchsorted(cuts, (pair << 33) | lo)
    last = np.searchsorted(cuts, (pair << 33) | hi)  # segments first .. last - 1 lie inside
    span = last - first
    row = np.repeat(first, span) + np.arange(int(span.sum())) - np.repeat(np.cumsum(span) - span, span)
    item = np.repeat(np.arange(len(pair)), span)
    # items come in (pair, path) order, so a stable sort by segment keeps path order inside it
    order = stable_argsort(row)
    row, item = row[order], item[order]
    ptr = np.zeros(len(cuts) + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=len(cuts)), out=ptr[1:])
    bucket = np.arange(n_pairs << bucket_bits, dtype=np.int64)
    bucket_key = ((bucket >> bucket_bits) << 33) | ((bucket & ((1 << bucket_bits) - 1)) << (U_BITS - bucket_bits))
    bucket_seg = (np.searchsorted(cuts, bucket_key, side="right") - 1).astype(np.int32)
    return CheckpointPaths(cuts, ptr, cp_camera[original[item]].astype(np.int32), offset[item].astype(np.float32),
                           net.speed_mps[edge[item]].astype(np.float32), bucket_seg, n_pairs, len(pair), bucket_bits)
