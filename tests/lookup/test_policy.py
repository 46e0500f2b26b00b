"""The policy language and its evaluator: semantics, parsing errors, and properties."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.policy import (
    DECISION_EFFECTS,
    Context,
    Network,
    PolicyError,
    SlidingWindowCounter,
    decide,
    evaluate_many,
    policy_from_dict,
    rate_keys_to_record,
)
from lookup.requests import ORG_KINDS, Organization, ReadQuery, SearchRequest

OAKLAND = Organization("oakland-ca-pd", "Oakland Police Department", "local", "CA")
SFPD = Organization("sf-ca-pd", "San Francisco Police Department", "local", "CA")
CHP = Organization("chp", "California Highway Patrol", "state", "CA")
ICE = Organization("ice-ero", "ICE Enforcement and Removal Operations", "federal", "US")
TEXAS = Organization("texas-dps", "Texas Department of Public Safety", "out_of_state", "TX")
TFO = Organization("oakland-tfo", "Oakland task-force officer", "local", "CA", frozenset({"task_force"}))
REGISTRY = {org.slug: org for org in (OAKLAND, SFPD, CHP, ICE, TEXAS, TFO)}
SEVERITY = {effect: rank for rank, effect in enumerate(DECISION_EFFECTS)}


def request(reason: str = "211PC", *, case_number: str | None = None, offense_type: str | None = None,
            on_behalf_of: str | None = None, search_type: str = "plate", window_s: int | None = 86400,
            time_s: int = 100 * 86400, user: str = "officer-1", org: str = "chp") -> SearchRequest:
    query = ReadQuery(plate="7ABC123") if window_s is None else ReadQuery(
        plate="7ABC123", start_s=time_s - window_s, end_s=time_s)
    return SearchRequest(request_id="r1", org=org, user=user, time_s=time_s, reason=reason,
                         search_type=search_type, query=query, offense_type=offense_type,
                         case_number=case_number, on_behalf_of=on_behalf_of)


def context(now_s: int = 100 * 86400, rates=None) -> Context:
    kwargs = {} if rates is None else {"rates": rates}
    return Context(now_s=now_s, lookup_org=REGISTRY.get, **kwargs)


def policy(rules=(), default="allow", **extra):
    return policy_from_dict({"name": extra.pop("name", "p"), "source": "test", "default": default,
                             "rules": list(rules), **extra}, "test.yaml")


def one(pol, req=None, requester=CHP, owner=OAKLAND, via="share", ctx=None):
    return decide(req or request(), requester, owner, [pol], ctx or context(), via)


# --- conditions ----------------------------------------------------------------------


@pytest.mark.parametrize("reason, denied", [
    ("ICE case", True), ("ICE WARRANT", True), ("ICE+ERO", True), ("ice", True), ("(ICE)", True),
    ("Police assist", False), ("notice of service", False), ("Office visit", False), ("slice", False),
])
def test_keywords_match_whole_words_case_insensitively(reason, denied):
    pol = policy([{"id": "ice", "when": {"request.reason": {"keywords": ["ICE"]}}, "effect": "deny"}])
    assert one(pol, request(reason)).effect == ("deny" if denied else "allow")


def test_a_space_inside_a_keyword_matches_any_separator():
    pol = policy([{"id": "bp", "when": {"request.reason": {"keywords": ["border patrol"]}}, "effect": "deny"}])
    for reason in ("Border Patrol", "border-patrol assist", "BORDER_PATROL", "border  patrol"):
        assert one(pol, request(reason)).effect == "deny", reason
    assert one(pol, request("borderpatrol")).effect == "allow"


def test_regex_and_presence_on_case_numbers():
    pol = policy([
        {"id": "no-case", "when": {"request.case_number": {"present": False}}, "effect": "deny"},
        {"id": "bad-case", "when": {"request.case_number": {"regex": r"^(?!\d{2}-\d{5}$)"}}, "effect": "deny"},
    ])
    assert one(pol, request(case_number="26-01628")).effect == "allow"
    assert one(pol, request(case_number="   ")).rule == "no-case"  # blank counts as absent
    assert one(pol, request()).rule == "no-case"
    assert one(pol, request(case_number="N/A")).rule == "bad-case"


def test_declared_beneficiary_kind_comes_from_the_registry():
    pol = policy([{"id": "fed", "when": {"on_behalf_of.kind": "federal"}, "effect": "deny"}])
    assert one(pol, request(on_behalf_of="ice-ero")).rule == "fed"
    assert one(pol, request(on_behalf_of="my cousin")).effect == "allow"  # not registered: absent
    assert one(pol, request(on_behalf_of="chp")).effect == "allow"
    no_registry = Context(now_s=0)
    assert one(pol, request(on_behalf_of="ice-ero"), ctx=no_registry).effect == "allow"


def test_relative_conditions_compare_two_attributes():
    pol = policy([{"id": "outsider", "when": {"requester.state": {"differs_from": "owner.state"}}, "effect": "deny"}])
    assert one(pol, requester=TEXAS).rule == "outsider"
    assert one(pol, requester=SFPD).effect == "allow"


def test_search_type_window_and_tags():
    pol = policy([
        {"id": "no-area", "when": {"request.search_type": "area"}, "effect": "deny"},
        {"id": "long", "when": {"request.window_s": {"gt": 7 * 86400}}, "effect": "deny"},
        {"id": "tf", "when": {"requester.tags": "task_force"}, "effect": "require_approval",
         "approval": {"delay_s": 60, "probability": 0.5}},
    ])
    assert one(pol, request(search_type="area")).rule == "no-area"
    assert one(pol, request(window_s=30 * 86400)).rule == "long"
    assert one(pol, request(window_s=None)).effect == "allow"  # absent value: the test is false
    d = one(pol, requester=TFO)
    assert (d.effect, d.delay_s, d.approval_probability) == ("require_approval", 60, 0.5)


def test_combinators_any_all_not_and_unless():
    pol = policy([{"id": "r", "effect": "deny",
                   "when": {"any": [{"requester.kind": "federal"}, {"requester.state": {"ne": "CA"}}]},
                   "unless": {"request.reason": {"keywords": ["exempt"]}}}])
    assert one(pol, requester=ICE).rule == "r"
    assert one(pol, requester=TEXAS).rule == "r"
    assert one(pol, request("exempt case"), requester=TEXAS).effect == "allow"
    assert one(pol, requester=SFPD).effect == "allow"


# --- effects, limits, rates -----------------------------------------------------------


def test_deny_overrides_an_earlier_allow_and_rule_order_names_among_equals():
    pol = policy([{"id": "a1", "effect": "allow"}, {"id": "d1", "effect": "deny"}, {"id": "d2", "effect": "deny"}],
                 default="allow")
    d = one(pol)
    assert (d.effect, d.policy, d.rule, d.rule_ref) == ("deny", "p", "d1", "p/d1")


def test_no_match_gives_the_default_named_default():
    d = one(policy([{"id": "x", "when": {"requester.kind": "federal"}, "effect": "allow"}], default="deny"))
    assert (d.effect, d.rule) == ("deny", "default")


def test_window_limit_denies_long_and_open_ended_windows():
    pol = policy([{"id": "w7", "effect": "limit", "limit": {"max_window_s": 7 * 86400}}])
    assert one(pol, request(window_s=86400)).effect == "allow"
    assert one(pol, request(window_s=8 * 86400)).rule == "w7"
    assert one(pol, request(window_s=None)).effect == "deny"


def test_rate_limit_counts_recorded_searches_and_gives_retry_after():
    pol = policy([{"id": "r2", "effect": "limit", "limit": {"rate": {"max": 2, "per_s": 3600}}}])
    rates = SlidingWindowCounter()
    first = one(pol, request(time_s=1000), ctx=context(1000, rates))
    assert first.allowed and first.rate_keys == ("p/r2/chp",)
    rates.record(first.rate_keys, 1000)
    rates.record(first.rate_keys, 1500)
    d = one(pol, request(time_s=2000), ctx=context(2000, rates))
    assert (d.effect, d.rule, d.retry_after_s) == ("rate_limited", "r2", 1000 + 3600 - 2000)
    assert one(pol, request(time_s=4601), ctx=context(4601, rates)).allowed  # the first expired
    assert one(pol, request(time_s=2000), requester=SFPD, ctx=context(2000, rates)).allowed  # per requester


def test_rate_limit_per_user_and_owner_keys():
    pol = policy([{"id": "u", "effect": "limit", "limit": {"rate": {"max": 1, "per_s": 60, "per": "user_owner"}}}])
    d = one(pol)
    assert d.rate_keys == ("p/u/chp:officer-1/oakland-ca-pd",)


def test_a_fan_out_search_counts_once_against_a_per_requester_rate():
    pol = policy([{"id": "r", "effect": "limit", "limit": {"rate": {"max": 2, "per_s": 3600}}}])
    owners = [Organization(f"agency-{i}", f"Agency {i}", "local", "CA") for i in range(50)]
    networks = [Network(owner, (pol,), "share") for owner in owners]
    rates = SlidingWindowCounter()
    for t in (0, 10):
        decisions = evaluate_many(request(time_s=t), CHP, networks, context(t, rates))
        assert all(d.allowed for d in decisions)
        assert rate_keys_to_record(decisions) == ("p/r/chp",)
        rates.record(rate_keys_to_record(decisions), t)
    third = evaluate_many(request(time_s=20), CHP, networks, context(20, rates))
    assert {(d.effect, d.retry_after_s) for d in third} == {("rate_limited", 3600 - 20)}
    denied_everywhere = [False] * len(networks)
    assert rate_keys_to_record(third, denied_everywhere) == ()


def test_layers_state_law_named_before_the_owner_and_allow_named_by_the_owner():
    law = policy([{"id": "sb34-federal", "when": {"requester.kind": "federal"}, "effect": "deny"}],
                 name="law", scope={"owner.state": "CA"}, layer="state_law")
    own = policy([{"id": "no-federal", "when": {"requester.kind": "federal"}, "effect": "deny"},
                  {"id": "partners", "when": {"requester.state": "CA"}, "effect": "allow"}],
                 name="oakland-own", default="deny", layer="owner")
    d = decide(request(), ICE, OAKLAND, [law, own], context())
    assert d.rule_ref == "law/sb34-federal"
    assert d.trail == ("law/sb34-federal=deny", "oakland-own/no-federal=deny")
    assert decide(request(), SFPD, OAKLAND, [law, own], context()).rule_ref == "oakland-own/partners"


def test_a_layer_out_of_scope_abstains_and_no_layer_means_deny():
    law = policy([{"id": "x", "effect": "deny"}], name="law", scope={"owner.state": "CA"})
    texas_owner = Organization("houston-tx-pd", "Houston PD", "out_of_state", "TX")
    d = decide(request(), TEXAS, texas_owner, [law], context())
    assert (d.effect, d.rule) == ("deny", "no-applicable-policy")
    base = policy(name="base")
    assert decide(request(), TEXAS, texas_owner, [base, law], context()).rule_ref == "base/default"


def test_approvals_from_several_layers_add_delays_and_multiply_probabilities():
    a = policy([{"id": "a", "effect": "require_approval", "approval": {"delay_s": 100, "probability": 0.5}}], name="a")
    b = policy([{"id": "b", "effect": "require_approval", "approval": {"delay_s": 50, "probability": 0.8}}], name="b")
    d = decide(request(), CHP, OAKLAND, [a, b], context())
    assert (d.effect, d.rule_ref, d.delay_s) == ("require_approval", "a/a", 150)
    assert d.approval_probability == pytest.approx(0.4)


def test_an_error_during_evaluation_fails_closed():
    def broken(_text):
        raise RuntimeError("registry down")

    pol = policy([{"id": "fed", "when": {"on_behalf_of.kind": "federal"}, "effect": "deny"}], default="allow")
    d = decide(request(on_behalf_of="ice-ero"), CHP, OAKLAND, [pol], Context(now_s=0, lookup_org=broken))
    assert (d.effect, d.rule) == ("deny", "evaluation-error")
    assert "registry down" in d.message


# --- parsing fails closed, naming the field ------------------------------------------


@pytest.mark.parametrize("rule, fragment", [
    ({"id": "r", "when": {"request.reson": "x"}, "effect": "deny"}, "did you mean 'request.reason'"),
    ({"id": "r", "when": {"requester.kind": "fedral"}, "effect": "deny"}, "'fedral' is not a requester.kind"),
    ({"id": "r", "when": {"request.reason": {"contains": "x"}}, "effect": "deny"}, "unknown operator 'contains'"),
    ({"id": "r", "when": {"request.reason": {"regex": "("}}, "effect": "deny"}, "bad regular expression"),
    ({"id": "r", "when": {"request.window_s": {"gt": "a week"}}, "effect": "deny"}, "expected a number"),
    ({"id": "r", "effect": "forbid"}, "unknown effect 'forbid'"),
    ({"id": "r", "effect": "deny", "colour": "red"}, "unknown key 'colour'"),
    ({"id": "r", "effect": "allow", "approval": {"delay_s": 1, "probability": 1}}, "only for effect 'require_approval'"),
    ({"id": "r", "effect": "require_approval", "approval": {"delay_s": 1, "probability": 1.5}}, "at most 1"),
    ({"id": "r", "effect": "require_approval"}, "needs 'approval'"),
    ({"id": "r", "effect": "limit", "limit": {"rate": {"max": 0, "per_s": 60}}}, "whole number >= 1"),
    ({"id": "r", "when": {"requester.state": "ca"}, "effect": "deny"}, "two-letter upper-case"),
    ({"id": "r", "when": {"requester.state": {"same_as": "request.window_s"}}, "effect": "deny"}, "cannot compare"),
    ({"id": "R 1", "effect": "deny"}, "not a valid rule id"),
    ({"id": "r", "when": {}, "effect": "deny"}, "empty condition mapping"),
])
def test_malformed_rules_raise_policy_errors_naming_the_field(rule, fragment):
    with pytest.raises(PolicyError) as info:
        policy([{"id": "ok", "effect": "allow"}, rule])
    message = str(info.value)
    assert fragment in message
    assert message.startswith("test.yaml: rules[1]")


def test_policy_level_errors():
    with pytest.raises(PolicyError, match="missing required key 'default'"):
        policy_from_dict({"name": "p", "source": "s"}, "f.yaml")
    with pytest.raises(PolicyError, match="used twice"):
        policy([{"id": "a", "effect": "deny"}, {"id": "a", "effect": "allow"}])
    with pytest.raises(PolicyError, match=r"scope.request.reason: 'request.reason' depends on the request"):
        policy(scope={"request.reason": "x"})
    with pytest.raises(PolicyError, match="default must be 'allow' or 'deny'"):
        policy(default="maybe")


def test_parsing_the_same_data_twice_gives_equal_policies():
    data = {"name": "p", "source": "s", "default": "deny",
            "rules": [{"id": "a", "when": {"request.reason": {"keywords": ["x", "y"]}}, "effect": "allow"}]}
    assert policy_from_dict(data) == policy_from_dict(data)


# --- properties -----------------------------------------------------------------------

ORGS = [OAKLAND, SFPD, CHP, ICE, TEXAS, TFO]
REASONS = ["ICE case", "AOA", "investigation", "ICE WARRANT", "Immigration - HSI", "211PC", "10851 VC",
           "stolen vehicle", "missing person", "", "HSI", "robbery"]
ATOMS = st.sampled_from([
    {"requester.kind": "federal"}, {"requester.kind": ["local", "state"]}, {"requester.state": "CA"},
    {"requester.state": {"differs_from": "owner.state"}}, {"requester.tags": "task_force"},
    {"owner.slug": "oakland-ca-pd"}, {"access.via": "national_lookup"},
    {"request.reason": {"keywords": ["ICE", "immigration"]}}, {"request.reason": {"regex": r"\d+\s*(PC|VC)"}},
    {"request.case_number": {"present": True}}, {"request.on_behalf_of": {"present": False}},
    {"on_behalf_of.kind": "federal"}, {"request.search_type": "partial"}, {"request.window_s": {"gt": 86400}},
])


@st.composite
def conditions(draw):
    parts = draw(st.lists(ATOMS, min_size=1, max_size=3))
    merged: dict = {}
    for part in parts:
        merged.update(part)
    if draw(st.booleans()):
        return {"not": merged}
    return merged


@st.composite
def rules(draw, effect=None):
    effect = effect or draw(st.sampled_from(["allow", "deny", "require_approval", "limit"]))
    rule = {"id": f"r{draw(st.integers(0, 10**9))}", "effect": effect}
    if draw(st.booleans()):
        rule["when"] = draw(conditions())
    if effect == "require_approval":
        rule["approval"] = {"delay_s": draw(st.integers(0, 10**5)), "probability": draw(st.sampled_from([0.1, 0.5, 1]))}
    if effect == "limit":
        rule["limit"] = {"max_window_s": draw(st.sampled_from([3600, 86400, 7 * 86400]))}
    return rule


def unique_ids(rule_list):
    return [{**r, "id": f"{r['id']}-{i}"} for i, r in enumerate(rule_list)]


requests_ = st.builds(
    lambda reason, case, obo, stype, window: request(reason, case_number=case, on_behalf_of=obo,
                                                     search_type=stype, window_s=window),
    st.sampled_from(REASONS), st.sampled_from([None, "26-01628"]),
    st.sampled_from([None, "ice-ero", "chp", "a friend"]), st.sampled_from(["plate", "partial", "area"]),
    st.sampled_from([None, 3600, 86400 * 3]))
orgs_ = st.sampled_from(ORGS)
vias = st.sampled_from(["share", "state", "national_lookup"])
slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(st.lists(rules(), max_size=6), rules("deny"), st.integers(0, 6), st.sampled_from(["allow", "deny"]),
       requests_, orgs_, orgs_, vias)
def test_adding_a_deny_rule_never_grants_and_a_matching_one_denies(base, extra, at, default, req, requester, owner, via):
    before = policy(unique_ids(base), default)
    after = policy(unique_ids(base[:at] + [extra] + base[at:]), default)
    d0 = decide(req, requester, owner, [before], context(), via)
    d1 = decide(req, requester, owner, [after], context(), via)
    assert SEVERITY[d1.effect] >= SEVERITY[d0.effect]
    alone = decide(req, requester, owner, [policy([extra], "allow")], context(), via)
    if alone.effect == "deny":  # the new rule matches: deny overrides whatever else matched
        assert d1.effect == "deny"


@slow
@given(st.lists(rules(), max_size=6), rules("allow"), st.integers(0, 6), st.sampled_from(["allow", "deny"]),
       requests_, orgs_, orgs_, vias)
def test_adding_an_allow_rule_never_revokes(base, extra, at, default, req, requester, owner, via):
    before = policy(unique_ids(base), default)
    after = policy(unique_ids(base[:at] + [extra] + base[at:]), default)
    d0 = decide(req, requester, owner, [before], context(), via)
    d1 = decide(req, requester, owner, [after], context(), via)
    assert SEVERITY[d1.effect] <= SEVERITY[d0.effect]
    if d0.allowed:
        assert d1.allowed


@slow
@given(st.lists(st.lists(rules(), max_size=4), min_size=1, max_size=3), st.lists(rules(), max_size=4),
       requests_, orgs_, orgs_, vias)
def test_adding_a_layer_never_loosens_and_every_decision_names_its_rule(layers, extra, req, requester, owner, via):
    pols = [policy(unique_ids(r), name=f"l{i}") for i, r in enumerate(layers)]
    d0 = decide(req, requester, owner, pols, context(), via)
    d1 = decide(req, requester, owner, [*pols, policy(unique_ids(extra), "deny", name="extra")], context(), via)
    assert SEVERITY[d1.effect] >= SEVERITY[d0.effect]
    for d in (d0, d1):
        assert d.policy and d.rule and d.effect in DECISION_EFFECTS


@slow
@given(st.lists(st.lists(rules(), max_size=4), min_size=1, max_size=3), requests_, orgs_,
       st.lists(st.tuples(orgs_, vias), min_size=1, max_size=8))
def test_evaluate_many_equals_decide_network_by_network(layers, req, requester, targets):
    pols = tuple(policy(unique_ids(r), name=f"l{i}") for i, r in enumerate(layers))
    networks = [Network(owner, pols, via) for owner, via in targets]
    many = evaluate_many(req, requester, networks, context())
    assert many == [decide(req, requester, owner, pols, context(), via) for owner, via in targets]


junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "source", "default", "rules", "scope", "layer", "bogus"]),
                       junk, max_size=6),
       st.lists(st.dictionaries(st.sampled_from(["id", "when", "effect", "approval", "limit", "unless", "x"]),
                                junk | st.sampled_from(["deny", "allow", "r1", {"request.reason": "x"}])),
                max_size=3))
def test_malformed_data_fails_with_a_policy_error_and_nothing_else(top, rule_list):
    data = dict(top)
    if rule_list:
        data["rules"] = rule_list
    try:
        policy_from_dict(data, "fuzz.yaml")
    except PolicyError as error:
        assert str(error).startswith("fuzz.yaml")


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and s not in ("all", "any", "not")))
def test_unknown_attributes_fail_closed(name):
    from lookup.policy import ATTRIBUTES

    data = {"name": "p", "source": "s", "default": "allow",
            "rules": [{"id": "r", "when": {name: "x"}, "effect": "deny"}]}
    if name in ATTRIBUTES:
        return
    with pytest.raises(PolicyError, match="unknown attribute"):
        policy_from_dict(data)


def test_every_org_kind_is_a_valid_requester_kind_value():
    for kind in ORG_KINDS:
        policy([{"id": "k", "when": {"requester.kind": kind}, "effect": "deny"}])
