"""Where cameras stand: synthetic placement per owner, and the camera table.

Synthetic cameras go to candidate road segments of the owner's jurisdiction, weighted by
road class and, mildly (fourth root), by expected traffic: agencies put cameras where
vehicles are, but also at city entrances and quieter streets. Sampling
without replacement uses exponential keys drawn once per candidate segment, so asking
for one more camera keeps the first n in place: more cameras is a superset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.random_streams import RandomStreams, name_key
from sim.records import Cameras
from sim.roads import EDGE_CLASSES, PLACEMENT_CLASS_WEIGHT, RoadNetwork


@dataclass(frozen=True)
class CameraSite:
    """One camera before it joins the table."""

    camera_id: str
    owner: str
    edge: int
    edge_fraction: float
    both_directions: bool = False


def site_weights(net: RoadNetwork, jurisdiction: str, traffic_per_edge: np.ndarray) -> np.ndarray:
    """Placement weight of every directed edge for an owner policing ``jurisdiction``."""
    if jurisdiction not in net.jurisdictions:
        return np.zeros(net.n_edges)
    class_weight = np.array([PLACEMENT_CLASS_WEIGHT[c] for c in EDGE_CLASSES])[net.edge_class]
    in_jurisdiction = net.edge_jurisdiction == net.jurisdiction_index(jurisdiction)
    return np.where(in_jurisdiction, class_weight * np.maximum(traffic_per_edge, 0.0) ** 0.25, 0.0)


def synthetic_sites(owner: str, count: int, weights: np.ndarray, streams: RandomStreams) -> list[CameraSite]:
    """``count`` distinct edges by weighted sampling without replacement."""
    candidates = np.nonzero(weights > 0)[0]
    if count > len(candidates):
        raise ValueError(f"owner {owner!r}: {count} cameras asked for, but its jurisdiction has only "
                         f"{len(candidates)} road segments with traffic")
    rng = streams.generator(f"placement/{owner}")
    keys = rng.exponential(size=len(candidates)) / weights[candidates]
    chosen = candidates[np.argsort(keys, kind="stable")[:count]]
    fractions = rng.uniform(0.2, 0.8, size=len(candidates))[: len(chosen)]
    return [CameraSite(f"{owner}-{k + 1:04d}", owner, int(e), float(fr))
            for k, (e, fr) in enumerate(zip(chosen, fractions, strict=True))]


def camera_table(net: RoadNetwork, sites: list[CameraSite], owners: tuple[str, ...]) -> Cameras:
    ids = [s.camera_id for s in sites]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"camera id {dup!r} is used twice")
    unknown = sorted({s.owner for s in sites} - set(owners))
    if unknown:
        raise ValueError(f"camera owner {unknown[0]!r} is not one of the scenario's owners {owners}")
    edge = np.array([s.edge for s in sites], np.int32)
    frac = np.array([s.edge_fraction for s in sites], np.float32)
    lon = net.node_lon[net.edge_from[edge]] + frac * (net.node_lon[net.edge_to[edge]] - net.node_lon[net.edge_from[edge]])
    lat = net.node_lat[net.edge_from[edge]] + frac * (net.node_lat[net.edge_to[edge]] - net.node_lat[net.edge_from[edge]])
    return Cameras(
        camera_id=tuple(ids),
        owner=np.array([owners.index(s.owner) for s in sites], np.int16),
        lon=lon, lat=lat, edge=edge, edge_fraction=frac,
        both_directions=np.array([s.both_directions for s in sites], bool),
        key=np.array([name_key(f"camera/{i}") for i in ids], np.uint64),
    )


def checkpoints(net: RoadNetwork, cams: Cameras) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edge, fraction, camera) rows: a camera without heading watches both directions."""
    edge_key = net.edge_from.astype(np.int64) * net.n_nodes + net.edge_to
    order = np.argsort(edge_key)
    both = np.nonzero(cams.both_directions)[0]
    rev_key = net.edge_to[cams.edge[both]].astype(np.int64) * net.n_nodes + net.edge_from[cams.edge[both]]
    pos = np.clip(np.searchsorted(edge_key[order], rev_key), 0, len(order) - 1)
    found = edge_key[order][pos] == rev_key
    rev_edge = order[pos][found]
    edges = np.concatenate([cams.edge, rev_edge]).astype(np.int32)
    fractions = np.concatenate([cams.edge_fraction, 1.0 - cams.edge_fraction[both][found]]).astype(np.float32)
    camera = np.concatenate([np.arange(len(cams)), both[found]]).astype(np.int32)
    return edges, fractions, camera
