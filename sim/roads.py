"""The road network: intersections, directed road segments, jurisdictions and zones.

A ``RoadNetwork`` is a frozen set of arrays. Zones group nearby intersections; trips run
between zones' places (one intersection a zone, where its homes are), so shortest paths
are computed once per zone pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.geo import haversine_m, local_xy_m

EDGE_CLASSES: tuple[str, ...] = ("street", "arterial", "highway", "ramp", "bridge")
DEFAULT_SPEED_MPS = {"street": 11.2, "arterial": 15.6, "highway": 29.1, "ramp": 15.6, "bridge": 22.4}
# Synthetic cameras stand where traffic is: arterials and highways before side streets.
PLACEMENT_CLASS_WEIGHT = {"street": 1.0, "arterial": 3.0, "highway": 3.0, "ramp": 0.0, "bridge": 3.0}
ZONE_SIZE_M = 800.0


class NetworkError(ValueError):
    """A road network that cannot be built; the message names the file and feature."""


@dataclass(frozen=True)
class RoadNetwork:
    name: str
    node_lon: np.ndarray  # float64
    node_lat: np.ndarray
    edge_from: np.ndarray  # int32, directed
    edge_to: np.ndarray
    length_m: np.ndarray  # float32
    speed_mps: np.ndarray  # float32
    edge_class: np.ndarray  # uint8 index into EDGE_CLASSES
    edge_jurisdiction: np.ndarray  # int16 index into jurisdictions
    jurisdictions: tuple[str, ...]
    node_zone: np.ndarray  # int32 zone of each node, -1 where none
    zone_node: np.ndarray  # int32 the zone's place: the member nearest its centre, where trips start and end
    zone_region: np.ndarray  # int16 index into regions
    zone_weight: np.ndarray  # float32 relative activity (homes, destinations)
    regions: tuple[str, ...]
    gate_zone: dict[str, int] = field(default_factory=dict)  # named entry zones (highway ends)
    schematic: bool = True  # segments stand for bundles of streets (False: a GeoJSON of real streets)

    @property
    def n_nodes(self) -> int:
        return len(self.node_lon)

    @property
    def n_edges(self) -> int:
        return len(self.edge_from)

    @property
    def n_zones(self) -> int:
        return len(self.zone_node)

    def travel_time_s(self) -> np.ndarray:
        return self.length_m / self.speed_mps

    def edge_midpoints(self) -> tuple[np.ndarray, np.ndarray]:
        return ((self.node_lon[self.edge_from] + self.node_lon[self.edge_to]) / 2,
                (self.node_lat[self.edge_from] + self.node_lat[self.edge_to]) / 2)

    def region_index(self, region: str) -> int:
        return self.regions.index(region)

    def jurisdiction_index(self, name: str) -> int:
        return self.jurisdictions.index(name)


class NetworkBuilder:
    """Mutable helper used only while a network is being made."""

    def __init__(self, name: str):
        self.name = name
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.edges: list[tuple[int, int, int, float, int]] = []  # u, v, class, speed, jurisdiction
        self.jurisdictions: list[str] = []
        self.regions: list[str] = []
        self.zones: list[tuple[list[int], int, float]] = []  # member nodes, region, weight
        self._node_at: dict[tuple[int, int], int] = {}
        self.gates: dict[str, int] = {}
        self.schematic = True

    def node(self, lon: float, lat: float) -> int:
        key = (round(lon * 1e6), round(lat * 1e6))
        if key not in self._node_at:
            self._node_at[key] = len(self.lon)
            self.lon.append(lon)
            self.lat.append(lat)
        return self._node_at[key]

    def _index(self, names: list[str], name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    def road(self, u: int, v: int, edge_class: str, jurisdiction: str, speed_mps: float | None = None,
             oneway: bool = False) -> None:
        if u == v:
            return
        cls = EDGE_CLASSES.index(edge_class)
        speed = speed_mps or DEFAULT_SPEED_MPS[edge_class]
        j = self._index(self.jurisdictions, jurisdiction)
        self.edges.append((u, v, cls, speed, j))
        if not oneway:
            self.edges.append((v, u, cls, speed, j))

    def grid(self, jurisdiction: str, lon_min: float, lon_max: float, lat_min: float, lat_max: float,
             spacing_m: float, arterial_every: int = 4) -> np.ndarray:
        """A street grid over a box; every ``arterial_every``-th line is an arterial."""
        lat0 = (lat_min + lat_max) / 2
        width_m = float(haversine_m(lon_min, lat0, lon_max, lat0))
        height_m = float(haversine_m(lon_min, lat_min, lon_min, lat_max))
        nx, ny = max(2, round(width_m / spacing_m) + 1), max(2, round(height_m / spacing_m) + 1)
        lons, lats = np.linspace(lon_min, lon_max, nx), np.linspace(lat_min, lat_max, ny)
        ids = np.array([[self.node(float(lo), float(la)) for lo in lons] for la in lats])
        for r in range(ny):
            for c in range(nx):
                if c + 1 < nx:
                    cls = "arterial" if r % arterial_every == 0 else "street"
                    self.road(int(ids[r, c]), int(ids[r, c + 1]), cls, jurisdiction)
                if r + 1 < ny:
                    cls = "arterial" if c % arterial_every == 0 else "street"
                    self.road(int(ids[r, c]), int(ids[r + 1, c]), cls, jurisdiction)
        return ids

    def polyline(self, points: list[tuple[float, float]], edge_class: str, jurisdiction: str,
                 densify_m: float = 900.0, speed_mps: float | None = None) -> list[int]:
        """A road through (lon, lat) waypoints, split into pieces of at most ``densify_m``."""
        nodes = [self.node(*points[0])]
        for (lo1, la1), (lo2, la2) in zip(points, points[1:], strict=False):
            pieces = max(1, int(np.ceil(float(haversine_m(lo1, la1, lo2, la2)) / densify_m)))
            for k in range(1, pieces + 1):
                t = k / pieces
                nodes.append(self.node(lo1 + t * (lo2 - lo1), la1 + t * (la2 - la1)))
        for u, v in zip(nodes, nodes[1:], strict=False):
            self.road(u, v, edge_class, jurisdiction, speed_mps)
        return nodes

    def nearest_node(self, lon: float, lat: float, among: np.ndarray) -> int:
        d = haversine_m(lon, lat, np.asarray(self.lon)[among], np.asarray(self.lat)[among])
        return int(among[int(np.argmin(d))])

    def zones_from_grid(self, region: str, ids: np.ndarray, cells: int, weight: float = 1.0) -> None:
        """Group a grid's nodes into blocks of ``cells`` x ``cells`` intersections."""
        r_idx = self._index(self.regions, region)
        ny, nx = ids.shape
        for r0 in range(0, ny, cells):
            for c0 in range(0, nx, cells):
                block = ids[r0:r0 + cells, c0:c0 + cells]
                members = [int(x) for x in block.ravel()]
                self.zones.append((members, r_idx, weight * len(members)))

    def zone_at(self, region: str, nodes: list[int], weight: float, gate: str | None = None) -> None:
        if gate:
            self.gates[gate] = len(self.zones)
        self.zones.append((nodes, self._index(self.regions, region), weight))

    def build(self) -> RoadNetwork:
        lon, lat = np.asarray(self.lon), np.asarray(self.lat)
        e = np.array(self.edges, dtype=np.float64).reshape(-1, 5)
        u, v = e[:, 0].astype(np.int32), e[:, 1].astype(np.int32)
        # keep one edge per directed pair (the fastest), so (u, v) identifies an edge
        key = u.astype(np.int64) * len(lon) + v
        order = np.lexsort((-e[:, 3], key))
        first = np.ones(len(order), bool)
        first[1:] = key[order][1:] != key[order][:-1]
        keep = np.sort(order[first])
        u, v, e = u[keep], v[keep], e[keep]
        length = np.maximum(haversine_m(lon[u], lat[u], lon[v], lat[v]), 1.0).astype(np.float32)
        node_zone = np.full(len(lon), -1, np.int32)
        zone_node, zone_region, zone_weight = [], [], []
        for z, (members, region, weight) in enumerate(self.zones):
            m = np.asarray(members)
            node_zone[m] = z
            cx, cy = lon[m].mean(), lat[m].mean()
            zone_node.append(int(m[np.argmin(haversine_m(cx, cy, lon[m], lat[m]))]))
            zone_region.append(region)
            zone_weight.append(weight)
        return RoadNetwork(
            name=self.name, node_lon=lon, node_lat=lat, edge_from=u, edge_to=v, length_m=length,
            speed_mps=e[:, 3].astype(np.float32), edge_class=e[:, 2].astype(np.uint8),
            edge_jurisdiction=e[:, 4].astype(np.int16), jurisdictions=tuple(self.jurisdictions),
            node_zone=node_zone, zone_node=np.asarray(zone_node, np.int32),
            zone_region=np.asarray(zone_region, np.int16), zone_weight=np.asarray(zone_weight, np.float32),
            regions=tuple(self.regions), gate_zone=dict(self.gates), schematic=self.schematic)


