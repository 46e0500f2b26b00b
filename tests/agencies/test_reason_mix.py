"""End to end: a simulated portal search audit, read by `alprsim audit`, has the real reason mix.

simulate (the Bay Area agencies over two small towns, a policy) -> export
audit/search_audit.csv -> `alprsim audit` (forensics' classifier) -> shares, against
FACTS.md "How often, and in what words" (California portals, 800 labelled rows).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from agencies.registry import BAY_AREA_AGENCIES
from scenarios.cli import app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "two-towns.yaml"
REAL_AMONG_REASONED = {"concrete": 0.63, "vague": 0.36}  # FACTS.md, California portals
TOLERANCE = 0.08
DAYS = 3


def audit_labels(runner: CliRunner, csv_path: Path, out: Path) -> Counter:
    """`alprsim audit` on a portal search audit; the label of every row."""
    result = runner.invoke(app, ["audit", str(csv_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "flags.csv", newline="", encoding="utf-8") as f:
        return Counter(row["label"] for row in csv.DictReader(f))


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> dict[str, Counter]:
    """Labels of the whole exported search audit, and of the rows California portals list."""
    folder = tmp_path_factory.mktemp("reason-mix")
    scenario = yaml.safe_load(FIXTURE.read_text())
    scenario.update(name="reason-mix", days=DAYS, policy="ca-sb34")
    path = folder / "reason-mix.yaml"
    path.write_text(yaml.safe_dump(scenario))
    runner = CliRunner()
    run = runner.invoke(app, ["run", str(path), "--out", str(folder / "run"), "--reads-format", "none"])
    assert run.exit_code == 0, run.output
    exported = folder / "run" / "audit" / "search_audit.csv"
    # A portal lists its own agency's searches: the real shares are California agencies'.
    # The export holds every account's searches (federal agents' own too); the trace says whose.
    org_of = {r["id"]: r["org"] for r in pq.read_table(folder / "run" / "searches.parquet").to_pylist()}
    outside = {a.org.slug for a in BAY_AREA_AGENCIES if a.org.state != "CA" or a.org.kind == "federal"}
    with open(exported, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if org_of[r["id"]] not in outside]
        columns = reader.fieldnames
    california = folder / "california_portals.csv"
    with open(california, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return {"export": audit_labels(runner, exported, folder / "audit"),
            "california": audit_labels(runner, california, folder / "audit-ca")}


def shares(labels: Counter) -> dict[str, float]:
    total = sum(labels.values())
    reasoned = total - labels["missing"]
    return {"missing_of_all": labels["missing"] / total,
            "concrete": labels["own_case"] / reasoned, "vague": labels["vague"] / reasoned,
            "assist_other": labels["assist_other"] / reasoned,
            "federal": (labels["federal"] + labels["immigration"]) / reasoned,
            "out_of_state": labels["out_of_state"] / reasoned}


def test_the_simulated_log_is_large_enough_to_measure(audited):
    # binomial standard error of a 0.36 share over 800 reasoned rows is 0.017: a 0.08 band is ~5 of them
    labels = audited["california"]
    assert sum(labels.values()) - labels["missing"] >= 800


@pytest.mark.parametrize("view", ["export", "california"])
def test_simulated_reason_mix_lands_on_the_real_california_mix(audited, view):
    got = shares(audited[view])
    print(f"simulated reason mix ({view}):", {k: round(v, 4) for k, v in got.items()}, dict(audited[view]))
    for name, real in REAL_AMONG_REASONED.items():
        assert abs(got[name] - real) <= TOLERANCE, f"{name}: simulated {got[name]:.3f}, real {real}"
    assert got["assist_other"] < 0.02  # real: 0.4% of reasoned
    assert 0.15 <= got["missing_of_all"] <= 0.35  # real: ~0.20 (agencies that publish reasons), 0.30 overall


def test_california_portals_show_federal_wording_as_rarely_as_real_ones(audited):
    # real: 0 of 800 labelled rows; 0.25% of all 54,977 rows carry a federal or immigration term
    got = shares(audited["california"])
    assert got["federal"] < 0.02, got
