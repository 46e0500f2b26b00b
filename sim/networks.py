"""Built-in road networks: the Bay Area of the 2024 story, and synthetic cities.

The Bay Area network is schematic but placed at real coordinates: street grids over
Oakland's flatlands and San Francisco, the East Bay state highways (I-80, I-580, I-880,
I-980, SR-13, SR-24) through waypoints read off a map (approximate, within a few hundred
metres), and the Bay Bridge between the cities. The suburbs next to Oakland are street
grids joined to it at every crossing street; the highway ends further out are zones and
gates (richmond, hayward, castro-valley, walnut-creek) where through traffic enters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.geo import EARTH_RADIUS_M
from sim.roads import NetworkBuilder, RoadNetwork

OAKLAND, SAN_FRANCISCO, HIGHWAYS, EXTERNAL = "oakland", "san-francisco", "state-highways", "external"

# (lon, lat) waypoints. The MacArthur Maze (I-80/I-580/I-880 distribution structure) is shared.
MAZE = (-122.2960, 37.8265)
I980_NORTH = (-122.2720, 37.8235)  # I-980 / I-580 / SR-24 junction
I980_SOUTH = (-122.2830, 37.7975)  # I-980 / I-880 junction
SR13_SOUTH = (-122.1845, 37.7785)  # SR-13 / I-580 near Seminary
SR13_NORTH = (-122.2330, 37.8500)  # SR-13 / SR-24 near the Caldecott
HIGHWAY_ROUTES: dict[str, list[tuple[float, float]]] = {
    "I-80 Bay Bridge": [(-122.3930, 37.7880), (-122.3780, 37.7990), (-122.3640, 37.8100),
                        (-122.3350, 37.8170), (-122.3100, 37.8230), MAZE],
    "I-80 East Shore": [MAZE, (-122.2980, 37.8380), (-122.3030, 37.8560), (-122.3060, 37.8740),
                        (-122.3080, 37.8900), (-122.3170, 37.9120), (-122.3240, 37.9350)],
    "I-580": [MAZE, (-122.2830, 37.8260), I980_NORTH, (-122.2520, 37.8160), (-122.2350, 37.8070),
              (-122.2180, 37.7970), (-122.2000, 37.7880), SR13_SOUTH, (-122.1700, 37.7640),
              (-122.1550, 37.7480), (-122.1370, 37.7260), (-122.1100, 37.7050)],
    "I-880": [MAZE, (-122.2950, 37.8150), (-122.2930, 37.8050), (-122.2880, 37.8000), I980_SOUTH,
              (-122.2700, 37.7930), (-122.2530, 37.7830), (-122.2360, 37.7700), (-122.2190, 37.7590),
              (-122.2030, 37.7500), (-122.1880, 37.7330), (-122.1720, 37.7130), (-122.1500, 37.6900)],
    "I-980": [I980_SOUTH, (-122.2790, 37.8050), (-122.2750, 37.8140), I980_NORTH],
    "SR-24": [I980_NORTH, (-122.2610, 37.8310), (-122.2450, 37.8410), SR13_NORTH, (-122.2170, 37.8560),
              (-122.1850, 37.8790), (-122.1500, 37.8870), (-122.1200, 37.8920)],
    "SR-13": [SR13_SOUTH, (-122.1950, 37.7930), (-122.2120, 37.8140), (-122.2260, 37.8340), SR13_NORTH],
}
# Highway ends outside both cities, where through traffic enters and leaves.
EXTERNAL_ENDS = {"richmond": (-122.3240, 37.9350), "hayward": (-122.1500, 37.6900),
                 "castro-valley": (-122.1100, 37.7050), "walnut-creek": (-122.1200, 37.8920)}
OAKLAND_BOX = (-122.2900, -122.1650, 37.7400, 37.8450)
# Suburbs next to Oakland (Berkeley and Emeryville to the north, San Leandro to the south):
# street grids joined to Oakland's at every street that crosses the city line.
NORTH_SUBURBS_LAT = (37.8490, 37.8850)
SOUTH_SUBURBS_LAT = (37.7050, 37.7360)
SAN_FRANCISCO_BOX = (-122.5050, -122.3900, 37.7100, 37.8050)


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[1] and box[2] <= lat <= box[3]


def bay_area_network(street_spacing_m: float = 420.0, zone_cells: int = 2) -> RoadNetwork:
    """Oakland and San Francisco grids, East Bay highways and the Bay Bridge."""
    b = NetworkBuilder("bay-area")
    oakland = b.grid(OAKLAND, *OAKLAND_BOX, spacing_m=street_spacing_m)
    sf = b.grid(SAN_FRANCISCO, *SAN_FRANCISCO_BOX, spacing_m=street_spacing_m)
    north = b.grid("berkeley-emeryville", OAKLAND_BOX[0], OAKLAND_BOX[1], *NORTH_SUBURBS_LAT, spacing_m=street_spacing_m)
    south = b.grid("san-leandro", OAKLAND_BOX[0], OAKLAND_BOX[1], *SOUTH_SUBURBS_LAT, spacing_m=street_spacing_m)
    for a, c in zip(oakland[-1], north[0], strict=True):
        b.road(int(a), int(c), "street", "berkeley-emeryville")
    for a, c in zip(oakland[0], south[-1], strict=True):
        b.road(int(a), int(c), "street", "san-leandro")
    north_box = (OAKLAND_BOX[0], OAKLAND_BOX[1], *NORTH_SUBURBS_LAT)
    south_box = (OAKLAND_BOX[0], OAKLAND_BOX[1], *SOUTH_SUBURBS_LAT)
    for route, points in HIGHWAY_ROUTES.items():
        cls = "bridge" if "Bridge" in route else "highway"
        b.polyline(points, cls, HIGHWAYS, densify_m=500.0)
        # an interchange (ramps both ways) at each waypoint inside a city or suburb
        for lon, lat in points:
            for box, grid in ((OAKLAND_BOX, oakland), (SAN_FRANCISCO_BOX, sf), (north_box, north),
                              (south_box, south)):
                if _in_box(lon, lat, box):
                    b.road(b.node(lon, lat), b.nearest_node(lon, lat, grid.ravel()), "ramp", HIGHWAYS)
    # the Bay Bridge lands in SF at its first waypoint, just past the grid's east edge
    lon, lat = HIGHWAY_ROUTES["I-80 Bay Bridge"][0]
    b.road(b.node(lon, lat), b.nearest_node(lon, lat, sf.ravel()), "ramp", HIGHWAYS)
    b.zones_from_grid(OAKLAND, oakland, zone_cells)
    b.zones_from_grid(SAN_FRANCISCO, sf, zone_cells)
    b.zones_from_grid(EXTERNAL, north, zone_cells + 1)
    b.zones_from_grid(EXTERNAL, south, zone_cells + 1)
    for name, (lon, lat) in EXTERNAL_ENDS.items():
        # each far highway end stands for the suburbs beyond it: weight like a dozen city
        # zones; it is also a gate for through traffic
        b.zone_at(EXTERNAL, [b.node(lon, lat)], weight=48.0, gate=name)
    return b.build()


@dataclass(frozen=True)
class CitySite:
    """Where one synthetic city goes and how big its street grid is."""

    name: str  # jurisdiction and region name (the agency slug in statewide scenarios)
    lon: float
    lat: float
    size_m: float


def city_size_m(cameras: int) -> float:
    """A grid roomy enough for the city's cameras on distinct road segments."""
    return float(np.clip(600.0 * np.sqrt(max(cameras, 1)), 2000.0, 16000.0))


def synthetic_cities_network(sites: list[CitySite], street_spacing_m: float = 500.0,
                             zone_cells: int = 3) -> RoadNetwork:
    """One independent street grid per site (cities are not connected to each other)."""
    b = NetworkBuilder("synthetic-cities")
    for site in sites:
        half_lat = np.degrees(site.size_m / 2 / EARTH_RADIUS_M)
        half_lon = half_lat / np.cos(np.radians(site.lat))
        ids = b.grid(site.name, site.lon - half_lon, site.lon + half_lon, site.lat - half_lat,
                     site.lat + half_lat, spacing_m=street_spacing_m)
        b.zones_from_grid(site.name, ids, zone_cells)
    return b.build()


def lattice_sites(names: list[str], cameras: list[int], lon0: float = -124.0, lat0: float = 32.6,
                  per_row: int = 16, pitch_deg: float = 0.45) -> list[CitySite]:
    """Cities on a lattice over California's extent, for scenarios without real positions."""
    return [CitySite(name, lon0 + (k % per_row) * pitch_deg * 0.5 + 0.9, lat0 + (k // per_row) * pitch_deg,
                     city_size_m(c)) for k, (name, c) in enumerate(zip(names, cameras, strict=True))]