def zones_by_cells(builder: NetworkBuilder, nodes_by_region: dict[str, list[int]],
                   zone_size_m: float = ZONE_SIZE_M) -> None:
    """Zones as square cells of ``zone_size_m`` over each region's nodes."""
    lon, lat = np.asarray(builder.lon), np.asarray(builder.lat)
    for region, nodes in nodes_by_region.items():
        m = np.asarray(sorted(set(nodes)))
        x, y = local_xy_m(lon[m], lat[m], float(lon[m].mean()), float(lat[m].mean()))
        cell = np.floor(x / zone_size_m).astype(np.int64) * 100_003 + np.floor(y / zone_size_m).astype(np.int64)
        for c in np.unique(cell):
            members = m[cell == c].tolist()
            builder.zone_at(region, members, float(len(members)))


def load_geojson_network(path: str | Path, zone_size_m: float = ZONE_SIZE_M) -> RoadNetwork:
    """Load a user road network: LineString / MultiLineString features.

    Properties: ``jurisdiction`` (required: who polices the road, e.g. ``oakland``),
    ``class`` (one of EDGE_CLASSES, default street), ``speed_mps`` (default by class),
    ``oneway`` (default false). Zones are cells of ``zone_size_m`` per jurisdiction.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise NetworkError(f"{path}: cannot read GeoJSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise NetworkError(f"{path}: expected a GeoJSON FeatureCollection")
    builder = NetworkBuilder(path.stem)
    builder.schematic = False  # real streets: each segment is one street
    nodes_by_region: dict[str, list[int]] = {}
    for i, feature in enumerate(data.get("features") or []):
        where = f"{path}: features[{i}]"
        geometry = (feature or {}).get("geometry") or {}
        props = (feature or {}).get("properties") or {}
        jurisdiction = props.get("jurisdiction")
        if not isinstance(jurisdiction, str) or not jurisdiction:
            raise NetworkError(f"{where}.properties.jurisdiction: missing (who polices this road?)")
        edge_class = props.get("class", "street")
        if edge_class not in EDGE_CLASSES:
            raise NetworkError(f"{where}.properties.class: {edge_class!r} is not one of {EDGE_CLASSES}")
        speed = props.get("speed_mps")
        if speed is not None and (not isinstance(speed, int | float) or not 0 < speed < 60):
            raise NetworkError(f"{where}.properties.speed_mps: {speed!r} is not a speed in (0, 60) m/s")
        kind = geometry.get("type")
        if kind == "LineString":
            lines = [geometry.get("coordinates")]
        elif kind == "MultiLineString":
            lines = geometry.get("coordinates") or []
        else:
            raise NetworkError(f"{where}.geometry.type: {kind!r}; expected LineString or MultiLineString")
        for line in lines:
            if not isinstance(line, list) or len(line) < 2:
                raise NetworkError(f"{where}.geometry.coordinates: a line needs at least two positions")
            nodes = []
            for k, pos in enumerate(line):
                ok = isinstance(pos, list | tuple) and len(pos) >= 2 and all(isinstance(c, int | float) for c in pos[:2])
                if not ok or not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
                    raise NetworkError(f"{where}.geometry.coordinates[{k}]: {pos!r} is not a lon/lat position")
                nodes.append(builder.node(float(pos[0]), float(pos[1])))
            for a, b in zip(nodes, nodes[1:], strict=False):
                builder.road(a, b, edge_class, jurisdiction, speed, bool(props.get("oneway", False)))
            if edge_class in ("street", "arterial"):
                nodes_by_region.setdefault(jurisdiction, []).extend(nodes)
    if not builder.edges:
        raise NetworkError(f"{path}: no road features")
    if not nodes_by_region:
        raise NetworkError(f"{path}: no street or arterial features, so no zones for homes and trips")
    zones_by_cells(builder, nodes_by_region, zone_size_m)
    return builder.build()
