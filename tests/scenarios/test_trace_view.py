"""trace_view: each search's two faces, read from the run's typed records and audit log."""

import pytest

from lookup.audit_export import network_audit_records
from scenarios.experiment import run_policy
from scenarios.files import load_scenario
from scenarios.metrics import measured_searches
from scenarios.trace_view import prepare, trace_run


@pytest.fixture(scope="module")
def run(two_towns_spec):
    p = prepare(two_towns_spec)
    outcome = run_policy(p.world, "ca-sb34", p.planned, traffic=p.traffic)
    return p.world, outcome, trace_run(p.world, outcome.records, outcome.agencies, outcome.truth, outcome.report,
                                       p.planned.registry)


def test_declared_face_is_the_logged_row_and_true_face_is_the_plan(run):
    world, outcome, trace = run
    searches = measured_searches(outcome.agencies)
    audit = outcome.agencies.audit
    assert len(trace.searches) == len(searches) > 0
    for s, rec in zip(trace.searches, searches, strict=True):
        row, plan = audit[rec.audit_seq], rec.plan
        assert (s.search_id, s.org, s.reason, s.case_number, s.on_behalf_of) == \
            (row.request_id, row.org, row.reason, row.case_number, row.on_behalf_of)
        assert (s.beneficiary, s.channel, s.chain) == (plan.beneficiary, plan.channel, plan.chain)


def test_published_rows_are_the_owners_exports(run):
    world, outcome, trace = run
    audit = outcome.agencies.audit
    traced = {s.search_id for s in trace.searches}
    for owner in world.owners:
        exported = network_audit_records([r for r in audit.rows() if r.request_id in traced], owner,
                                         outcome.truth.start)
        mine = [dict(s.published_for(owner).columns) for s in trace.searches
                if s.published_for(owner) is not None and s.published_for(owner).layout == "network audit"]
        assert mine == exported


def test_first_deliveries_add_up_to_the_reports_distinct_reads(run):
    _, outcome, trace = run
    for kind, figure in (("federal", trace.headline.federal_distinct_reads),
                         ("out_of_state", trace.headline.out_of_state_distinct_reads)):
        assert figure == outcome.report["leakage"][kind]["reads_delivered"]
        assert figure == sum(s.new_reads for s in trace.searches if s.beneficiary_kind == kind)
        by_channel = outcome.report["leakage"][kind]["by_channel"]
        for channel, block in by_channel.items():
            assert block["reads_delivered"] == sum(f.reads for s in trace.searches if s.beneficiary_kind == kind
                                                   for f in s.flows if f.channel == channel)
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
    _, _, trace = run
    for s in trace.searches:
        assert s.nights_near_home <= s.night_reads_near_home <= s.night_reads
        if s.target_vehicle < 0:
            assert s.night_reads == 0 and s.nearest_home_m is None


def test_the_classroom_scenario_has_the_bay_area_agencies():
    spec = load_scenario("classroom")
    assert {o.slug for o in spec.owners} == {"oakland-ca-pd", "san-francisco-ca-pd"}
    assert {"california-highway-patrol", "ncric", "ice-ero"} <= {a.org.slug for a in spec.registry}
