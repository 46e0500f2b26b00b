"""Policies in Cedar and Rego: the shipped files agree with the built-in pack on the whole
standard corpus, a naive rule does not, the adapters fail closed, and both the service
(``serve --policy-file``) and the simulator (``run --policy-file``) enforce them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookup.policy import Context, Network
from lookup.policy_cedar import CedarPolicy
from lookup.policy_external import facts, load_policy_file, words
from lookup.policy_model import PolicyError
from lookup.policy_rego import RegoPolicy
from lookup.requests import Organization, ReadQuery, SearchRequest
from scenarios.cli import app
from scenarios.conformance.compare import compare, compare_files, standard_corpus
from scenarios.policy_files import load_pack
from tests.service.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "policies"
CHP = Organization("chp", "CHP", "state", "CA")
OAK = Organization("oak", "Oakland PD", "local", "CA")


def request(reason: str, **fields) -> SearchRequest:
    return SearchRequest("r1", "chp", "officer", 0, reason, "plate", ReadQuery(plate="7ABC123"), **fields)


@pytest.mark.parametrize("name", ["ca-sb34-sb54.cedar", "ca-sb34-sb54.rego"])
def test_the_shipped_files_agree_with_the_pack_on_the_whole_corpus(name):
    total, differ = compare_files("ca-sb34-sb54", EXAMPLES / name)
    assert total >= 130 and differ == [], [(d.item.describe(), d.ours.effect, d.theirs.effect) for d in differ]


def test_the_corpus_covers_both_outcomes_so_agreement_means_something():
    pack = load_pack("ca-sb34-sb54")
    allow_all = load_policy_file(EXAMPLES / "ca-sb34-sb54.cedar")
    total, differ = compare(load_pack("open"), allow_all)
    # the open pack allows everything: the file disagrees wherever ca-sb34-sb54 denies
    _, none = compare(pack, allow_all)
    assert none == [] and 40 <= len(differ) < total


def test_a_naive_cedar_rule_disagrees_where_it_misses_a_spelling():
    _, differ = compare_files("ca-sb34-sb54", EXAMPLES / "naive-keywords.cedar")
    missed = {d.item.request.reason for d in differ if d.ours.effect == "deny" and d.theirs.effect == "allow"}
    assert {"Ice Warrant", "HSI request", "deportation"} <= missed


def test_words_match_whole_words_as_the_keyword_operator_does():
    assert words("ICE+ERO case") == " ice ero case "
    assert words("I.C.E.") == " i c e "
    assert words("police") == " police " and " ice " not in words("police")
    assert words(None) == " "


def test_facts_map_the_declared_face_and_a_registered_beneficiary():
    fbi = Organization("fbi", "FBI", "federal", "US")
    f = facts(request("assist", on_behalf_of="fbi", offense_type=" "), CHP, OAK, "share", {"fbi": fbi}.get)
    assert f["beneficiary"] == {"registered": True, "slug": "fbi", "kind": "federal", "state": "US", "tags": []}
    assert f["request"]["has_offense_type"] is False and f["request"]["window_s"] == -1
    assert f["owner"]["state"] == "CA" and f["via"] == "share"


def test_the_adapters_fail_closed():
    networks = [Network(OAK, (), "share")]
    context = Context(now_s=0)
    # a forbid that errs (no such attribute) is skipped by Cedar; the adapter denies
    erring = CedarPolicy('permit(principal, action, resource);\n'
                         '@id("bad") forbid(principal, action, resource) when { context.nope == 1 };')
    decision = erring.evaluate_many(request("x"), CHP, networks, context)[0]
    assert decision.effect == "deny" and decision.rule == "evaluation-error"
    silent = RegoPolicy("package alprsim\nimport rego.v1\nallow := \"yes\"\n")  # not a boolean
    decision = silent.evaluate_many(request("x"), CHP, networks, context)[0]
    assert decision.effect == "deny" and decision.rule == "evaluation-error"
    nothing = RegoPolicy("package alprsim\nimport rego.v1\ndefault allow := false\ndeny := set()\n")
    assert nothing.evaluate_many(request("x"), CHP, networks, context)[0].rule == "default"
    with pytest.raises(PolicyError, match="not a Cedar policy set"):
        CedarPolicy("permit(principal")
    with pytest.raises(PolicyError, match="not a Rego module"):
        RegoPolicy("package alprsim\nallow if {")


def test_cedar_names_the_deciding_rule_by_its_id():
    cedar = load_policy_file(EXAMPLES / "ca-sb34-sb54.cedar")
    networks = [Network(OAK, (), "share"), Network(Organization("reno", "Reno", "local", "NV"), (), "share")]
    decisions = cedar.evaluate_many(request("ICE case"), CHP, networks, Context(now_s=0))
    assert [(d.effect, d.rule) for d in decisions] == [("deny", "sb54-immigration"), ("allow", "open")]


def test_the_compare_command_lists_disagreements_and_exits_1(tmp_path):
    runner = CliRunner()
    same = runner.invoke(app, ["policies", "compare", "ca-sb34-sb54", str(EXAMPLES / "ca-sb34-sb54.rego")])
    assert same.exit_code == 0 and f"0 of {len(standard_corpus())} requests" in same.output
    naive = runner.invoke(app, ["policies", "compare", "ca-sb34-sb54", str(EXAMPLES / "naive-keywords.cedar")])
    assert naive.exit_code == 1 and "reason 'Ice Warrant'" in naive.output
    assert "ca-sb34-sb54: deny (ca-sb54/sb54-immigration)   naive-keywords.cedar: allow (open)" in naive.output
    bad = runner.invoke(app, ["policies", "compare", "ca-sb34-sb54", str(tmp_path / "x.yaml")])
    assert bad.exit_code == 2 and "no such policy file" in bad.output


@pytest.mark.parametrize("name", ["ca-sb34-sb54.cedar", "ca-sb34-sb54.rego"])
def test_the_service_enforces_a_policy_file(tmp_path, name):
    srv = Server(tmp_path / "file.sqlite", args=("--policy-file", str(EXAMPLES / name))).start()
    try:
        admin = srv.client()
        admin.create_org("oak", "Oakland PD", "local", "CA", owns_cameras=True, devices=1)
        for slug, kind, state in (("chp", "state", "CA"), ("fbi", "federal", "US")):
            admin.create_org(slug, slug.upper(), kind, state)
        admin.set_org_sharing("oak", ["chp", "fbi"])  # no pack set: the file decides anyway
        chp = srv.client(admin.create_key("chp")["key"])
        fbi = srv.client(admin.create_key("fbi")["key"])
        body = {"user": "u", "query": {"plate": "7ABC123"}}
        assert chp.search({**body, "reason": "stolen vehicle"}).status == 200
        denied = chp.search({**body, "reason": "ICE case"})
        # "ICE" is both an immigration keyword and a federal name: Cedar names the first forbid, Rego the
        # first of its deny set in sorted order
        assert denied.status == 403 and denied.body["networks"][0]["rule"] in (
            "ca-sb34-sb54/sb54-immigration", "ca-sb34-sb54/sb34-declared-federal-text")
        assert fbi.search({**body, "reason": "fugitive"}).body["networks"][0]["rule"] == \
            "ca-sb34-sb54/sb34-federal"
    finally:
        srv.stop()


def test_the_simulator_under_the_cedar_file_gives_the_packs_figures(two_towns_world):
    from scenarios.experiment import run_policy

    pack = run_policy(two_towns_world, "ca-sb34-sb54").report
    cedar = run_policy(two_towns_world, "ca-sb34-sb54", policy_file=str(EXAMPLES / "ca-sb34-sb54.cedar")).report
    assert cedar["leakage"] == pack["leakage"] and cedar["cost"] == pack["cost"]
    assert pack["cost"]["legit_searches"] > 0


def test_the_files_and_the_requests_match_the_documented_cedar_schema():
    import cedarpy

    schema = (EXAMPLES / "alprsim.cedarschema").read_text()
    for name in ("ca-sb34-sb54.cedar", "naive-keywords.cedar"):
        result = cedarpy.validate_policies((EXAMPLES / name).read_text(), schema)
        assert result.validation_passed, result.errors
    cedar = load_policy_file(EXAMPLES / "ca-sb34-sb54.cedar").adapter
    fbi = Organization("fbi", "FBI", "federal", "US")
    batch, entities = cedar.requests(request("assist", on_behalf_of="fbi"), CHP, [Network(OAK, (), "share")],
                                     Context(now_s=0, lookup_org={"fbi": fbi}.get))
    answer = cedarpy.is_authorized(batch[0], cedar.policies, entities, schema=schema)
    assert not answer.diagnostics.errors and not answer.allowed  # a request the schema accepts, denied
