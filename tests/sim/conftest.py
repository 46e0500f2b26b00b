"""A small Bay Area world with a population from counts, built once per session."""

from __future__ import annotations

import pytest

MINI_BAY = """
name: mini-bay
seed: 3
days: 2
network: {builtin: bay-area, street_spacing_m: 1000}
owners:
  - {slug: oakland-ca-pd, name: Oakland, jurisdiction: oakland, cameras: 20, reads_per_camera_per_day: 40}
  - {slug: san-francisco-ca-pd, name: SF, jurisdiction: san-francisco, cameras: 30, reads_per_camera_per_day: 60}
  - {slug: california-highway-patrol, name: CHP, kind: state, jurisdiction: state-highways, cameras: 15}
population:
  regions:
    oakland: {vehicles: 6000, source: test}
    san-francisco: {vehicles: 9000, source: test}
    external: {vehicles: 3000, source: test}
  bridge_vehicles_per_day: 2500
  through:
    - {from: richmond, to: hayward, vehicles_per_day: %(through)d, source: test}
"""


def mini_bay_text(through: int = 2000, extra: str = "") -> str:
    return MINI_BAY % {"through": through} + extra


@pytest.fixture(scope="session")
def mini_bay_spec():
    from scenarios.files import parse_scenario
    return parse_scenario(mini_bay_text(), "<mini-bay>")


@pytest.fixture(scope="session")
def mini_bay_world(mini_bay_spec):
    from scenarios.builder import build_world
    return build_world(mini_bay_spec)
