"""The arms race end to end: compare with --adversary and --audit-days, run's report, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scenarios.cli import app
from tests.conftest import FIXTURES

FIXTURE = str(FIXTURES / "two-towns.yaml")
AUDIT_KEYS = {"runs", "rows_flagged", "true_flags", "false_flags", "sanctions", "legit_searches_sanctioned",
              "median_days_to_detect"}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("arms") / "out"
    result = CliRunner().invoke(app, ["compare", FIXTURE, "--policy", "ca-sb34-sb54", "--adversary", "static",
                                      "--adversary", "adaptive", "--audit-days", "0", "--audit-days", "1",
                                      "--days", "3", "--replications", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_compare_prints_every_adversary_and_cadence_with_intervals(compared):
    out, printed = compared
    labels = ["ca-sb34-sb54 / static / no audits", "ca-sb34-sb54 / static / audits every 1 d",
              "ca-sb34-sb54 / adaptive / no audits", "ca-sb34-sb54 / adaptive / audits every 1 d"]
    for label in labels:
        assert f"`{label}`" in printed
    assert "Median days from first misuse to detection" in printed
    reports = json.loads((out / "compare.json").read_text())
    assert [k for k in reports if k != "paired_differences"] == labels
    for label in labels:
        r = reports[label]
        assert set(r["adversary"]) == {"strategy", "channel_switches", "stopped_after_locating"}
        assert set(r["audits"]) == AUDIT_KEYS
        weekly = r["leakage"]["federal"]["weekly"]
        assert len(weekly) == 1 and set(weekly[0]) == {"mean", "ci95", "n"}  # 3 days: one week, over 2 seeds
    assert reports[labels[1]]["audits"]["runs"]["mean"] == 2 * 3  # two owners, an audit a day, three days
    assert reports[labels[0]]["audits"]["runs"]["mean"] == 0
    assert reports[labels[2]]["adversary"]["strategy"] == "adaptive"
    assert (out / "plots" / "arms_race.png").stat().st_size > 10_000
    assert "plots/arms_race.png" in (out / "compare.md").read_text()


def test_weekly_leakage_adds_up_to_the_distinct_reads_delivered(compared):
    out, _ = compared
    per_seed = json.loads((out / "replications.json").read_text())
    for reports in per_seed.values():
        for r in reports:
            fed = r["leakage"]["federal"]
            assert sum(fed["weekly"]) == fed["reads_delivered"]
            by_channel = sum(sum(v) for v in fed["weekly_by_channel"].values())
            assert by_channel == sum(c["reads_delivered"] for c in fed["by_channel"].values())


def test_audits_flag_and_sanction_only_where_they_ran(compared):
    out, _ = compared
    per_seed = json.loads((out / "replications.json").read_text())
    for label, reports in per_seed.items():
        for r in reports:
            a = r["audits"]
            assert a["true_flags"] + a["false_flags"] == a["rows_flagged"]
            if "no audits" in label:
                assert a["rows_flagged"] == a["sanctions"] == a["legit_searches_sanctioned"] == 0
                assert all(v is None for v in a["median_days_to_detect"].values())


def test_run_writes_the_arms_race_into_the_report(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", FIXTURE, "--policy", "open", "--adversary", "adaptive",
                                      "--audit-days", "1", "--reads-format", "none", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["adversary"]["strategy"] == "adaptive"
    assert set(report["audits"]) == AUDIT_KEYS and report["audits"]["runs"] == 4
    md = (out / "report.md").read_text()
    assert "## The arms race" in md and "plots/arms_race.png" in md
    assert (out / "plots" / "arms_race.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--adversary", "clever"], "--adversary: 'clever' is not one of static, adaptive"),
    (["--audit-days", "-3"], "--audit-days: -3 must be between 0 (no audits) and 3650"),
    (["--audit-days", "nan"], "--audit-days: nan must be between"),
])
def test_bad_arms_race_options_fail_with_one_error_line(tmp_path, args, message):
    result = CliRunner().invoke(app, ["compare", FIXTURE, "--policy", "open", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
