"""trace_view: each search's two faces, read from the run's records and audit log."""

import numpy as np
import pytest

from lookup.audit_export import network_audit_records
from scenarios.experiment import run_policy
from scenarios.files import load_scenario
from scenarios.trace_view import prepare, start_instant, trace_run


@pytest.fixture(scope="module")
def run(two_towns_spec):
    world, planned = prepare(two_towns_spec)
    outcome = run_policy(world, "ca-sb34", planned)
    return world, outcome, trace_run(world, outcome.records, outcome.report, planned[0])


def test_declared_face_is_the_logged_row_and_true_face_is_the_plan(run):
    world, outcome, trace = run
    extra = outcome.records.extra
    audit = extra["audit"]
    assert len(trace.searches) == len(extra["searches"]) == len(audit)
    for s, rec in zip(trace.searches, extra["searches"], strict=True):
        row, plan = audit[rec.audit_seq], extra["plans"][rec.plan]
        assert (s.search_id, s.org, s.reason, s.case_number, s.on_behalf_of) == \
            (row.request_id, row.org, row.reason, row.case_number, row.on_behalf_of)
        assert (s.beneficiary, s.channel, s.chain) == (plan.beneficiary, plan.channel, plan.chain)


def test_published_rows_are_the_owners_exports(run):
    world, outcome, trace = run
    audit = outcome.records.extra["audit"]
    start = start_instant(world.spec)
    for owner in world.owners:
        exported = network_audit_records(audit.rows(), owner, start)
        mine = [dict(s.published_for(owner).columns) for s in trace.searches
                if s.published_for(owner) is not None and s.published_for(owner).layout == "network audit"]
        assert mine == exported


def test_each_beneficiary_counts_a_read_once(run):
    world, outcome, trace = run
    extra = outcome.records.extra
    for kind, figure in (("federal", trace.headline.federal_distinct_reads),
                         ("out_of_state", trace.headline.out_of_state_distinct_reads)):
        per_beneficiary: dict[str, set] = {}
        for rec in extra["searches"]:
            plan = extra["plans"][rec.plan]
            if plan.beneficiary_kind == kind:
                per_beneficiary.setdefault(plan.beneficiary, set()).update(int(r) for r in rec.rows)
        assert figure == sum(len(v) for v in per_beneficiary.values())
        assert figure <= outcome.report["leakage"][kind]["reads_delivered"]
    for s in trace.searches:
        assert sum(f.reads for f in s.flows) == s.new_reads <= s.distinct_reads
        assert s.distinct_reads == sum(n.reads for n in s.networks)


def test_denied_searches_deliver_nothing_and_publish_no_network_row(run):
    _, _, trace = run
    denied = [s for s in trace.searches if not s.served]
    assert denied  # direct federal searches under SB 34
    for s in denied:
        assert s.distinct_reads == 0 and s.first_arrival_s is None
        assert [p.layout for p in s.published] == ["search audit"]


def test_night_reads_near_home_are_night_reads_of_the_target(run):
    world, outcome, trace = run
    for s in trace.searches:
        assert s.night_reads_near_home <= s.night_reads
        assert s.nights_near_home <= s.night_reads_near_home
        if s.target_vehicle < 0:
            assert s.night_reads == 0 and s.nearest_home_m is None


def test_the_classroom_scenario_runs_in_seconds_with_the_bay_area_agencies():
    spec = load_scenario("classroom")
    assert {o.slug for o in spec.owners} == {"oakland-ca-pd", "san-francisco-ca-pd"}
    world, planned = prepare(spec)
    registry = planned[0]
    assert {"california-highway-patrol", "ncric", "ice-ero"} <= set(registry)
    assert np.all(np.isin(["oakland-ca-pd", "san-francisco-ca-pd"], world.owners))
