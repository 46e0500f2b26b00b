"""The built-in policy packs: their tables, the mechanisms the issue demands, files and CLI."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lookup.policy import DECISION_EFFECTS, Context, Network, PolicyError, decide, evaluate_many
from lookup.requests import ReadQuery, SearchRequest
from scenarios.cli_policies import register
from scenarios.policy_files import (
    TESTS_DIR,
    builtin_pack_names,
    load_pack,
    load_policy_tests,
    run_policy_tests,
)

PACKS = ["open", "ca-sb34", "ca-sb34-sb54", "flock-2025", "il-2024", "va-2025", "strict"]
CHAIN = ["open", "ca-sb34", "ca-sb34-sb54", "strict"]  # each stricter than the one before
SEVERITY = {effect: rank for rank, effect in enumerate(DECISION_EFFECTS)}
TEST_FILES = sorted(TESTS_DIR.glob("*.yaml"))
CASES = [(path, i) for path in TEST_FILES for i in range(len(load_policy_tests(path).cases))]
ORGS = load_policy_tests(TESTS_DIR / "ca-sb34.yaml").orgs


def test_the_built_in_packs_exist_and_cite_their_sources():
    assert sorted(builtin_pack_names()) == sorted(PACKS)
    for name in PACKS:
        pack = load_pack(name)
        assert pack.name == name and pack.source.strip()
        assert pack.layers[0].name == "open"  # every pack starts from the baseline
        assert all(layer.source.strip() for layer in pack.layers)
    assert "1798.90.55(b)" in load_pack("ca-sb34").source and "1798.90.5(f)" in load_pack("ca-sb34").source
    assert "7284.6" in load_pack("ca-sb34-sb54").source
    assert "103-0540" in load_pack("il-2024").source
    assert "HB 2724" in load_pack("va-2025").source

def test_a_pack_that_tries_to_set_sharing_is_refused_with_where_to_put_it(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("pack:\n  name: mine\n  source: test\n  sharing: {national_lookup: true}\n"
                    "  layers:\n    - include: open\n")
    with pytest.raises(PolicyError, match=r"mine.yaml:4: pack.sharing: .*scenario's `sharing:` section"):
        load_pack(path)


def test_every_pack_has_a_test_table():
    tested = {load_policy_tests(path).pack.name for path in TEST_FILES}
    assert tested == set(PACKS)


@pytest.mark.parametrize("path, index", CASES, ids=[f"{p.stem}-{i}" for p, i in CASES])
def test_pack_decides_its_table_case(path: Path, index: int):
    tests = load_policy_tests(path)
    result = run_policy_tests(tests)[index]
    assert result.ok, (f"{result.case.name}: expected {result.case.expect} {result.case.rule or ''}, "
                       f"got {result.decision.effect} by {result.decision.rule_ref}")


def _request(reason, case_number=None, on_behalf_of=None, offense_type=None, org="chp", window_s=86400):
    now = 40 * 86400
    query = ReadQuery(plate="7ABC123", start_s=None if window_s is None else now - window_s, end_s=now)
    return SearchRequest("r", org, "officer", now, reason, "plate", query, offense_type=offense_type,
                         case_number=case_number, on_behalf_of=on_behalf_of)


pack_layers = cache(lambda name: load_pack(name).layers)


def _decide(pack, req, requester, owner, via="share"):
    context = Context(now_s=req.time_s, lookup_org=lambda text: ORGS.get(text.strip().lower()))
    return decide(req, ORGS[requester], ORGS[owner], pack_layers(pack), context, via)


REASONS = ["ICE case", "AOA", "AOD", "investigation", "inv", "ICE WARRANT", "Immigration - HSI", "HSI", "CBP",
           "211PC", "245(a)(2)PC", "10851 VC", "stolen vehicle", "missing person", "BOL", "ICE+ERO",
           "daytime search for best result", "26-01628", "robbery", "abortion", "warrant", ""]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(REASONS), st.sampled_from([None, "26-01628", "N/A"]),
       st.sampled_from([None, "fbi", "chp", "sf-ca-pd", "texas-dps", "someone"]),
       st.sampled_from([None, "Immigration - HSI", "Robbery"]), st.sampled_from(sorted(ORGS)),
       st.sampled_from(sorted(ORGS)), st.sampled_from(["share", "state", "national_lookup"]),
       st.sampled_from([86400, 40 * 86400, None]))
def test_a_stricter_pack_in_the_chain_never_allows_more(reason, case, obo, offense, requester, owner, via, window):
    req = _request(reason, case, obo, offense, requester, window)
    if requester == owner:
        via = "own"
    ranks = [SEVERITY[_decide(pack, req, requester, owner, via).effect] for pack in CHAIN]
    assert ranks == sorted(ranks), dict(zip(CHAIN, ranks, strict=True))


@given(st.sampled_from(REASONS), st.sampled_from(["ice-ero", "hsi", "cbp", "fbi", "dea", "texas-dps", "houston-tx-pd"]),
       st.sampled_from(["oakland-ca-pd", "sf-ca-pd", "chp"]), st.sampled_from(["share", "national_lookup"]))
def test_under_ca_sb34_direct_and_national_lookup_to_california_are_denied_whatever_the_reason(
        reason, requester, owner, via):
    assert _decide("ca-sb34", _request(reason, org=requester), requester, owner, via).effect == "deny"
    assert _decide("open", _request(reason, org=requester), requester, owner, via).effect == "allow"


HONEST = [("ICE case", None, None), ("assist", "ice-ero", None), ("AOA", "fbi", None), ("follow up", None, "Immigration - HSI"),
          ("ICE WARRANT", None, None), ("HSI", None, None), ("DEA assist", None, None), ("AOD", "texas-dps", None)]
VAGUE_OR_DISGUISED = ["AOA", "AOD", "investigation", "inv", "BOL", "211PC", "245(a)(2)PC", "10851 VC", "stolen vehicle"]


@pytest.mark.parametrize("reason, obo, offense", HONEST)
def test_ca_sb34_sb54_stops_honest_proxies_that_ca_sb34_lets_through(reason, obo, offense):
    req = _request(reason, on_behalf_of=obo, offense_type=offense, org="sf-ca-pd")
    assert _decide("ca-sb34", req, "sf-ca-pd", "oakland-ca-pd").effect == "allow"
    assert _decide("ca-sb34-sb54", req, "sf-ca-pd", "oakland-ca-pd").effect == "deny"


@pytest.mark.parametrize("reason", VAGUE_OR_DISGUISED)
def test_vague_and_disguised_proxies_pass_every_keyword_filter(reason):
    req = _request(reason, org="chp")
    for pack in ("ca-sb34", "ca-sb34-sb54", "flock-2025"):
        assert _decide(pack, req, "chp", "oakland-ca-pd").effect == "allow", pack


def test_strict_denies_some_legitimate_searches():
    legit = [_request("211PC", org="oakland-ca-pd"),
             _request("missing person", on_behalf_of="alameda-ca-so", org="alameda-ca-so"),
             _request("investigation", case_number="26-01628", org="oakland-ca-pd")]
    owners = ["oakland-ca-pd", "oakland-ca-pd", "oakland-ca-pd"]
    for req, owner in zip(legit, owners, strict=True):
        assert _decide("ca-sb34-sb54", req, req.org, owner).effect == "allow"
        assert _decide("strict", req, req.org, owner).effect == "deny"


def test_evaluate_many_over_hundreds_of_networks_matches_decide():
    pack = load_pack("strict")
    owners = [ORGS[slug] for slug in sorted(ORGS)] * 40
    req = _request("245(a)(2)PC", "25-0042", "sf-ca-pd", org="sf-ca-pd")
    context = Context(now_s=req.time_s, lookup_org=ORGS.get)
    networks = [Network(o, pack.layers, "own" if o.slug == "sf-ca-pd" else "share") for o in owners]
    many = evaluate_many(req, ORGS["sf-ca-pd"], networks, context)
    assert many == [decide(req, ORGS["sf-ca-pd"], n.owner, n.layers, context, n.via) for n in networks]


# --- files: errors name file, line and field -------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


POLICY = """\
policy:
  name: mine
  source: a test
  default: allow
  rules:
    - id: ok
      effect: deny
    - id: bad
      when:
        requester.kind: federal
        request.reson: ICE
      effect: deny
