"""Shared fixtures: a small scenario built once per session, and the shared data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: the suite runs on shared 2-core machines, where a first example
# can take a second for reasons that are not the code's (the properties still run in full).
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "alpr_data"


@pytest.fixture(scope="session")
def two_towns_spec():
    from scenarios.files import load_scenario

    return load_scenario(str(FIXTURES / "two-towns.yaml"))


@pytest.fixture(scope="session")
def two_towns_world(two_towns_spec):
    from scenarios.builder import build_world

    return build_world(two_towns_spec)


@pytest.fixture(scope="session")
def two_towns_records(two_towns_world):
    from scenarios.runner import run_world

    return run_world(two_towns_world)


def shared_file(name: str) -> Path:
    """A file of ../shared/alpr_data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the real portal data lives beside the repo, in ../shared/)")
    return path
