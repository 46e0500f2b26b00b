"""Shortest-path trees from blocks of origins, walked in compiled code (numba).

scipy's Dijkstra gives, for a block of origin nodes, each node's distance and its
predecessor on the shortest path. Every path from one origin is a branch of that tree,
so what later stages need is read off the tree directly and nothing per path is kept:
the checkpoints along each branch (a chain of entries, one per checkpoint the tree
passes), whether a branch crosses a bridge, and the expected traffic on each tree edge
(trips to the destinations below it, summed from the leaves up).
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.roads import RoadNetwork

BLOCK_ORIGINS = 64  # origins per Dijkstra call: dist and pred of a block are 12 B x nodes x block


def graph_of(net: RoadNetwork) -> csr_matrix:
    n = net.n_nodes
    return csr_matrix((net.travel_time_s().astype(np.float64), (net.edge_from, net.edge_to)), shape=(n, n))


def out_adjacency(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ptr, to, edge): the directed edges leaving each node (CSR)."""
    order = np.argsort(net.edge_from, kind="stable")
    ptr = np.zeros(net.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(net.edge_from, minlength=net.n_nodes), out=ptr[1:])
    return ptr, net.edge_to[order].astype(np.int64), order.astype(np.int64)


def tree_blocks(graph: csr_matrix, sources: np.ndarray, block: int = BLOCK_ORIGINS):
    """(first row, dist, pred) for consecutive blocks of ``sources``."""
    for start in range(0, len(sources), block):
        dist, pred = dijkstra(graph, directed=True, indices=sources[start:start + block], return_predecessors=True)
        yield start, dist, pred


@numba.njit(cache=True, inline="always")
def _edge_between(adj_ptr, adj_to, adj_edge, u, v):
    for k in range(adj_ptr[u], adj_ptr[u + 1]):
        if adj_to[k] == v:
            return adj_edge[k]
    return -1


@numba.njit(cache=True)
def _parent_edges(dist, pred, nodes, adj_ptr, adj_to, adj_edge, parent):
    """The nodes (of ``nodes``, the origin's component) reachable from the row's origin in
    order of distance, ties by node number (a topological order of the tree: a predecessor
    is strictly nearer, every edge being at least 1 m long); fills ``parent`` with the tree
    edge into each of them (-1 at the origin)."""
    reach = np.empty(nodes.size, np.int64)
    n = 0
    for v in nodes:
        if np.isfinite(dist[v]):
            reach[n] = v
            n += 1
    reach = reach[:n]
    order = reach[np.argsort(dist[reach], kind="mergesort")]
    for v in order:
        parent[v] = _edge_between(adj_ptr, adj_to, adj_edge, pred[v], v) if pred[v] >= 0 else -1
    return order


@numba.njit(cache=True, nogil=True)
def block_checkpoints(dist, pred, nodes, dest_node, adj_ptr, adj_to, adj_edge, edge_from, cp_ptr, cp_fraction,
                      travel_time, is_bridge):
    """For each row (origin) and destination node of a block: the checkpoints on the tree
    branch in travel order, with their time offsets from the origin (float32, as
    ``edge start offset + fraction x edge time``), the branch's time and whether it
    crosses a bridge. Returns (count per pair, checkpoint, offset, time, bridge), pairs row
    by row."""
    rows, k = dist.shape[0], dest_node.size
    counts = np.zeros(rows * k, np.int64)
    time_s = np.empty(rows * k, np.float32)
    bridge = np.zeros(rows * k, np.bool_)
    cap = 1024
    out_cp = np.empty(cap, np.int64)
    out_off = np.empty(cap, np.float32)
    n_out = 0
    n_nodes = dist.shape[1]
    last = np.empty(n_nodes, np.int64)
    depth = np.empty(n_nodes, np.int64)
    crosses = np.empty(n_nodes, np.bool_)
    ent_cp = np.empty(cp_fraction.size + 1, np.int64)
    ent_parent = np.empty(cp_fraction.size + 1, np.int64)
    ent_off = np.empty(cp_fraction.size + 1, np.float32)
    parent = np.empty(n_nodes, np.int64)
    for r in range(rows):
        order = _parent_edges(dist[r], pred[r], nodes, adj_ptr, adj_to, adj_edge, parent)
        n_ent = 0
        for i in range(order.size):
            v = order[i]
            e = parent[v]
            if e < 0:
                last[v], depth[v], crosses[v] = -1, 0, False
                continue
            p = edge_from[e]
            head = last[p]
            start = np.float32(dist[r, p])
            for c in range(cp_ptr[e], cp_ptr[e + 1]):
                ent_cp[n_ent] = c
                ent_parent[n_ent] = head
                ent_off[n_ent] = start + cp_fraction[c] * travel_time[e]
                head = n_ent
                n_ent += 1
            last[v] = head
            depth[v] = depth[p] + cp_ptr[e + 1] - cp_ptr[e]
            crosses[v] = crosses[p] or is_bridge[e]
        for j in range(k):
            node = dest_node[j]
            pair = r * k + j
            time_s[pair] = np.float32(dist[r, node])
            if not np.isfinite(dist[r, node]):
                continue
            m = depth[node]
            counts[pair] = m
            bridge[pair] = crosses[node]
            if n_out + m > cap:
                while n_out + m > cap:
                    cap *= 2
                grown_cp = np.empty(cap, np.int64)
                grown_off = np.empty(cap, np.float32)
                grown_cp[:n_out] = out_cp[:n_out]
                grown_off[:n_out] = out_off[:n_out]
                out_cp, out_off = grown_cp, grown_off
            h = last[node]
            for q in range(m - 1, -1, -1):  # the chain runs from the destination back
                out_cp[n_out + q] = ent_cp[h]
                out_off[n_out + q] = ent_off[h]
                h = ent_parent[h]
            n_out += m
    return counts, out_cp[:n_out], out_off[:n_out], time_s, bridge


