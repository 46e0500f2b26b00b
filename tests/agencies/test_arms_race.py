"""The arms race: the learning rule, rewording, stopping, the static adversary's records,
audits that see only the exported log, and misconfiguration windows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from agencies.adversary import Campaign, ChannelLearner, Target, keyword_rules
from agencies.audits import OwnerAuditor, audit_decisions
from agencies.dynamics import AdversarySpec, AuditSpec, DynamicsSpec, MisconfigurationEvent
from agencies.interest import ChannelSpec, InterestSpec
from agencies.registry import BAY_AREA_AGENCIES
from lookup.audit import AuditLog
from lookup.requests import ReadQuery, SearchRequest
from lookup.sanctions import SanctionTable
from lookup.sharing import SharingGraph
from scenarios.builder import build_world
from scenarios.experiment import load_policy, plan_searches, play, run_policy, simulate
from scenarios.files import load_scenario

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "two-towns.yaml"
DAY = 86_400
# two-towns under ca-sb34-sb54, seed 7: main before the arms race gave 87b05ff5.../9b470e70...
# (the arms race's merge parent); these are the same run's hashes after issue 17's
# misread model (camera-trained recogniser, recalibrated tables) and issue 9's homes at
# zone places with home-keyed streets, both of which change every read
GOLDEN_RECORDS = "f4e8dda1c003793fa752c62e066f20a5ee8a72da81d78c14647108694e3f4cbc"
GOLDEN_AUDIT_HEAD = "0cbd1c53f8c601e408c408ce6c773e668bc76ee53caa7d0259d89139b5673c49"
REGISTRY = {a.org.slug: a for a in BAY_AREA_AGENCIES}


def learner(table: dict[str, float], seed: int = 3, **spec) -> ChannelLearner:
    return ChannelLearner({c: ChannelSpec(p) for c, p in table.items()}, AdversarySpec(**spec),
                          np.random.default_rng(seed))


# --- the learning rule, on a hand-built channel table -----------------------------------


def test_the_learner_moves_to_the_channel_that_serves():
    # the prior favours direct (0.9); here direct is always denied and proxy_vague always serves
    ch = learner({"direct": 0.9, "proxy_vague": 0.2, "fusion_relay": 0.2})
    serves = {"direct": False, "proxy_vague": True, "fusion_relay": False}
    chosen = []
    for step in range(60):
        c = ch.choose(step)
        chosen.append(c)
        ch.learn(step, c, float(serves[c]), float(not serves[c]))
    assert chosen[:2] == ["direct", "direct"]  # it starts from the table...
    assert chosen[-20:].count("proxy_vague") >= 18  # ...and ends on the channel that serves
    assert ch.mean("proxy_vague") > 0.8 and ch.mean("direct") < 0.5


def test_with_every_channel_serving_the_learner_keeps_to_the_table_order():
    ch = learner({"direct": 0.9, "proxy_vague": 0.05}, prior_weight=50)
    picks = [ch.choose(0) for _ in range(200)]
    assert picks.count("direct") > 190  # a strong prior and nothing learnt: the table decides


def test_an_outcome_is_learnt_only_when_it_reaches_the_agency():
    ch = learner({"direct": 0.5, "proxy_vague": 0.5})
    ch.learn(100.0, "direct", 0.0, 10.0)
    ch.choose(99.0)
    assert ch.mean("direct") == pytest.approx(0.5)
    ch.choose(100.0)
    assert ch.mean("direct") < 0.2


def test_a_sanctioned_channel_is_penalised_and_dropped_for_the_target():
    ch = learner({"proxy_honest": 0.5, "proxy_vague": 0.5}, sanction_penalty=5)
    campaign = _campaign(ch, {"proxy_honest": 0.5, "proxy_vague": 0.5})
    plan = campaign.attempt(DAY, lambda c, t: False)
    campaign.observe(plan, np.empty(0, np.int64), np.empty(0), ((False, "sanction/oak-1"),))
    assert plan.channel in campaign.excluded
    ch.choose(DAY * 10)
    assert ch.mean(plan.channel) == pytest.approx((1 + 4 * 0.5) / (2 + 4 + 5))
    for k in range(3):
        assert campaign.attempt(DAY * (2 + k), lambda c, t: False).channel != plan.channel


def _campaign(ch: ChannelLearner, table: dict[str, float], budget: int = 10, keywords=frozenset()) -> Campaign:
    spec = InterestSpec()
    target = Target("ice-ero", "federal", 0, 5, "7ABC123", 0.0)
    return Campaign(target, REGISTRY["ice-ero"], ch, {c: ChannelSpec(p, 3600) for c, p in table.items()}, spec,
                    REGISTRY, budget, keywords)


def test_after_a_keyword_denial_the_agency_rewords_on_that_channel():
    pack = load_policy("ca-sb34-sb54", load_scenario(str(FIXTURE)))
    keywords = keyword_rules(pack)
    assert "ca-sb54/sb54-immigration" in keywords and "ca-sb34-transfer/sb34-declared-beneficiary" not in keywords
    ch = learner({"proxy_honest": 1.0})
    campaign = _campaign(ch, {"proxy_honest": 1.0}, keywords=keywords)
    honest = campaign.attempt(DAY, lambda c, t: False)
    assert not honest.adversarial
    campaign.observe(honest, np.empty(0, np.int64), np.empty(0), ((False, "ca-sb54/sb54-immigration"),))
    reworded = [campaign.attempt(DAY * (2 + k), lambda c, t: False) for k in range(6)]
    assert all(p.request.on_behalf_of is None for p in reworded)
    assert sum(p.adversarial for p in reworded) >= 4  # re-spelt past filters (some texts carry no filtered word)
    words = {"ice", "ero", "hsi", "immigration", "deportation"}
    for p in reworded:
        if p.adversarial:
            assert not words & set(p.request.reason.lower().replace(".", " ").split())


def test_a_pursuit_stops_once_the_agency_has_placed_the_home_and_not_before():
    ch = learner({"proxy_vague": 1.0})
    campaign = _campaign(ch, {"proxy_vague": 1.0})
    assert campaign.attempt(DAY, lambda c, t: False) is not None
    assert campaign.attempt(2 * DAY, lambda c, t: True) is None
    assert campaign.stopped_located and campaign.attempts == 1


# --- runs on the two-towns fixture -----------------------------------------------------


@pytest.fixture(scope="module")
def town():
    spec = load_scenario(str(FIXTURE))
    world = build_world(spec)
    return world, plan_searches(world), simulate(world)


def test_a_static_adversary_reproduces_the_records_of_the_same_seed(town):
    world, planned, traffic = town
    outcome = run_policy(world, "ca-sb34-sb54", planned, traffic=traffic)
    assert outcome.report["records_sha256"] == GOLDEN_RECORDS
    assert outcome.report["audit"]["head_sha256"] == GOLDEN_AUDIT_HEAD
    assert outcome.report["adversary"] == {"strategy": "static", "channel_switches":
                                           outcome.report["adversary"]["channel_switches"],
                                           "stopped_after_locating": 0}


def test_an_adaptive_adversary_changes_only_the_outside_attempts(town):
    world, planned, traffic = town
    static = play(world, traffic, planned, "ca-sb34-sb54")
    adaptive = play(world, traffic, planned, "ca-sb34-sb54",
                    dynamics=dataclasses.replace(world.spec.interest.dynamics, adversary="adaptive"))

    def own(records):
        return [(s.plan.request.request_id, s.rows.tolist()) for s in records.searches if s.plan.legit]

    assert own(static) == own(adaptive)  # the same legitimate work, the same answers
    outside = [s for s in adaptive.searches if s.plan.beneficiary_kind == "federal"]
    assert outside and all(s.plan.request.request_id.rsplit("-", 1)[1].startswith("a") for s in outside)
    static_targets = {(s.plan.beneficiary, s.plan.target_vehicle) for s in static.searches if not s.plan.legit
                      and s.plan.beneficiary_kind == "federal"}
    adaptive_targets = {(s.plan.beneficiary, s.plan.target_vehicle) for s in outside}
    assert adaptive_targets & static_targets  # the same people are pursued (common random numbers)


def test_an_audit_sees_only_the_exported_log(town, monkeypatch):
    """The auditor's decision gets the records read back from the exported network audit,
    and nothing in them names a beneficiary the searcher did not declare."""
    world, planned, traffic = town
    seen = []
    import agencies.audits as audits

    real = audits.audit_decisions

    def spy(records, spec, sampled, owner_state="CA"):
        seen.append(list(records))
        return real(records, spec, sampled, owner_state)

    monkeypatch.setattr(audits, "audit_decisions", spy)
    dynamics = DynamicsSpec(audits={"alpha-ca-pd": AuditSpec(1.0)})
    records = play(world, traffic, planned, "open", dynamics=dynamics)
    assert seen and all(type(r).__name__ == "AuditRecord" for batch in seen for r in batch)
    undeclared = [s for s in records.searches if s.plan.channel in ("proxy_vague", "proxy_disguised")
                  and s.plan.request.on_behalf_of != s.plan.beneficiary]
    assert undeclared
    texts = " ".join(" ".join(str(v) for v in dataclasses.astuple(r)) for batch in seen for r in batch).lower()
    assert "true_kind" not in texts and "beneficiary" not in texts
    for s in undeclared:
        assert s.plan.request.request_id not in texts  # the layout has no request id


def test_audit_decisions_depend_on_the_exported_fields_alone():
    """Two logs whose declared faces are equal get the same flags, whatever really happened."""
    from forensics.auditlogs import AuditRecord

    rows = [AuditRecord("", "officer-1", "California Highway Patrol", None, "ICE case", plate="7ABC123"),
            AuditRecord("", "u-7", "Alpha CA PD", None, "investigation", plate="8XYZ999")] + \
           [AuditRecord("", "u-7", "Alpha CA PD", None, "investigation", plate="8XYZ999")] * 4
    flags = audit_decisions(rows, AuditSpec(30), np.ones(len(rows), bool))
    assert [(f.index, f.flag) for f in flags] == [(0, "immigration")] + [(i, "repeated_plate") for i in range(1, 6)]
    assert audit_decisions(rows, AuditSpec(30), np.zeros(len(rows), bool)) == []  # unsampled rows are not read
    assert [f.flag for f in audit_decisions(rows[:5], AuditSpec(30), np.ones(5, bool))] == ["immigration"]


def test_misconfiguration_opens_and_closes_sharing_at_the_stated_times():
    spec = load_scenario(str(FIXTURE))
    spec = dataclasses.replace(spec, days=4, interest=dataclasses.replace(
        spec.interest, targets_per_30_days={"ice-ero": 150}))
    world = build_world(spec)
    planned, traffic = plan_searches(world), simulate(world)
    event = MisconfigurationEvent("alpha-ca-pd", "national_lookup", 1.0, 2.5)
    records = play(world, traffic, planned, "open", dynamics=DynamicsSpec(misconfigurations=(event,)))
    direct = [s for s in records.searches if s.plan.channel == "direct"]
    assert len(direct) > 10
    for s in direct:
        reached = {n.owner: n.via for n in s.networks}
        inside = DAY <= s.plan.time_s < 2.5 * DAY
        assert (reached.get("alpha-ca-pd") == "national_lookup") is inside, s.plan.time_s
        assert "beta-ca-pd" not in reached
    (m,) = records.dynamics.misconfigurations
    assert (m.start_s, m.end_s, m.closed_by_audit) == (DAY, 2.5 * DAY, False)
    # with daily audits and no end date, the first audit that reads a federal row closes it
    audited = play(world, traffic, planned, "open", dynamics=DynamicsSpec(
        misconfigurations=(dataclasses.replace(event, end_day=None),), audits={"alpha-ca-pd": AuditSpec(1.0)}))
    (m,) = audited.dynamics.misconfigurations
    assert m.closed_by_audit and m.end_s == 2 * DAY  # the audit of day 1 saw nothing yet: it had just opened
    assert all(n.via != "national_lookup" for s in audited.searches if s.plan.time_s >= 2 * DAY for n in s.networks)


def test_an_owner_checks_its_settings_against_its_own_sharing_only():
    graph = SharingGraph({a.org.slug: a.org for a in BAY_AREA_AGENCIES}, ("oakland-ca-pd",),
                         state_share=frozenset({"oakland-ca-pd"}))

    class Player:
        service = type("S", (), {"audit": AuditLog()})()
        sanctions = SanctionTable()

    auditor = OwnerAuditor("oakland-ca-pd", AuditSpec(30), Player(), {}, graph, None, np.random.default_rng(0))
    assert auditor.expected_requester("california-highway-patrol")
    assert not auditor.expected_requester("ice-ero") and not auditor.expected_requester(None)


def test_a_request_reworded_keeps_its_declared_structure():
    req = SearchRequest("r", "chp", "u", 10, "ICE case", "plate", ReadQuery(plate="7ABC123", start_s=0, end_s=11))
    assert dataclasses.replace(req, reason="I.C.E. case").query == req.query
