"""alprsim demo: stories picked from a real run, stable for a seed."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.demo import AUDITOR, audit_flags, pick_examples
from scenarios.files import load_scenario
from scenarios.trace_view import traced_runs

GOLDEN = Path(__file__).parent / "golden" / "demo_proxy_loophole_seed1.txt"
runner = CliRunner()


def _demo(*args):
    return runner.invoke(app, ["demo", *args], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None,
                                                  "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None, "LINES": None})


@pytest.fixture(scope="module")
def trace():
    return traced_runs(load_scenario("classroom"), ["ca-sb34"]).runs["ca-sb34"]


def test_proxy_loophole_no_pause_output_is_golden_for_seed_1():
    result = _demo("proxy-loophole", "--seed", "1", "--no-pause")
    assert result.exit_code == 0, result.output
    if os.environ.get("ALPRSIM_UPDATE_GOLDEN"):
        GOLDEN.write_text(result.stdout)
    assert result.stdout == GOLDEN.read_text()


def test_the_story_shows_searches_from_the_run_itself(trace):
    examples = pick_examples(trace)
    text = GOLDEN.read_text()
    for channel in ("direct", "proxy_honest", "proxy_vague", "proxy_disguised", "fusion_relay"):
        s = examples[channel]
        assert f"Search {s.search_id}:" in text
        assert s.beneficiary_kind == "federal" and s.channel == channel
    assert examples["fusion_relay"].org == "ncric"
    assert not examples["direct"].served  # SB 34 closes the front door
    assert f"{trace.headline.federal_distinct_reads:,} distinct reads reached federal agencies" in text


def test_another_seed_tells_another_run():
    result = _demo("proxy-loophole", "--seed", "2", "--no-pause")
    assert result.exit_code == 0
    assert result.stdout != GOLDEN.read_text() and "seed 2" in result.stdout


def test_policy_fix_compares_the_three_packs_on_the_same_requests():
    result = _demo("policy-fix", "--no-pause")
    assert result.exit_code == 0, result.output
    runs = traced_runs(load_scenario("classroom"), ["ca-sb34", "ca-sb34-sb54", "strict"]).runs
    line = next(x for x in result.stdout.splitlines() if "federal distinct reads delivered" in x)
    figures = [int(c.strip().replace(",", "")) for c in line.split("│")[2:5]]
    assert figures == [runs[p].headline.federal_distinct_reads for p in ("ca-sb34", "ca-sb34-sb54", "strict")]
    assert figures[2] < figures[0]


def test_the_audit_story_runs_alprsim_audit_on_oaklands_published_log(trace):
    flags = audit_flags(trace)
    assert flags and all(s.published_for(AUDITOR).layout == "network audit" for s, _ in flags)
    labels = {label for _, label in flags}
    assert labels <= {"immigration", "federal", "out_of_state", "assist_other", "own_case", "vague", "missing"}
    # an honest proxy's reason names the agency; a disguised one never does
    honest = [label for s, label in flags if s.channel == "proxy_honest"]
    disguised = [label for s, label in flags if s.channel == "proxy_disguised"]
    assert any(label in ("immigration", "federal", "out_of_state") for label in honest)
    assert not any(label in ("immigration", "federal", "out_of_state") for label in disguised)
    result = _demo("audit", "--no-pause")
    assert result.exit_code == 0, result.output
    assert f"runs `alprsim audit` on it: {len(flags):,} rows" in " ".join(result.stdout.split())


def test_an_unknown_story_is_a_clear_error():
    result = _demo("nope", "--no-pause")
    assert result.exit_code == 2
    assert "error:" in result.output and "proxy-loophole" in result.output and "Traceback" not in result.output


def test_an_unknown_policy_fails_before_any_simulation():
    result = _demo("--policy", "nope", "--no-pause")
    assert result.exit_code == 2
    assert "error: policy 'nope'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["explore", "--policy", "nope"])
    assert result.exit_code == 2 and "error: policy 'nope'" in result.output
