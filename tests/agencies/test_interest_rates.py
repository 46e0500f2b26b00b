"""Outside interest and local work are rates: per-day figures do not depend on run length."""

import dataclasses

import numpy as np
import pytest

from agencies.interest import InterestSpec, plan_local, plan_outside
from agencies.registry import BAY_AREA_AGENCIES, registry_for, sharing_for, true_kind
from scenarios.intervals import mean_ci95
from sim.random_streams import RandomStreams


@pytest.fixture(scope="module")
def registry():
    return registry_for(())


def _per_day(world, registry, days, seeds, planner):
    return [len(planner(registry, world.traffic.vehicles, days, RandomStreams(seed))) / days for seed in seeds]


def test_outside_searches_per_day_agree_between_14_and_28_day_runs(two_towns_world, registry):
    spec = InterestSpec()

    def planner(reg, vehicles, days, streams):
        return plan_outside(reg, vehicles, days, spec, streams)

    short = mean_ci95(_per_day(two_towns_world, registry, 14.0, range(30), planner))
    long = mean_ci95(_per_day(two_towns_world, registry, 28.0, range(30), planner))
    assert short.lo <= long.hi and long.lo <= short.hi, (short, long)
    # and the rate is the one asked for: targets x channels tried x (1 + follow-ups), per 30 days
    assert 0.5 * long.mean < short.mean < 1.5 * long.mean


def test_doubling_the_target_rate_doubles_the_outside_searches(two_towns_world, registry):
    base = InterestSpec()
    double = dataclasses.replace(base, targets_per_30_days={k: 2 * v for k, v in base.targets_per_30_days.items()})
    counts = [len(plan_outside(registry, two_towns_world.traffic.vehicles, 28.0, s, RandomStreams(seed)))
              for s in (base, double) for seed in range(10)]
    ratio = sum(counts[10:]) / sum(counts[:10])
    assert 1.7 < ratio < 2.3


def test_outside_attempts_all_fall_in_the_measured_period(two_towns_world, registry):
    plans = plan_outside(registry, two_towns_world.traffic.vehicles, 3.0, InterestSpec(), RandomStreams(1))
    times = np.array([p.time_s for p in plans])
    assert len(plans) and times.min() >= 0 and times.max() < 3 * 86_400
    windows = {p.request.query.end_s - p.request.query.start_s for p in plans}
    assert windows == {30 * 86_400}  # exactly the window asked for, reaching into the warm-up


def test_local_searches_come_at_the_registry_volumes(two_towns_world, registry):
    plans = plan_local(registry, two_towns_world.traffic.vehicles, two_towns_world.cameras, 10.0, InterestSpec(),
                       RandomStreams(3))
    oakland = sum(p.request.org == "oakland-ca-pd" for p in plans) / 10.0
    assert abs(oakland - 2162 / 30) < 4 * np.sqrt(2162 / 30 / 10)  # Poisson, within four sigma
    assert all(p.legit and p.channel == "local" for p in plans)


def test_registry_kinds_follow_the_organizations():
    kinds = {a.org.slug: true_kind(a.org) for a in BAY_AREA_AGENCIES}
    assert kinds["ice-ero"] == "federal" and kinds["ncric"] == "state" and kinds["oakland-ca-pd"] == "local"
    assert kinds["las-vegas-nv-pd"] == "out_of_state"
    assert all(a.source for a in BAY_AREA_AGENCIES)


def test_default_sharing_reaches_in_state_agencies_only(registry):
    graph = sharing_for(registry, ("oakland-ca-pd", "san-francisco-ca-pd"))
    assert {o for o, _ in graph.reachable("california-highway-patrol")} == {"oakland-ca-pd", "san-francisco-ca-pd"}
    assert graph.reachable("ice-ero") == [] and graph.reachable("harris-county-tx-so") == []
    opened = sharing_for(registry, ("oakland-ca-pd",), overrides={"shares": [["oakland-ca-pd", "fbi"]]})
    assert opened.reachable("fbi") == [("oakland-ca-pd", "share")]
