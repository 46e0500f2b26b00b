"""The statewide scenario california-2026: its figures, a small run, and the real-camera variant."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from scenarios.builder import build_world
from scenarios.files import builtin_names, load_scenario
from scenarios.runner import run_world
from tests.conftest import SHARED_DATA, shared_file

REPO = Path(__file__).resolve().parents[2]
OSM_VARIANT = REPO / "examples" / "california-2026-osm.yaml"


@pytest.fixture(scope="module")
def california():
    return load_scenario("california-2026")


def _tool():
    spec = importlib.util.spec_from_file_location("make_california_scenario",
                                                  REPO / "tools" / "make_california_scenario.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _reduced(spec, slugs: list[str], days: float = 1):
    """The scenario cut down to a few agencies (their cities, cameras and operators)."""
    owners = tuple(o for o in spec.owners if o.slug in slugs)
    operators = {k: v for k, v in spec.cameras.operator_owners.items() if v in slugs}
    population = dataclasses.replace(spec.population, regions=tuple(r for r in spec.population.regions
                                                                    if r.region in slugs))
    return dataclasses.replace(spec, owners=owners, days=days, warmup_days=0, population=population,
                               cameras=dataclasses.replace(spec.cameras, operator_owners=operators))


def test_california_is_a_builtin_with_one_city_per_portal_agency(california):
    assert "california-2026" in builtin_names()
    assert len(california.owners) == 181
    assert california.network.builtin == "cities"
    with_cameras = [o for o in california.owners if o.cameras]
    assert 11_000 < sum(o.cameras for o in with_cameras) < 12_000
    for o in with_cameras:
        assert o.jurisdiction == o.slug and o.name and o.retention_days > 0
        assert o.reads_per_camera_per_day and o.reads_per_camera_per_day > 0


def test_california_carries_the_portal_figures(california):
    oakland, sf = california.owner("oakland-ca-pd"), california.owner("san-francisco-ca-pd")
    assert (oakland.cameras, oakland.retention_days, oakland.reads_per_camera_per_day) == (293, 30, 169.4)
    # SF publishes no vehicle count: the California median stands in
    assert (sf.cameras, sf.retention_days, sf.reads_per_camera_per_day) == (507, 365, 402)
    assert sf.lon is not None and abs(sf.lat - 37.76) < 0.05  # placed from its OSM cameras


def test_california_matches_the_portal_csv(california):
    path = shared_file("ca_flock_portal_agency_stats.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["agency_state"] == "CA"]
    owners = {o.slug: o for o in california.owners}
    assert {r["agency_slug"].strip("-") for r in rows} == set(owners)
    for r in rows:
        o = owners[r["agency_slug"].strip("-")]
        cameras, detected = int(r["camera_count"] or 0), int(r["vehicles_detected_30d"] or 0)
        if o.cameras and detected:
            assert o.cameras == cameras
            assert o.reads_per_camera_per_day == pytest.approx(detected / cameras / 30, abs=0.051)


def test_every_california_city_has_its_vehicles_from_a_count_or_says_it_is_an_assumption(california):
    counts = {r.region: r for r in california.population.regions}
    with_cameras = [o for o in california.owners if o.cameras]
    assert {o.slug for o in with_cameras} == set(counts)
    ratio = 35.7 / 39.0  # FACTS.md: the state's vehicles per person
    from_people = 0
    for o in with_cameras:
        count = counts[o.slug]
        assert count.vehicles > 0 and count.source
        if count.source.startswith("GeoNames"):
            people = int(re.search(r", ([\d,]+) people x", count.source).group(1).replace(",", ""))
            assert count.vehicles == round(people * ratio)
            assert "sheriff" not in o.name.lower() and " SO" not in o.name
            from_people += 1
        else:
            assert count.source.startswith("assumption")
    assert from_people >= 140  # cities GeoNames knows: the sheriffs, campuses and NCRIC are the rest
    oakland = counts["oakland-ca-pd"]
    assert 350_000 < oakland.vehicles < 420_000 and "Oakland, 419,267 people" in oakland.source
    total = sum(c.vehicles for c in counts.values())
    assert 10e6 < total < 35.7e6  # the portal cities hold part of the state's 35.7 M vehicles


def test_a_few_california_cities_are_built_with_their_counted_vehicles(california):
    slugs = ["albany-ca-pd", "atherton-ca-pd"]
    world = build_world(_reduced(california, slugs))
    counts = {r.region: r.vehicles for r in california.population.regions}
    assert world.population["by_region"] == {s: counts[s] for s in slugs}
    assert len(world.traffic.vehicles) == sum(counts[s] for s in slugs)
    assert world.calibration["method"].startswith("population from counts")


def test_the_generator_reproduces_the_committed_files(tmp_path):
    shared_file("ca_alpr_osm.geojson")
    assert _tool().main(["--data", str(SHARED_DATA), "--out", str(tmp_path)]) == 0
    for rel in ("scenarios/builtin/california-2026.yaml", "examples/california-2026-osm.yaml"):
        assert (tmp_path / rel).read_text() == (REPO / rel).read_text(), f"{rel} is stale: rerun the tool"


def test_operator_names_match_agency_names():
    tool = _tool()
    irvine = tool.name_key("Irvine CA PD")
    assert tool.same_agency(irvine, tool.name_key("Irvine Police Department"))
    assert tool.same_agency(irvine, tool.name_key("City of Irvine"))
    assert not tool.same_agency(irvine, tool.name_key("Irvine Ranch Water District"))
    county = tool.name_key("Alameda County CA SO")
    assert tool.same_agency(county, tool.name_key("Alameda County Sheriff\u2019s Office"))
    assert not tool.same_agency(county, tool.name_key("Alameda Police Department"))


def test_a_day_of_a_few_california_cities_lands_near_their_targets(california):
    slugs = ["alameda-ca-pd", "el-cajon-pd-ca", "albany-ca-pd", "alameda-county-ca-so"]
    spec = _reduced(california, slugs)
    world = build_world(spec)
    records = run_world(world)
    per_camera = np.bincount(records.reads.camera, minlength=len(records.cameras))
    ratios = []
    for o, slug in enumerate(records.owners):
        target = spec.owner(slug).reads_per_camera_per_day
        ratios.append(np.median(per_camera[records.cameras.owner == o]) / target)
    # each city's median camera near its portal figure; the smallest grids (2 km, a few
    # dozen cameras) spread most (README: calibration against candidate sites)
    assert all(0.25 < r < 2.5 for r in ratios), dict(zip(records.owners, ratios, strict=True))
    assert 0.6 < np.median(ratios) < 1.6
    expected = sum(spec.owner(s).cameras * spec.owner(s).reads_per_camera_per_day for s in slugs)
    assert 0.5 * expected < len(records.reads) < 2.0 * expected
    assert (records.cameras.owner == records.owners.index("el-cajon-pd-ca")).sum() == 102


def test_the_osm_variant_puts_cameras_on_the_real_map():
    shared_file("ca_alpr_osm.geojson")
    variant = load_scenario(str(OSM_VARIANT))
    assert variant.cameras.locations and Path(variant.base_dir, variant.cameras.locations).resolve().exists()
    assert [o.slug for o in variant.owners] == [o.slug for o in load_scenario("california-2026").owners]
    slugs = ["el-cerrito-ca-pd", "berkeley-ca-pd", "richmond-ca-pd"]
    world = build_world(_reduced(variant, slugs))
    snapped = world.camera_import["by_owner"]
    assert set(snapped) <= set(slugs) and all(snapped.get(s, 0) > 0 for s in slugs)
    records = run_world(world)
    assert len(records.reads) > 0
    assert set(np.unique(records.reads.owner)) <= set(range(len(slugs)))


def test_california_has_a_registry_of_its_own_portal_agencies_and_the_outside_ones(california):
    registry = {a.org.slug: a for a in california.registry}
    owners = set(california.owner_slugs)
    assert owners <= set(registry) and len(registry) == len(owners) + 10
    assert registry["oakland-ca-pd"].searches_per_day * 30 == pytest.approx(2162)  # its portal's count
    assert registry["ncric"].searches_per_day * 30 == pytest.approx(3008)
    assert "median" in registry["san-francisco-ca-pd"].source  # SF publishes no count: said so
    assert {"ice-ero", "fbi", "las-vegas-nv-pd"} <= set(registry)
    assert set(california.interest.proxies) <= owners and california.interest.fusion_centre == "ncric"


def test_outside_agencies_reach_california_owners_through_the_proxies(california):
    from scenarios.experiment import run_policy

    spec = dataclasses.replace(_reduced(california, ["oakland-ca-pd", "san-francisco-ca-pd", "alameda-county-ca-so",
                                                     "ncric"], days=2), warmup_days=2)
    report = run_policy(build_world(spec), "ca-sb34").report
    assert report["searches"]["by_true_beneficiary"]["federal"] > 0
    assert report["leakage"]["federal"]["by_channel"]["direct"]["searches_served"] == 0  # no front door in 2026
