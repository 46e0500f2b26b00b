"""Shortest paths between zones, kept as what later stages need: pair times and camera checkpoints.

Paths are shortest-path trees (scipy's Dijkstra, travel time as weight) from blocks of
origin zones, walked in compiled code (``sim.path_trees``): the store keeps, per ordered
zone pair of a connected component, the travel time, whether the path crosses a bridge,
and the checkpoints the path passes; expected edge flows for calibration are summed per
tree. No pair's edge list is ever kept (``sim.all_pairs`` is the edge-list store this
replaces, kept as the reference for tests and the ``path_store`` benchmark).
A *checkpoint* is a point on a directed edge where a camera watches; ``checkpoints_on``
turns the trees into zone-pair camera sequences with time offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.sparse.csgraph import connected_components

from sim.path_trees import (
    block_checkpoints,
    block_flows,
    block_segments,
    graph_of,
    out_adjacency,
    tree_blocks,
)
from sim.radix import stable_argsort  # noqa: F401 (sim.traffic imports it from here)
from sim.roads import EDGE_CLASSES, RoadNetwork


@dataclass(frozen=True)
class ZonePaths:
    """Travel time (and bridge crossing) of the shortest path for every ordered pair of
    zones in one component; the paths themselves are re-derived from trees on demand.

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
    pair_time_s: np.ndarray  # float32 (P,) travel time, inf when unreachable one way
    pair_bridge: np.ndarray  # bool (P,) the path crosses a bridge
    component_zones: tuple[np.ndarray, ...] = ()  # int64 zones of each component, ascending

    @property
    def n_pairs(self) -> int:
        return len(self.pair_origin)

    @property
    def component_start(self) -> np.ndarray:
        """(C + 1,) first pair id of each component's block, then the number of pairs."""
        return np.concatenate([[0], np.cumsum([len(z) ** 2 for z in self.component_zones])]).astype(np.int64)

    def pair(self, origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
        """Pair ids; origin and dest must lie in the same component."""
        return self.zone_block[origin] + self.zone_local[origin].astype(np.int64) * self.zone_block_size[origin] + self.zone_local[dest]


def _node_components(net: RoadNetwork) -> np.ndarray:
    return connected_components(graph_of(net), directed=True, connection="weak")[1]


def _components(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(zone component, zone local index, component sizes, block starts, zones per component)."""
    component = _node_components(net)
    comps, zone_comp = np.unique(component[net.zone_node], return_inverse=True)
    sizes = np.bincount(zone_comp, minlength=len(comps)).astype(np.int64)
    block_start = np.concatenate([[0], np.cumsum(sizes * sizes)])
    zone_local = np.zeros(net.n_zones, np.int32)
    members = tuple(np.nonzero(zone_comp == c)[0] for c in range(len(comps)))
    for zones in members:
        zone_local[zones] = np.arange(len(zones))
    return zone_comp.astype(np.int32), zone_local, sizes, block_start, members


def _nodes_by_component(net: RoadNetwork, members: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """The nodes of each zone component (a tree never leaves its component, so only these
    are sorted, not the whole network's nodes, once per origin)."""
    component = _node_components(net)
    order = np.argsort(component, kind="stable")
    ptr = np.searchsorted(component[order], np.arange(component.max() + 2))
    return [order[ptr[c]:ptr[c + 1]].astype(np.int64) for c in component[net.zone_node[[z[0] for z in members]]]]


def _walk_trees(net: RoadNetwork, members: tuple[np.ndarray, ...], block_start: np.ndarray,
                cp_edge_sorted: np.ndarray | None = None, cp_fraction_sorted: np.ndarray | None = None):
    """Per block of origins, component by component: (first pair id, (counts, checkpoint,
    offset, time, bridge)) from ``sim.path_trees.block_checkpoints``."""
    graph = graph_of(net)
    adj = out_adjacency(net)
    n_cp = 0 if cp_edge_sorted is None else len(cp_edge_sorted)
    cp_ptr = np.zeros(net.n_edges + 1, np.int64)
    if n_cp:
        np.cumsum(np.bincount(cp_edge_sorted, minlength=net.n_edges), out=cp_ptr[1:])
    fraction = np.zeros(0, np.float32) if cp_fraction_sorted is None else np.asarray(cp_fraction_sorted)
    is_bridge = net.edge_class == EDGE_CLASSES.index("bridge")
    travel = net.travel_time_s()
    nodes_of = _nodes_by_component(net, members)
    for c, zones in enumerate(members):
        dest_node = net.zone_node[zones].astype(np.int64)
        for row0, dist, pred in tree_blocks(graph, net.zone_node[zones]):
            out = block_checkpoints(dist, pred, nodes_of[c], dest_node, *adj, net.edge_from.astype(np.int64), cp_ptr,
                                    fraction, travel, is_bridge)
            yield int(block_start[c]) + row0 * len(zones), out


def zone_paths(net: RoadNetwork) -> ZonePaths:
    """Pair times and bridge crossings from one pass of shortest-path trees."""
    zone_comp, zone_local, sizes, block_start, members = _components(net)
    n_pairs = int(block_start[-1])
    pair_time = np.full(n_pairs, np.inf, np.float32)
    pair_bridge = np.zeros(n_pairs, bool)
    for first, (_, _, _, time_s, bridge) in _walk_trees(net, members, block_start):
        pair_time[first:first + len(time_s)] = time_s
        pair_bridge[first:first + len(time_s)] = bridge
    pair_origin = np.concatenate([np.repeat(z, len(z)) for z in members]).astype(np.int32) if members else np.zeros(0, np.int32)
    pair_dest = np.concatenate([np.tile(z, len(z)) for z in members]).astype(np.int32) if members else np.zeros(0, np.int32)
    return ZonePaths(net.n_zones, zone_comp, block_start[zone_comp], zone_local, sizes[zone_comp].astype(np.int32),
                     pair_origin, pair_dest, pair_time, pair_bridge, members)


def edge_flows(paths: ZonePaths, net: RoadNetwork, pair_trips: np.ndarray) -> np.ndarray:
    """Expected traversals per edge given expected trips per zone pair: ``(P,)`` trips
    give ``(E,)`` flows, ``(G, P)`` give ``(G, E)``. Summed per origin tree, never by
    listing a pair's edges."""
    trips = np.atleast_2d(np.asarray(pair_trips, np.float64))
    flows = np.zeros((trips.shape[0], net.n_edges))
    graph, adj = graph_of(net), out_adjacency(net)
    edge_from = net.edge_from.astype(np.int64)
    nodes_of = _nodes_by_component(net, paths.component_zones)
    for c, (zones, start) in enumerate(zip(paths.component_zones, paths.component_start, strict=False)):
        k = len(zones)
        block = trips[:, start:start + k * k].reshape(trips.shape[0], k, k)
        if not block.any():
            continue
        # only the origins that send trips need a tree
        busy = np.flatnonzero(block.any(axis=(0, 2)))
        dest_node = net.zone_node[zones].astype(np.int64)
        for row0, dist, pred in tree_blocks(graph, net.zone_node[zones[busy]]):
            rows = busy[row0:row0 + len(dist)]
            block_flows(dist, pred, nodes_of[c], dest_node, np.ascontiguousarray(block[:, rows, :]), *adj, edge_from,
                        flows)
    return flows[0] if np.ndim(pair_trips) == 1 else flows


# A road segment of a schematic network stands for a bundle of parallel real streets (or
# lanes): a camera watches one of them, and a vehicle keeps to one habitual street per
# route. Base widths by class (street, arterial, highway, ramp, bridge); a network may
# scale them per jurisdiction (``bundle_width`` in the builder); a user's GeoJSON of real
# streets has width 1 everywhere.
BUNDLE_WIDTH = np.array([8, 4, 4, 1, 5], np.int64)


_U_BITS = 32  # route keys and bundle streets are compared on a 2**-32 grid
_BUCKET_BITS = 5  # at most 32 buckets a pair (CheckpointPaths.bucket_bits), for a direct first guess
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
    bucket_seg: np.ndarray  # int32 (P << bucket_bits,) the segment at each bucket's start
    n_pairs: int = 0
    candidates: int = 0  # checkpoints on all pair paths before the bundle cut (for the record)
    bucket_bits: int = _BUCKET_BITS  # each pair's unit interval in 2**bucket_bits buckets

    def segments(self, pair: np.ndarray, route_u: np.ndarray) -> np.ndarray:
        """The segment of each (pair, route fraction): its bucket's first segment, then
        forward past the few cuts inside the bucket (no binary search)."""
        grid = np.minimum((route_u * 2.0**_U_BITS).astype(np.int64), 2**_U_BITS - 1)
        return _walk_segments(np.ascontiguousarray(pair, np.int64), grid, self.seg_key, self.bucket_seg,
                              self.bucket_bits)

    def counts(self, seg: np.ndarray) -> np.ndarray:
        return self.seg_ptr[seg + 1] - self.seg_ptr[seg]


@numba.njit(cache=True, nogil=True)
def _walk_segments(pair, grid, seg_key, bucket_seg, bucket_bits):
    out = np.empty(pair.size, np.int64)
    last = seg_key.size - 1
    for i in range(pair.size):
        query = (pair[i] << 33) | grid[i]
        seg = np.int64(bucket_seg[(pair[i] << bucket_bits) | (grid[i] >> (_U_BITS - bucket_bits))])
        while seg < last and seg_key[seg + 1] <= query:
            seg += 1
        out[i] = seg
    return out


def bucket_bits_for(n_pairs: int, candidates: int) -> int:
    """Buckets per pair: about as many as a pair has cuts (at most 32), so the index costs
    little where few cameras stand on each path."""
    mean_cuts = 1 + 2 * candidates / max(n_pairs, 1)
    return int(np.clip(np.ceil(np.log2(mean_cuts)), 0, _BUCKET_BITS))


def checkpoints_on(paths: ZonePaths, net: RoadNetwork, cp_edge: np.ndarray, cp_fraction: np.ndarray,
                   cp_camera: np.ndarray, cp_width: np.ndarray, cp_street: np.ndarray) -> CheckpointPaths:
    """The checkpoints (cameras) standing on every zone pair's path, by route key.

    ``cp_width[i]`` is the width of the checkpoint's bundle and ``cp_street[i]`` the street
    it watches (taken modulo the width). A segment lists its checkpoints by offset; equal
    offsets in the order of the arguments. Built block of origins by block of origins:
    what is held at once is one block's trees, every pair's checkpoints and the store.
    """
    # by edge, and along each edge by position (equal positions in argument order): the
    # trees then list a path's checkpoints in the order they are passed
    cp_edge, cp_fraction = np.asarray(cp_edge), np.asarray(cp_fraction)
    by_edge = np.lexsort((cp_fraction, cp_edge))
    blocks = list(_walk_trees(net, paths.component_zones, paths.component_start, cp_edge[by_edge],
                              cp_fraction[by_edge]))
    candidates = sum(len(out[1]) for _, out in blocks)
    bits = bucket_bits_for(paths.n_pairs, candidates)
    width = np.maximum(np.asarray(cp_width, np.int64), 1)[by_edge]
    street = np.asarray(cp_street, np.int64)[by_edge] % width
    lo, hi = (street << _U_BITS) // width, ((street + 1) << _U_BITS) // width  # bounds on the 2**-32 grid
    camera = np.asarray(cp_camera, np.int32)[by_edge]
    speed = net.speed_mps[cp_edge[by_edge]].astype(np.float32)
    keys, counts, cams, offsets, speeds, buckets = [], [], [], [], [], []
    n_seg = 0
    for first, (pair_counts, cp, offset, _, _) in blocks:
        key, count, cam, off, spd, bucket = block_segments(pair_counts, cp, offset, lo, hi, camera, speed,
                                                           np.int64(first), bits, _U_BITS)
        keys.append(key)
        counts.append(count)
        cams.append(cam)
        offsets.append(off)
        speeds.append(spd)
        buckets.append(bucket + np.int32(n_seg))
        n_seg += len(key)
    del blocks
    if n_seg >= 2**31:
        raise ValueError(f"checkpoint store: {n_seg} segments do not fit the int32 bucket index")

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    ptr = np.zeros(n_seg + 1, np.int64)
    np.cumsum(cat(counts, np.int64), out=ptr[1:])
    return CheckpointPaths(cat(keys, np.int64), ptr, cat(cams, np.int32), cat(offsets, np.float32),
                           cat(speeds, np.float32), cat(buckets, np.int32), paths.n_pairs, candidates, bits)