"""


def test_an_unknown_attribute_is_reported_with_file_line_and_field(tmp_path):
    path = write(tmp_path, "mine.yaml", POLICY)
    with pytest.raises(PolicyError) as info:
        load_pack(path)
    message = str(info.value)
    assert f"{path}:11: policy.rules[1].when.request.reson: unknown attribute 'request.reson'" in message
    assert info.value.line == 11


def test_duplicate_keys_and_include_cycles_are_errors(tmp_path):
    path = write(tmp_path, "dup.yaml", "policy:\n  name: a\n  name: b\n  source: s\n  default: allow\n")
    with pytest.raises(PolicyError, match=r"dup.yaml:3: policy: key 'name' appears twice"):
        load_pack(path)
    write(tmp_path, "a.yaml", "pack: {name: a, source: s, layers: [{include: b.yaml}]}\n")
    write(tmp_path, "b.yaml", "pack: {name: b, source: s, layers: [{include: a.yaml}]}\n")
    with pytest.raises(PolicyError, match="include cycle: a.yaml -> b.yaml -> a.yaml"):
        load_pack(tmp_path / "a.yaml")
    write(tmp_path, "c.yaml", "pack:\n  name: c\n  source: s\n  layers:\n    - include: nowhere\n")
    with pytest.raises(PolicyError, match=r"c.yaml:5: pack.layers\[0\].include: cannot include 'nowhere'"):
        load_pack(tmp_path / "c.yaml")
    with pytest.raises(PolicyError, match="no such policy pack"):
        load_pack("no-such-pack")


def test_a_pack_file_can_layer_a_built_in_pack_with_its_own_policy(tmp_path):
    path = write(tmp_path, "mine.yaml", "pack:\n  name: mine\n  source: s\n  layers:\n    - include: ca-sb34\n"
                                        "    - policy: {name: extra, source: s, default: deny}\n")
    assert [p.name for p in load_pack(path).layers] == ["open", "ca-sb34", "extra"]


# --- CLI --------------------------------------------------------------------------------


def cli(*args):
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """alprsim"""

    register(app)
    return CliRunner().invoke(app, list(args))


def test_cli_lists_and_shows_packs():
    listed = cli("policies", "list")
    assert listed.exit_code == 0
    for name in PACKS:
        assert name in listed.output
    shown = cli("policies", "show", "ca-sb34-sb54")
    assert shown.exit_code == 0
    for rule in ("sb34-federal", "sb54-immigration", "sb34-declared-beneficiary"):
        assert rule in shown.output
    assert "7284.6" in cli("policies", "show", "ca-sb34-sb54", "--yaml").output
    assert cli("policies", "show", "nope").exit_code == 2


def test_cli_test_passes_on_the_built_in_tables_and_fails_on_a_mismatch(tmp_path):
    ok = cli("policies", "test", str(TESTS_DIR / "ca-sb34.yaml"))
    assert ok.exit_code == 0, ok.output
    assert "13 of 13 cases as expected" in ok.output
    text = (TESTS_DIR / "ca-sb34.yaml").read_text().replace("pack: ca-sb34", "pack: open", 1)
    bad = cli("policies", "test", str(write(tmp_path, "t.yaml", text)))
    assert bad.exit_code == 1
    assert "FAIL" in bad.output and "ICE/ERO searches Oakland directly" in bad.output
    broken = write(tmp_path, "b.yaml", text.replace("expect: deny", "expect: refuse", 1))
    result = cli("policies", "test", str(broken))
    assert result.exit_code == 2
    assert "unknown decision 'refuse'" in result.output
