"""The path store on synthetic street grids of 400, 1,500 and 5,000 zones: the tree store
(``sim.paths``: per-origin shortest-path trees, no edge lists) beside the all-pairs
edge-list store it replaced (``sim.all_pairs``) where that still fits.

Each store builds what the world needs from it: pair times, the checkpoint store of the
default's 990 cameras on random segments (bundle widths of the default's fitted scale),
and the expected edge flows of gravity-model trips (tau = 900 s, the default's). Every
run is a child process so that its peak resident memory (``resource.getrusage``) is its
own. The all-pairs store is skipped where its edge lists (estimated from the mean path
length of a sample of trees) would pass ``ALL_PAIRS_LIMIT_GIB``, the tree store where its
peak scaled from the size before would pass ``TREES_LIMIT_GIB``. The memory growth
exponent is taken between the smallest and largest sizes that ran, on the peak above the
process's footprint before the store was built (2 is quadratic; the pairs grow as 2).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

from benchmarks import emit, log

ZONES = (400, 1500, 5000)
CAMERAS = 990  # the default scenario's
BUNDLE_SCALE = 17.0  # the default's fitted bundle scale (report: world.calibration)
TAU_S = 900.0  # the default's gravity model
ALL_PAIRS_LIMIT_GIB = 6.0
# The tree store still holds a few numbers per zone pair (times, the checkpoint index):
# a size whose estimated peak passes this (env PATH_STORE_LIMIT_GIB) is skipped, not run,
# on a machine shared with other jobs.
TREES_LIMIT_GIB = 4.0
SPACING_M = 400.0  # two by two intersections a zone: the default's zones


def grid_network(zones: int):
    from sim.geo import EARTH_RADIUS_M
    from sim.roads import NetworkBuilder

    side_nodes = 2 * int(round(np.sqrt(zones)))
    size_deg = np.degrees((side_nodes - 1) * SPACING_M / EARTH_RADIUS_M)
    b = NetworkBuilder(f"grid-{zones}")
    lon_size = size_deg / np.cos(np.radians(37.0))
    ids = b.grid("town", -122.0, -122.0 + lon_size, 37.0, 37.0 + size_deg, spacing_m=SPACING_M)
    b.zones_from_grid("town", ids, 2)
    return b.build()


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(zones: int, store: str) -> dict:
    from sim.all_pairs import checkpoints_from_edges, pair_edge_flows, pair_edges
    from sim.paths import BUNDLE_WIDTH, checkpoints_on, edge_flows, zone_paths

    net = grid_network(zones)
    rng = np.random.default_rng(0)
    cp_edge = rng.choice(net.n_edges, CAMERAS, replace=False).astype(np.int32)
    cp_args = (cp_edge, rng.random(CAMERAS).astype(np.float32), np.arange(CAMERAS, dtype=np.int32),
               np.round(BUNDLE_WIDTH[net.edge_class[cp_edge]] * BUNDLE_SCALE).astype(np.int64),
               rng.integers(0, 2**31, CAMERAS))
    base = _peak_bytes()
    t0 = time.perf_counter()
    paths = zone_paths(net)
    t1 = time.perf_counter()
    w = np.exp(-paths.pair_time_s.astype(np.float64) / TAU_S)
    trips = w / np.bincount(paths.pair_origin, weights=w, minlength=net.n_zones)[paths.pair_origin]
    t2 = time.perf_counter()
    if store == "trees":
        cp = checkpoints_on(paths, net, *cp_args)
        t3 = time.perf_counter()
        flows = edge_flows(paths, net, trips)
        edges_bytes = 0
    else:
        edges = pair_edges(net, paths)
        cp = checkpoints_from_edges(edges, paths, net, *cp_args)
        t3 = time.perf_counter()
        flows = pair_edge_flows(edges, trips, net.n_edges)
        edges_bytes = edges.pair_ptr.nbytes + edges.pair_edge.nbytes + edges.edge_offset_s.nbytes
    t4 = time.perf_counter()
    kept = sum(a.nbytes for a in (paths.pair_origin, paths.pair_dest, paths.pair_time_s, paths.pair_bridge,
                                  cp.seg_key, cp.seg_ptr, cp.camera, cp.offset_s, cp.speed_mps, cp.bucket_seg))
    return {"zones": net.n_zones, "nodes": net.n_nodes, "edges": net.n_edges, "pairs": paths.n_pairs,
            "checkpoints_on_paths": cp.candidates, "paths_s": t1 - t0, "checkpoints_s": t3 - t2,
            "flows_s": t4 - t3, "total_s": t4 - t0 - (t2 - t1), "peak_rss_bytes": _peak_bytes(),
            "rss_before_bytes": base, "kept_bytes": kept + edges_bytes, "edge_list_bytes": edges_bytes,
            "flow_total": float(flows.sum())}


def _mean_path_edges(zones: int) -> float:
    """Mean edges per shortest path, from the trees of a sample of origins."""
    from scipy.sparse.csgraph import dijkstra

    from sim.path_trees import graph_of

    net = grid_network(zones)
    sample = np.random.default_rng(1).choice(net.n_zones, 8, replace=False)
    _, pred = dijkstra(graph_of(net), indices=net.zone_node[sample], return_predecessors=True)
    hops = []
    for row in range(len(sample)):
        for dest in net.zone_node:
            k, node = 0, int(dest)
            while pred[row, node] >= 0:
                node, k = int(pred[row, node]), k + 1
            hops.append(k)
    return float(np.mean(hops))


def _run_child(zones: int, store: str) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.path_store", "--child", str(zones), store]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"path_store: {store} at {zones} zones failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    load_before = os.getloadavg()[0]
    log(f"path_store: grids of {ZONES} zones in child processes; load average {load_before:.2f} on {os.cpu_count()} cores")
    limit_gib = float(os.environ.get("PATH_STORE_LIMIT_GIB", TREES_LIMIT_GIB))
    results = {}
    for zones in ZONES:
        if results:
            # the store is still O(pairs): scale the last run's peak bytes per pair
            last = results[max(results)]
            pairs = grid_network(zones).n_zones ** 2
            estimate = last["peak_rss_bytes"] / last["pairs"] * pairs / 2**30
            if estimate > limit_gib:
                log(f"path_store: tree store at {zones} zones skipped: ~{estimate:.1f} GiB peak estimated "
                    f"({pairs:,} pairs) > PATH_STORE_LIMIT_GIB={limit_gib:g} on a shared machine")
                emit(f"path_store.trees.{zones}.peak_memory", estimate, "GiB (estimated, not run)", pairs=pairs,
                     limit_gib=limit_gib)
                continue
        trees = _run_child(zones, "trees")
        hops = _mean_path_edges(zones)
        # edge lists: int32 edge + float32 offset per path edge kept, and while the walk
        # runs its int64 pair, int32 step and the reordered copies: about 40 B an edge
        estimate_gib = trees["pairs"] * hops * 40 / 2**30
        if estimate_gib <= ALL_PAIRS_LIMIT_GIB:
            all_pairs = _run_child(zones, "all_pairs")
        else:
            all_pairs = None
            log(f"path_store: all-pairs store at {zones} zones skipped: ~{estimate_gib:.1f} GiB of edge lists "
                f"({hops:.0f} edges a path)")
        results[zones] = trees
        gib = trees["peak_rss_bytes"] / 2**30
        emit(f"path_store.trees.{zones}.peak_memory", gib, "GiB",
             baseline=None if all_pairs is None else all_pairs["peak_rss_bytes"] / 2**30,
             kept_gib=round(trees["kept_bytes"] / 2**30, 4), pairs=trees["pairs"], nodes=trees["nodes"],
             checkpoints_on_paths=trees["checkpoints_on_paths"], mean_path_edges=round(hops, 1),
             all_pairs_edge_lists_gib=(round(all_pairs["edge_list_bytes"] / 2**30, 3) if all_pairs
                                       else f"skipped, estimated {estimate_gib:.1f}"))
        emit(f"path_store.trees.{zones}.time", trees["total_s"], "s",
             baseline=None if all_pairs is None else all_pairs["total_s"],
             paths_s=round(trees["paths_s"], 2), checkpoints_s=round(trees["checkpoints_s"], 2),
             flows_s=round(trees["flows_s"], 2),
             flows_equal=None if all_pairs is None else bool(np.isclose(trees["flow_total"], all_pairs["flow_total"])))
    lo, hi = min(results), max(results)

    def grown(r: dict) -> int:  # the store's own peak: above the process before it was built
        return r["peak_rss_bytes"] - r["rss_before_bytes"]

    growth = np.log(grown(results[hi]) / grown(results[lo])) / np.log(hi / lo)
    kept_growth = np.log(results[hi]["kept_bytes"] / results[lo]["kept_bytes"]) / np.log(hi / lo)
    emit("path_store.trees.memory_growth_exponent", growth, "", baseline=2.0, kept_bytes_exponent=round(kept_growth, 3),
         pairs_exponent=2.0, between_zones=[lo, hi], load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)],
         cores=os.cpu_count())


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), sys.argv[3])))
    else:
        main()