@numba.njit(cache=True, nogil=True)
def block_flows(dist, pred, nodes, dest_node, trips, adj_ptr, adj_to, adj_edge, edge_from, flows):
    """Add each row's trips (``trips[g, r, j]``: group g, origin row r, destination j) to
    the tree edges they use: a node's traffic is the trips ending at or below it."""
    groups, rows, k = trips.shape
    below = np.zeros((groups, dist.shape[1]))
    parent = np.empty(dist.shape[1], np.int64)
    for r in range(rows):
        order = _parent_edges(dist[r], pred[r], nodes, adj_ptr, adj_to, adj_edge, parent)
        for j in range(k):
            if np.isfinite(dist[r, dest_node[j]]):
                for g in range(groups):
                    below[g, dest_node[j]] += trips[g, r, j]
        for i in range(order.size - 1, -1, -1):  # from the farthest node back to the origin
            v = order[i]
            e = parent[v]
            if e >= 0:
                p = edge_from[e]
                for g in range(groups):
                    flows[g, e] += below[g, v]
                    below[g, p] += below[g, v]
            for g in range(groups):
                below[g, v] = 0.0


@numba.njit(cache=True)
def _grown(a, need):
    if need <= a.size:
        return a
    b = np.empty(max(need, 2 * a.size), a.dtype)
    b[:a.size] = a
    return b


@numba.njit(cache=True, nogil=True)
def block_segments(counts, cp, offset, lo, hi, camera, speed, first_pair, bucket_bits, u_bits):
    """The segments of a block of consecutive pairs (``sim.paths.CheckpointPaths``): each
    pair's route interval cut at 0 and at its checkpoints' bounds ``[lo, hi)`` (on the
    2**-u_bits grid), each segment listing the checkpoints covering it in path order, and
    for each of the pair's 2**bucket_bits buckets the segment at its start (block-relative).
    ``cp`` and ``offset`` list every pair's checkpoints in path order, pair after pair."""
    n_pairs = counts.size
    top = np.int64(1) << u_bits
    seg_key = np.empty(n_pairs + 16, np.int64)
    seg_count = np.empty(n_pairs + 16, np.int64)
    out_camera = np.empty(cp.size + 16, np.int32)
    out_offset = np.empty(cp.size + 16, np.float32)
    out_speed = np.empty(cp.size + 16, np.float32)
    buckets = np.empty(n_pairs << bucket_bits, np.int32)
    bounds = np.empty(16, np.int64)
    span_lo = np.empty(16, np.int64)
    span_hi = np.empty(16, np.int64)
    diff = np.empty(16, np.int64)
    fill = np.empty(16, np.int64)
    n_seg = 0
    n_out = 0
    at = 0
    for p in range(n_pairs):
        m = counts[p]
        bounds = _grown(bounds, 2 * m + 1)
        bounds[0] = 0
        nb = 1
        for i in range(at, at + m):
            bounds[nb] = lo[cp[i]]
            nb += 1
            if hi[cp[i]] < top:
                bounds[nb] = hi[cp[i]]
                nb += 1
        cuts = np.unique(bounds[:nb])
        nc = cuts.size
        seg_key = _grown(seg_key, n_seg + nc)
        seg_count = _grown(seg_count, n_seg + nc)
        first_seg = n_seg
        # checkpoint k covers the segments whose cut lies in [lo, hi): a run of them, found by
        # binary search; counted with a difference array, then filled checkpoint by
        # checkpoint in path order (so each segment lists them in path order): the work is
        # the output's size, not segments x checkpoints
        span_lo = _grown(span_lo, m)
        span_hi = _grown(span_hi, m)
        diff = _grown(diff, nc + 1)
        fill = _grown(fill, nc)
        diff[:nc + 1] = 0
        for k in range(m):
            c = cp[at + k]
            f = np.searchsorted(cuts, lo[c])
            e = np.searchsorted(cuts, hi[c])
            span_lo[k], span_hi[k] = f, e
            diff[f] += 1
            diff[e] -= 1
        run = 0
        total = n_out
        for s in range(nc):
            seg_key[n_seg + s] = ((first_pair + p) << 33) | cuts[s]
            run += diff[s]
            seg_count[n_seg + s] = run
            fill[s] = total
            total += run
        if total > out_camera.size:
            out_camera = _grown(out_camera, total)
            out_offset = _grown(out_offset, total)
            out_speed = _grown(out_speed, total)
        for k in range(m):
            i = at + k
            c = cp[i]
            for s in range(span_lo[k], span_hi[k]):
                j = fill[s]
                out_camera[j] = camera[c]
                out_offset[j] = offset[i]
                out_speed[j] = speed[c]
                fill[s] = j + 1
        n_out = total
        n_seg += nc
        s = 0
        for b in range(1 << bucket_bits):
            start = np.int64(b) << (u_bits - bucket_bits)
            while s + 1 < cuts.size and cuts[s + 1] <= start:
                s += 1
            buckets[(p << bucket_bits) + b] = first_seg + s
        at += m
    return seg_key[:n_seg], seg_count[:n_seg], out_camera[:n_out], out_offset[:n_out], out_speed[:n_out], buckets
