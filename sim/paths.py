"""Shortest paths between zone centroids, stored as CSR arrays of edges and checkpoints.

Paths are computed once per connected component with scipy's Dijkstra (travel time as
weight) and walked back for all zone pairs at once, so no per-path Python loop runs.
A *checkpoint* is a point on a directed edge where a camera watches; ``checkpoints_on``
turns the zone-pair paths into zone-pair camera sequences with time offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sim.radix import stable_argsort
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


# A road segment of a schematic network stands for a bundle of parallel real streets (or
# lanes): a camera watches one of them, and a vehicle keeps to one habitual street per
# route. Base widths by class (street, arterial, highway, ramp, bridge); a network may
# scale them per jurisdiction (``bundle_width`` in the builder); a user's GeoJSON of real
# streets has width 1 everywhere.
BUNDLE_WIDTH = np.array([8, 4, 4, 1, 5], np.int64)


_U_BITS = 32  # route keys and bundle streets are compared on a 2**-32 grid
_BUCKET_BITS = 5  # each pair's unit interval in 32 buckets, for a direct first guess
ROUTE_GRID_BITS, BUCKET_BITS = _U_BITS, _BUCKET_BITS  # for compiled look-ups (sim.compiled_traffic)


@dataclass(frozen=True)
class CheckpointPaths:
    """For every zone pair, which checkpoints a trip passes, by its route key.

    A checkpoint on bundle street ``s`` of a segment ``w`` streets wide is passed by the
    trips whose route fraction ``u`` (from a hash of vehicle and pair) lies in
    ``[s / w, (s + 1) / w)``: a vehicle keeps to the same street index on every segment of
    equal width along its route. The store cuts each pair's unit interval at every
    checkpoint's bounds; a segment lists the checkpoints covering it in path order, so a
    trip finds its checkpoints with one binary search and never looks at the others.
    """

    seg_key: np.ndarray  # int64 (S,) pair << 33 | segment start on the 2**-32 grid, sorted
    seg_ptr: np.ndarray  # int64 (S + 1,) CSR pointer into the entries
    camera: np.ndarray  # int32 camera index
    offset_s: np.ndarray  # float32 time from departure to the checkpoint
    speed_mps: np.ndarray  # float32 free-flow speed at the checkpoint
    bucket_seg: np.ndarray  # int32 (P << _BUCKET_BITS,) the segment at each bucket's start
    n_pairs: int = 0
    candidates: int = 0  # checkpoints on all pair paths before the bundle cut (for the record)

    def segments(self, pair: np.ndarray, route_u: np.ndarray) -> np.ndarray:
        """The segment of each (pair, route fraction): its bucket's first segment, then
        forward past the few cuts inside the bucket (no binary search)."""
        grid = np.minimum((route_u * 2.0**_U_BITS).astype(np.int64), 2**_U_BITS - 1)
        return _walk_segments(np.ascontiguousarray(pair, np.int64), grid, self.seg_key, self.bucket_seg)

    def counts(self, seg: np.ndarray) -> np.ndarray:
        return self.seg_ptr[seg + 1] - self.seg_ptr[seg]


@numba.njit(cache=True, nogil=True)
def _walk_segments(pair, grid, seg_key, bucket_seg):
    out = np.empty(pair.size, np.int64)
    last = seg_key.size - 1
    for i in range(pair.size):
        query = (pair[i] << 33) | grid[i]
        seg = np.int64(bucket_seg[(pair[i] << _BUCKET_BITS) | (grid[i] >> (_U_BITS - _BUCKET_BITS))])
        while seg < last and seg_key[seg + 1] <= query:
            seg += 1
        out[i] = seg
    return out


def _expand_checkpoints(paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray,
                        cp_fraction: np.ndarray) -> tuple[np.ndarray, ...]:
    """(pair, offset, checkpoint, edge) of every checkpoint on every zone-pair path, in
    pair order and, within a pair, path order (checkpoints of one edge in the given order)."""
    edge_ptr = np.zeros(net.n_edges + 1, np.int64)
    np.cumsum(np.bincount(cp_edge, minlength=net.n_edges), out=edge_ptr[1:])
    per_edge = np.diff(edge_ptr)[paths.pair_edge]
    total = int(per_edge.sum())
    src = np.repeat(np.arange(len(paths.pair_edge)), per_edge)
    within = np.arange(total) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    cp = edge_ptr[paths.pair_edge[src]] + within
    edge = paths.pair_edge[src]
    offset = paths.edge_offset_s[src] + cp_fraction[cp] * net.travel_time_s()[edge]
    pair = np.repeat(np.arange(paths.n_pairs), paths.edge_counts())[src]
    return pair, offset, cp, edge


def checkpoints_on(paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray, cp_fraction: np.ndarray,
                   cp_camera: np.ndarray, cp_width: np.ndarray, cp_street: np.ndarray) -> CheckpointPaths:
    """Expand zone-pair edge sequences into the checkpoints (cameras) standing on them.

    ``cp_width[i]`` is the width of the checkpoint's bundle and ``cp_street[i]`` the street
    it watches (taken modulo the width). A segment lists its checkpoints by offset; equal
    offsets in the order of the arguments.
    """
    # by edge, and along each edge by position (equal positions in argument order): the
    # expansion then lists a path's checkpoints in the order they are passed
    by_edge = np.lexsort((cp_fraction, cp_edge))
    pair, offset, cp, edge = _expand_checkpoints(paths, net, cp_edge[by_edge], cp_fraction[by_edge])
    original = by_edge[cp]
    width = np.maximum(np.asarray(cp_width, np.int64), 1)[original]
    street = np.asarray(cp_street, np.int64)[original] % width
    lo = (street << _U_BITS) // width  # interval bounds on the 2**-32 grid
    hi = ((street + 1) << _U_BITS) // width
    # elementary segments of each pair: cut at 0 and at every bound
    cuts = np.concatenate([np.arange(paths.n_pairs, dtype=np.int64) << 33, (pair << 33) | lo, (pair << 33) | hi])
    cuts = np.sort(cuts[(cuts & ((1 << 33) - 1)) < (1 << _U_BITS)])
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
    bucket = np.arange(paths.n_pairs << _BUCKET_BITS, dtype=np.int64)
    bucket_key = ((bucket >> _BUCKET_BITS) << 33) | ((bucket & ((1 << _BUCKET_BITS) - 1)) << (_U_BITS - _BUCKET_BITS))
    bucket_seg = (np.searchsorted(cuts, bucket_key, side="right") - 1).astype(np.int32)
    return CheckpointPaths(cuts, ptr, cp_camera[original[item]].astype(np.int32), offset[item].astype(np.float32),
                           net.speed_mps[edge[item]].astype(np.float32), bucket_seg, paths.n_pairs, len(pair))


def edge_flows(paths: ZonePaths, pair_trips: np.ndarray, n_edges: int) -> np.ndarray:
    """Expected traversals per edge given expected trips per zone pair."""
    weights = np.repeat(pair_trips, paths.edge_counts())
    return np.bincount(paths.pair_edge, weights=weights, minlength=n_edges)
