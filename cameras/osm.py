"""Real camera positions from OpenStreetMap ALPR points (DeFlock / Overpass GeoJSON).

Each point (``man_made=surveillance`` + ``surveillance:type=ALPR``) snaps to the nearest
road segment within ``max_snap_m``; with a ``direction`` it watches the segment's
direction closest to where it faces (cameras read the rear plates of vehicles driving
away), without one it watches both directions.

Owner rule, in order:
1. an ``operator`` that names a scenario owner (``operator_owners``) gives that owner,
   except that a state operator's cameras standing on a city's streets feed that city's
   network (``street_cameras_feed_city``): the 2024 CHP contract's cameras on Oakland
   streets are Oakland's network (FACTS.md, gov.ca.gov 2024-04-02);
2. no operator, or the vendor named as operator ("Flock Safety"): the owner policing the
   road the camera snaps to (CHP on state highways);
3. any other operator (another city's police, a retailer, a homeowners' association) is
   not part of the scenario: the camera is left out and counted in the import summary.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from cameras.placement import CameraSite
from sim.geo import angle_diff_deg, bearing_deg, local_xy_m, point_segment_distance_m
from sim.roads import EDGE_CLASSES, RoadNetwork

VENDOR_OPERATORS = ("flock", "motorola", "vigilant", "ubicquia", "genetec", "rekor", "leonardo")


class CameraFileError(ValueError):
    """A camera locations file that cannot be read; names the file and feature."""


@dataclass(frozen=True)
class OsmCamera:
    osm_id: str
    lon: float
    lat: float
    operator: str | None
    direction_deg: float | None
    manufacturer: str | None


@dataclass(frozen=True)
class ImportSummary:
    points: int
    in_area: int
    snapped: int
    by_owner: dict[str, int]
    left_out: dict[str, int] = field(default_factory=dict)  # reason or operator -> count


def normalise_operator(name: str) -> str:
    text = re.sub(r"\(.*?\)", " ", name.lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def read_osm_cameras(path: str | Path) -> list[OsmCamera]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise CameraFileError(f"{path}: cannot read GeoJSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise CameraFileError(f"{path}: expected a GeoJSON FeatureCollection with 'features'")
    out = []
    for i, feature in enumerate(data["features"]):
        where = f"{path}: features[{i}]"
        geom = (feature or {}).get("geometry") or {}
        props = (feature or {}).get("properties") or {}
        if geom.get("type") != "Point":
            raise CameraFileError(f"{where}.geometry.type: {geom.get('type')!r}; camera locations must be Points")
        pos = geom.get("coordinates")
        if not (isinstance(pos, list) and len(pos) >= 2 and all(isinstance(c, int | float) for c in pos[:2])
                and -180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            raise CameraFileError(f"{where}.geometry.coordinates: {pos!r} is not a lon/lat position")
        direction = props.get("direction_deg")
        if direction is None and props.get("direction") not in (None, ""):
            try:
                direction = float(str(props["direction"]).split(";")[0])
            except ValueError:
                direction = None  # compass letters and ranges: treated as unknown heading
        operator = props.get("operator") or props.get("surveillance:operator")
        out.append(OsmCamera(str(props.get("osm_id", i)), float(pos[0]), float(pos[1]),
                             operator if isinstance(operator, str) and operator.strip() else None,
                             float(direction) if isinstance(direction, int | float) else None,
                             props.get("manufacturer")))
    return out


def nearest_edges(net: RoadNetwork, lon: np.ndarray, lat: np.ndarray, max_snap_m: float,
                  usable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edge, fraction, distance_m) of the nearest road segment to each point; edge -1
    where none lies within ``max_snap_m``. ``usable`` (bool per edge) limits the segments
    a point may snap to."""
    lon0, lat0 = float(net.node_lon.mean()), float(net.node_lat.mean())
    nx, ny = local_xy_m(net.node_lon, net.node_lat, lon0, lat0)
    ax, ay, bx, by = nx[net.edge_from], ny[net.edge_from], nx[net.edge_to], ny[net.edge_to]
    # sample each edge every ~50 m for a KD-tree of candidate edges
    samples = np.maximum(1, np.ceil(net.length_m / 50.0).astype(int))
    if usable is not None:
        samples = np.where(usable, samples, 0)
    edge_of_sample = np.repeat(np.arange(net.n_edges), samples)
    t = (np.arange(samples.sum()) - np.repeat(np.cumsum(samples) - samples, samples) + 0.5) / samples[edge_of_sample]
    tree = cKDTree(np.c_[ax[edge_of_sample] + t * (bx - ax)[edge_of_sample],
                         ay[edge_of_sample] + t * (by - ay)[edge_of_sample]])
    px, py = local_xy_m(lon, lat, lon0, lat0)
    edge = np.full(len(px), -1, np.int64)
    fraction = np.zeros(len(px))
    distance = np.full(len(px), np.inf)
    if not len(px):
        return edge, fraction, distance
    _, cand = tree.query(np.c_[px, py], k=8, distance_upper_bound=max_snap_m + 60)
    for i in range(len(px)):
        cands = np.unique(edge_of_sample[cand[i][cand[i] < len(edge_of_sample)]])
        if not len(cands):
            continue
        dist, frac = point_segment_distance_m(px[i], py[i], ax[cands], ay[cands], bx[cands], by[cands])
        best = int(np.argmin(dist))
        if dist[best] <= max_snap_m:
            edge[i], fraction[i], distance[i] = cands[best], frac[best], dist[best]
    return edge, fraction, distance


