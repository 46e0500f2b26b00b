"""The kit passes our service and catches each injected fault with exactly the tests that
should catch it (and no others)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.conformance import ALL_CHECKS, conform
from scenarios.conformance.checks_policy import CHECKS as POLICY_CHECKS
from scenarios.conformance.corpus import CASES, reference
from scenarios.conformance.fixture import fixture_document
from scenarios.policy_files import load_pack
from tests.conformance.faults import FaultyProxy
from tests.service.conftest import ADMIN_KEY, Server

# a low per-key throttle so that AUTH-05's burst is short
SERVE_ARGS = ("--key-rate", "20", "--key-burst", "40")
PACK = "ca-sb34-sb54"


def _corpus_ids(effect: str) -> set[str]:
    ref = reference(load_pack(PACK))
    return {POLICY_CHECKS[i].id for i, e in enumerate(ref) if e.effect == effect}


# Which tests must catch each fault, and why:
EXPECTED = {
    # a request without a Bearer key gets through: the no-key and non-Bearer tests
    "no-key": {"AUTH-01", "AUTH-03"},
    # a denied search is served anyway: every corpus case the pack denies, and the leakage verdict
    "ignore-denials": _corpus_ids("deny") | {"DATA-03"},
    # denied searches missing from the exports: the logging test and the exported chain (its links break)
    "drop-audit": {"AUD-01", "AUD-03"},
    # a stated time becomes the row's and the clock's
    "trust-client-time": {"AUD-07"},
    # nothing is ever served: the corpus cases the pack allows, the rate limit (its first two must be served),
    # retention ("nothing else" purged: young reads must come back) and the leakage verdict
    "deny-all": _corpus_ids("allow") | {"ACL-08", "DATA-01", "DATA-03"},
}


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "conform.sqlite", args=SERVE_ARGS).start()
    yield srv
    srv.stop()


def test_our_service_passes_every_level_and_writes_the_three_files(server, tmp_path):
    out = tmp_path / "out"
    verdict = conform(server.url, out, PACK, (1, 2, 3), ADMIN_KEY, db_path=str(server.db))
    bad = [(r.id, r.status, r.message) for r in verdict.results if r.status != "passed"]
    assert verdict.outcome == "passed" and not bad, bad
    assert {r.id for r in verdict.results} == {c.id for c in ALL_CHECKS}
    suites = ET.parse(out / "junit.xml").getroot()
    assert sum(int(s.get("tests")) for s in suites) == len(ALL_CHECKS)
    assert sum(int(s.get("failures")) for s in suites) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["outcome"] == "passed" and len(results["tests"]) == len(ALL_CHECKS)
    verdict_md = (out / "verdict.md").read_text()
    assert verdict_md.startswith("# Conformance verdict: PASSED")
    assert "| federal | proxy, spelled purpose | conf-ca-pd: reason 'I.C.E.' | **served** |" in verdict_md


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_fault_is_caught_by_exactly_the_tests_that_should(server, tmp_path, fault):
    proxy = FaultyProxy(server.url, ADMIN_KEY, fault).start()
    try:
        verdict = conform(proxy.url, tmp_path / "out", PACK, (1, 2, 3), ADMIN_KEY, db_path=str(server.db))
    finally:
        proxy.stop()
    failed = {r.id for r in verdict.results if r.status in ("failed", "error")}
    skipped = {r.id for r in verdict.results if r.status == "skipped"}
    assert not skipped
    assert failed == EXPECTED[fault], {r.id: r.message for r in verdict.results if r.id in failed ^ EXPECTED[fault]}
    assert verdict.outcome == "failed"


def test_without_the_admin_key_tests_needing_it_are_skipped_never_passed(server, tmp_path):
    from lookup.client import LookupClient
    from scenarios.conformance.fixture import provision

    with LookupClient(server.url, ADMIN_KEY) as admin:
        keys = provision(admin, None)  # as a tester would load the fixture by hand
        admin.set_pack(__import__("scenarios.service_run", fromlist=["x"]).pack_document(PACK))
    verdict = conform(server.url, tmp_path / "out", PACK, (1, 3), None, keys)
    status = {r.id: r.status for r in verdict.results}
    assert {i for i, s in status.items() if s == "skipped"} == {"AUTH-04", "AUTH-05", "AUD-04", "AUD-05", "AUD-06",
                                                               "DATA-01", "DATA-02"}
    assert all(s == "passed" for i, s in status.items() if status[i] != "skipped"), status
    assert verdict.outcome == "incomplete"
    assert "needs the admin key" in (tmp_path / "out" / "verdict.md").read_text()


def test_the_corpus_holds_the_adversarial_spellings_and_the_pack_decides_each():
    texts = {c.reason for c in CASES}
    assert {"I.C.E.", "I C E", "lCE case", "1CE case", "imigration", "black ice crash"} <= texts
    assert any(c.category == "hidden" and c.offense_type and "Immigration" in c.offense_type for c in CASES)
    ref = {e.case.reason: e.effect for e in reference(load_pack(PACK))
           if e.case.requester == "conf-ca-pd" and e.case.offense_type is None}
    assert ref["ICE case"] == "deny" and ref["stolen vehicle"] == "allow"
    # the pack's blind spots are the reference too: a spelling it misses is served...
    assert ref["I.C.E."] == "allow" and ref["imigration"] == "allow"
    # ...and an innocent text its case-insensitive keyword denies is denied
    assert ref["black ice crash"] == "deny"
    # a different pack gives different expectations from the same corpus
    assert {e.case.describe(): e.effect for e in reference(load_pack("open"))}["conf-ca-pd: reason 'ICE case'"] == \
        "allow"


def test_the_cli_prints_the_fixture_and_refuses_bad_arguments(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(app, ["conform", "--print-fixture"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == fixture_document(PACK)
    for args, words in ((["conform", "http://127.0.0.1:9", "--key", "nobody=abc"], "--key"),
                        (["conform", "http://127.0.0.1:9", "--admin-key", "k", "--level", "4"], "--level 4"),
                        (["conform", "http://127.0.0.1:9"], "no keys")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in result.output, result.output


def test_the_cli_exit_code_is_the_verdict(server, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["conform", server.url, "--admin-key", ADMIN_KEY, "--level", "2", "--out",
                             str(tmp_path / "a")])
    assert ok.exit_code == 0, ok.output
    proxy = FaultyProxy(server.url, ADMIN_KEY, "ignore-denials").start()
    try:
        bad = runner.invoke(app, ["conform", proxy.url, "--admin-key", ADMIN_KEY, "--level", "2", "--out",
                                  str(tmp_path / "b")])
    finally:
        proxy.stop()
    assert bad.exit_code == 1 and "POL-01 failed" in bad.output
    skipped = runner.invoke(app, ["conform", server.url, "--admin-key", ADMIN_KEY, "--only", "AUD-04", "--level",
                                  "3", "--out", str(tmp_path / "c")])
    assert skipped.exit_code == 3, skipped.output  # tamper tests need --db: incomplete, not passed
