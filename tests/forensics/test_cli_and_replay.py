"""``audit``, ``replay`` and ``network scan`` through the CLI; replay agrees with the evaluator."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from forensics.auditlogs import read_records
from forensics.replay import replay, request_for, requester_for
from lookup.policy import Context, decide
from lookup.requests import Organization, ReadQuery, SearchRequest
from scenarios.cli_forensics import register
from scenarios.policy_files import load_pack

FIXTURES = Path(__file__).parent / "fixtures"
OAKLAND = Organization("oakland-ca-pd", "Oakland CA PD", "local", "CA")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("version")  # a second command keeps typer from collapsing to one
    def version() -> None:
        pass

    return app


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_audit_writes_flags_and_a_summary(app, tmp_path):
    out = tmp_path / "out"
    files = [str(FIXTURES / "portal_search_audit.csv"), str(FIXTURES / "network_audit_2024.csv")]
    result = CliRunner().invoke(app, ["audit", *files, "--out", str(out), "--owner", "Oakland CA PD"])
    assert result.exit_code == 0, result.output
    flags = read_csv(out / "flags.csv")
    assert list(flags[0])[:4] == ["id", "label", "score", "evidence"]
    portal = {f["id"]: f["label"] for f in flags if f["source"].endswith("portal_search_audit.csv")}
    assert portal == {"a1": "immigration", "a2": "own_case", "a3": "vague", "a4": "assist_other",
                      "a5": "missing", "a6": "federal", "a7": "immigration"}
    network = [f["label"] for f in flags if f["source"].endswith("network_audit_2024.csv")]
    assert network == ["immigration", "federal", "federal", "out_of_state", "own_case"]
    assert {f["agency"] for f in flags} >= {"Oakland CA PD", "California Highway Patrol", "HSI Los Angeles"}
    summary = (out / "summary.md").read_text()
    assert "## By label" in summary and "## By agency" in summary and "| immigration | 3 |" in summary


def test_audit_forced_format_and_errors_exit_2_naming_the_place(app, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["audit", str(FIXTURES / "bad_time.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "bad_time.csv:3" in result.output and "searchDate" in result.output
    result = runner.invoke(app, ["audit", str(FIXTURES / "org_audit.csv"), "--format", "spreadsheet"])
    assert result.exit_code == 2 and "--format" in result.output
    result = runner.invoke(app, ["audit", str(FIXTURES / "org_audit.csv"), "--format", "network",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2 and "'org'" in result.output  # the network layout needs Org Name


def test_replay_reports_denials_per_policy_and_rule(app, tmp_path):
    out = tmp_path / "replay"
    result = CliRunner().invoke(app, ["replay", str(FIXTURES / "network_audit_2024.csv"), "--policy", "ca-sb34",
                                      "--policy", "ca-sb34-sb54", "--owner", "Oakland CA PD", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = read_csv(out / "replay.csv")
    assert [r["ca-sb34_rule"] for r in rows] == [
        "ca-sb34/default", "ca-sb34/default", "ca-sb34/sb34-federal", "ca-sb34/sb34-out-of-state", "ca-sb34/default"]
    assert [r["ca-sb34-sb54_effect"] for r in rows] == ["deny", "deny", "deny", "deny", "allow"]
    assert rows[0]["ca-sb34-sb54_rule"] == "ca-sb54/sb54-immigration"
    assert rows[1]["ca-sb34-sb54_rule"] == "ca-sb34-transfer/sb34-declared-federal-text"
    assert "ca-sb34-sb54" in (out / "replay.md").read_text() and "deny" in result.output


def test_replay_unknown_policy_exits_2(app, tmp_path):
    result = CliRunner().invoke(app, ["replay", str(FIXTURES / "org_audit.csv"), "--policy", "no-such-pack",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no-such-pack" in result.output


@pytest.mark.parametrize("pack_name", ["ca-sb34", "ca-sb34-sb54", "flock-2025", "strict"])
def test_replay_agrees_with_the_evaluator(pack_name):
    pack = load_pack(pack_name)
    records = list(read_records(FIXTURES / "network_audit_2024.csv")) + list(read_records(FIXTURES / "org_audit.csv"))
    results = list(replay(records, [pack], OAKLAND))
    assert len(results) == len(records)
    for record, result in zip(records, results, strict=True):
        requester, via = requester_for(record, OAKLAND)
        request, _ = request_for(record, 7 * 86400)
        request = SearchRequest(**{**request.__dict__, "org": requester.slug})
        direct = decide(request, requester, OAKLAND, pack.layers_for(None), Context(now_s=request.time_s), via)
        assert (result.decisions[0].effect, result.decisions[0].rule_ref) == (direct.effect, direct.rule_ref)


def test_replayed_requests_carry_the_declared_face():
    chp, sfpd, hsi, houston, hayward = read_records(FIXTURES / "network_audit_2024.csv")
    request, assumed = request_for(chp, 7 * 86400)
    assert not assumed and request.window_s == 7 * 86400 and request.query == ReadQuery(
        plate="7ABC123", start_s=request.query.start_s, end_s=request.query.end_s)
    assert request_for(sfpd, 86400)[0].search_type == "partial"  # "Search" with a wildcard plate
    assert request_for(hsi, 86400)[1]  # no Time Frame: window assumed
    assert requester_for(hsi, OAKLAND)[0].kind == "federal"
    assert requester_for(houston, OAKLAND)[0].state == "TX"
    assert requester_for(hayward, OAKLAND) == (Organization("hayward-ca-pd", "Hayward CA PD", "local", "CA"), "share")
    own = next(read_records(FIXTURES / "org_audit.csv"))
    assert requester_for(own, OAKLAND) == (OAKLAND, "own")


def test_network_scan_writes_forbidden_shares(app, tmp_path):
    out = tmp_path / "scan"
    result = CliRunner().invoke(app, ["network", "scan", str(FIXTURES / "sharing_edges.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = read_csv(out / "forbidden_shares.csv")
    assert list(rows[0])[:5] == ["owner", "counterpart", "counterpart_state", "counterpart_kind", "reason"]
    assert sorted(r["reason"] for r in rows) == ["federal", "out_of_state", "out_of_state", "private"]
    summary = (out / "network_scan.md").read_text()
    assert "**4 forbidden shares** at 1 California owners" in summary
    assert len(read_csv(out / "review_shares.csv")) == 2
    result = CliRunner().invoke(app, ["network", "scan", str(FIXTURES / "sharing_names.txt"), "--out", str(out)])
    assert result.exit_code == 2 and "--owner" in result.output