def facing_edge(net: RoadNetwork, edge: int, fraction: float, direction_deg: float | None) -> tuple[int, float]:
    """The direction of a two-way road that a camera facing ``direction_deg`` watches."""
    if direction_deg is None:
        return edge, fraction
    heading = bearing_deg(net.node_lon[net.edge_from[edge]], net.node_lat[net.edge_from[edge]],
                          net.node_lon[net.edge_to[edge]], net.node_lat[net.edge_to[edge]])
    if angle_diff_deg(heading, direction_deg) > 90:
        return _reverse(net, edge, fraction)
    return edge, fraction


def snap_cameras(net: RoadNetwork, points: list[OsmCamera], jurisdiction_owner: dict[str, str],
                 operator_owners: dict[str, str], street_cameras_feed_city: tuple[str, ...] = (),
                 max_snap_m: float = 150.0, usable: np.ndarray | None = None) -> tuple[list[CameraSite], ImportSummary]:
    """Snap points to the network and decide each camera's owner (module docstring).

    ``usable`` (bool per edge): the segments that carry traffic in the model; a schematic
    grid has streets no zone-to-zone route takes, and a camera there would read nothing.
    """
    operator_owners = {normalise_operator(k): v for k, v in operator_owners.items()}
    plon = np.array([p.lon for p in points])
    plat = np.array([p.lat for p in points])
    pad = 0.02
    in_area = ((plon >= net.node_lon.min() - pad) & (plon <= net.node_lon.max() + pad)
               & (plat >= net.node_lat.min() - pad) & (plat <= net.node_lat.max() + pad))
    left_out: Counter[str] = Counter()
    left_out["outside the network's area"] = int((~in_area).sum())
    idx = np.nonzero(in_area)[0]
    edges, fractions, _ = nearest_edges(net, plon[idx], plat[idx], max_snap_m, usable)
    if usable is not None:
        # a real street near the point that the schematic grid's routes skip: the nearest
        # segment with traffic a little further out stands for it
        near_any, _, _ = nearest_edges(net, plon[idx], plat[idx], max_snap_m)
        retry = np.flatnonzero((edges < 0) & (near_any >= 0))
        if len(retry):
            e2, f2, _ = nearest_edges(net, plon[idx][retry], plat[idx][retry], 4 * max_snap_m, usable)
            edges[retry], fractions[retry] = e2, f2
    sites: list[CameraSite] = []
    for i, edge, fraction in zip(idx, edges, fractions, strict=True):
        if edge < 0:
            left_out[f"more than {max_snap_m:.0f} m from any road"] += 1
            continue
        p = points[i]
        edge, fraction = facing_edge(net, int(edge), float(fraction), p.direction_deg)
        owner = _owner_of(net, edge, p, jurisdiction_owner, operator_owners, street_cameras_feed_city)
        if owner.startswith("!"):
            left_out[owner[1:]] += 1
            continue
        sites.append(CameraSite(f"osm-{p.osm_id}", owner, edge, fraction, p.direction_deg is None))
    by_owner = Counter(s.owner for s in sites)
    summary = ImportSummary(len(points), int(in_area.sum()), len(sites), dict(sorted(by_owner.items())),
                            {k: v for k, v in sorted(left_out.items()) if v})
    return sites, summary


def _reverse(net: RoadNetwork, edge: int, fraction: float) -> tuple[int, float]:
    rev = np.nonzero((net.edge_from == net.edge_to[edge]) & (net.edge_to == net.edge_from[edge]))[0]
    return (int(rev[0]), 1.0 - fraction) if len(rev) else (edge, fraction)


def _owner_of(net: RoadNetwork, edge: int, p: OsmCamera, jurisdiction_owner: dict[str, str],
              operator_owners: dict[str, str], street_feed: tuple[str, ...]) -> str:
    road_owner = jurisdiction_owner.get(net.jurisdictions[net.edge_jurisdiction[edge]])
    on_street = EDGE_CLASSES[net.edge_class[edge]] in ("street", "arterial")
    operator = normalise_operator(p.operator) if p.operator else ""
    if operator in operator_owners:
        owner = operator_owners[operator]
        if owner in street_feed and on_street and road_owner:
            return road_owner
        return owner
    if not operator or any(v in operator for v in VENDOR_OPERATORS):
        return road_owner or "!road without an owner in the scenario"
    return f"!operator not in scenario: {p.operator}"
