"""Policies against the same world and requests (common random numbers), end to end."""

import dataclasses
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agencies.registry import BAY_AREA_AGENCIES
from scenarios.cli import app
from scenarios.experiment import compare
from tests.conftest import FIXTURES

CHAIN = ["open", "ca-sb34", "ca-sb34-sb54", "strict"]
FEDERAL_PARTNERS = ("fbi", "dea", "atf", "usms")


def pre_2025_sharing(spec):
    """Sharing as before 2025 (FACTS.md): National Lookup on everywhere and 1:1 shares with
    federal partners, so that the front door is open in the graph and only a law pack closes it."""
    orgs = [a.org.slug for a in BAY_AREA_AGENCIES] + list(spec.owner_slugs)
    sharing = {"state_share": None, "national_lookup": orgs,
               "shares": [[o, f] for o in spec.owner_slugs for f in FEDERAL_PARTNERS]}
    return dataclasses.replace(spec, extra={**spec.extra, "sharing": sharing})


@pytest.fixture(scope="module")
def per_seed(two_towns_spec):
    return compare(pre_2025_sharing(two_towns_spec), CHAIN, replications=3)


@pytest.fixture(scope="module")
def reports(per_seed):
    return {name: r[0] for name, r in per_seed.items()}


def test_a_stricter_policy_never_increases_leakage(per_seed):
    for seed in range(3):
        for kind in ("federal", "out_of_state"):
            for looser, stricter in zip(CHAIN, CHAIN[1:], strict=False):
                a, b = per_seed[looser][seed]["leakage"][kind], per_seed[stricter][seed]["leakage"][kind]
                for key in ("searches_served", "reads_delivered", "deliveries", "vehicles_exposed", "targets_located"):
                    assert b[key] <= a[key], (seed, kind, looser, stricter, key)
    assert sum(per_seed["open"][k]["leakage"]["federal"]["reads_delivered"] for k in range(3)) > \
        sum(per_seed["strict"][k]["leakage"]["federal"]["reads_delivered"] for k in range(3))


def test_every_policy_faced_the_same_world_and_requests(reports):
    hashes = {r["records_sha256"] for r in reports.values()}
    totals = {json.dumps(r["searches"], sort_keys=True) for r in reports.values()}
    assert len(hashes) == 1 and len(totals) == 1


def test_open_leaks_directly_and_through_national_lookup(per_seed):
    # pooled over the three seeds: a two-day run of two small towns may deliver no direct
    # federal read on one seed (whether a target's car passes a camera in time)
    def delivered(kind, channel):
        return sum(r["leakage"][kind]["by_channel"][channel]["reads_delivered"] for r in per_seed["open"])

    assert delivered("federal", "direct") > 0
    assert delivered("federal", "national_lookup") + delivered("out_of_state", "national_lookup") > 0


def test_keyword_filters_meet_real_text_both_ways(per_seed):
    """Re-spelt outside purposes and innocent keyword traps are in the traffic and counted
    (that re-spellings pass the packs' keyword rules is shown request by request in
    tests/agencies/test_reasons.py; a two-day run has too few to show it in totals)."""
    def total(pack, *path):
        out = 0
        for r in per_seed[pack]:
            value = r
            for key in path:
                value = value[key]
            out += value
        return out

    assert total("ca-sb34-sb54", "leakage", "federal", "adversarial_searches") > 0
    assert total("ca-sb34-sb54", "leakage", "federal", "adversarial_served") <= \
        total("open", "leakage", "federal", "adversarial_served") <= total("open", "leakage", "federal",
                                                                             "adversarial_searches")
    assert total("open", "cost", "legit", "innocent_trap_denied") == 0
    assert total("ca-sb34-sb54", "cost", "legit", "innocent_trap_denied") >= total("ca-sb34", "cost", "legit",
                                                                                   "innocent_trap_denied")


def test_sb34_closes_the_front_door_but_not_the_side_door(reports):
    for kind in ("federal", "out_of_state"):
        ch = reports["ca-sb34"]["leakage"][kind]["by_channel"]
        assert ch["direct"]["reads_delivered"] == 0 and ch["national_lookup"]["reads_delivered"] == 0
    fed = reports["ca-sb34"]["leakage"]["federal"]["by_channel"]
    assert sum(fed[c]["reads_delivered"] for c in ("proxy_honest", "proxy_vague", "proxy_disguised")) > 0


def test_sb54_stops_honest_proxies_while_vague_and_disguised_pass(per_seed):
    def honest(pack):
        return sum(r["leakage"]["federal"]["by_channel"]["proxy_honest"]["reads_delivered"] for r in per_seed[pack])

    assert honest("ca-sb34-sb54") < honest("ca-sb34")  # over three seeds: one seed's targets may go unread
    for seed in range(3):
        a = per_seed["ca-sb34"][seed]["leakage"]["federal"]["by_channel"]
        b = per_seed["ca-sb34-sb54"][seed]["leakage"]["federal"]["by_channel"]
        for channel in ("proxy_vague", "proxy_disguised", "task_force"):
            assert b[channel] == a[channel]


def test_strict_cuts_more_and_costs_legitimate_searches(reports):
    assert reports["strict"]["cost"]["legit_denied"] > 0 == reports["ca-sb34"]["cost"]["legit_denied"]
    assert reports["strict"]["leakage"]["federal"]["reads_delivered"] < reports["ca-sb34-sb54"]["leakage"]["federal"]["reads_delivered"]


def test_report_keys_are_the_documented_ones(reports):
    r = reports["ca-sb34"]
    assert set(r["searches"]["by_true_beneficiary"]) == {"local", "state", "federal", "out_of_state"}
    assert set(r["leakage"]["federal"]["by_channel"]) == {"direct", "national_lookup", "proxy_honest", "proxy_vague",
                                                          "proxy_disguised", "task_force", "fusion_relay", "multi_hop",
                                                          "misconfiguration"}
    assert {"federal_served_visible_in_audit"} <= set(r["visibility"])
    assert {"legit_searches", "legit_denied", "bystander_reads_delivered"} <= set(r["cost"])
    assert set(r["cost"]["legit"]) == {"searches", "denied", "partly_denied", "without_hit", "bystander_reads",
                                       "innocent_trap_searches", "innocent_trap_denied"}
    assert {"reads_delivered", "deliveries", "targets_located", "targets_mislocated"} <= set(r["leakage"]["federal"])


def test_default_sharing_gives_no_front_door_whatever_the_pack(two_towns_spec):
    """Sharing is the scenario's alone: under 2025 sharing even ``open`` has no direct federal reads."""
    report = compare(dataclasses.replace(two_towns_spec, days=1.0), ["open"])["open"][0]
    fed = report["leakage"]["federal"]["by_channel"]
    assert fed["direct"]["reads_delivered"] == 0 and fed["national_lookup"]["reads_delivered"] == 0


def test_the_trace_files_reconcile_with_the_report(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--policy", "ca-sb34",
                                      "--reads-format", "none", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    deliveries = pq.read_table(out / "deliveries.parquet").to_pylist()
    searches = pq.read_table(out / "searches.parquet").to_pylist()
    for kind in ("federal", "out_of_state"):
        mine = [d for d in deliveries if d["beneficiary_kind"] == kind and d["measured"]]
        assert len({d["row"] for d in mine}) == report["leakage"][kind]["reads_delivered"]
        assert len(mine) == report["leakage"][kind]["deliveries"]
    assert sum(s["measured"] for s in searches) == report["searches"]["total"]
    assert report["leakage"]["federal"]["reads_delivered"] > 0
    assert {"reason", "on_behalf_of", "beneficiary", "channel", "chain", "decisions", "served"} <= set(searches[0])


def test_compare_command_writes_each_policys_full_report(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(FIXTURES / "two-towns.yaml"), "--days", "1",
                                      "--policy", "open", "--policy", "ca-sb34", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "compare.json").read_text())
    assert set(data) == {"open", "ca-sb34"}
    assert data["open"]["policy"] == "open" and "leakage" in data["ca-sb34"]
    assert "federal distinct reads delivered" in (tmp_path / "compare.md").read_text()


def test_compare_with_replications_reports_intervals_and_paired_differences(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(FIXTURES / "two-towns.yaml"), "--days", "1", "--replications",
                                      "3", "--policy", "open", "--policy", "strict", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "compare.json").read_text())
    per_seed = json.loads((tmp_path / "replications.json").read_text())
    figure = data["strict"]["leakage"]["federal"]["reads_delivered"]
    values = [r["leakage"]["federal"]["reads_delivered"] for r in per_seed["strict"]]
    assert figure["n"] == 3 and figure["mean"] == pytest.approx(sum(values) / 3, abs=1e-3)
    assert figure["ci95"][0] <= figure["mean"] <= figure["ci95"][1]
    diff = data["paired_differences"]["strict"]
    opened = [r["leakage"]["federal"]["reads_delivered"] for r in per_seed["open"]]
    assert diff["versus"] == "open"
    assert diff["leakage"]["federal"]["reads_delivered"]["mean"] == pytest.approx(
        sum(b - a for a, b in zip(opened, values, strict=True)) / 3, abs=1e-3)
    assert diff["cost"]["legit"]["denied"]["mean"] > 0  # strict denies what open serves, on every seed
    assert [r["seed"] for r in per_seed["open"]] == [7, 8, 9]
    assert "Paired differences" in (tmp_path / "compare.md").read_text()


def test_compare_refuses_an_unknown_policy_before_simulating(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(FIXTURES / "two-towns.yaml"), "--policy", "lenient",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2 and "lenient" in result.output


def test_registry_has_the_agencies_of_the_story():
    slugs = {a.org.slug for a in BAY_AREA_AGENCIES}
    assert {"oakland-ca-pd", "san-francisco-ca-pd", "california-highway-patrol", "ncric", "alameda-county-ca-so",
            "ice-ero", "hsi", "cbp", "fbi", "dea", "atf", "usms"} <= slugs
    assert any(a.org.kind == "out_of_state" for a in BAY_AREA_AGENCIES)


def test_a_run_under_a_policy_exports_a_verified_audit_log_the_auditors_can_read(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "2", "--policy", "ca-sb34",
                                      "--reads-format", "none", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["policy"] == "ca-sb34" and report["audit"]["chain_verified"] is True
    assert report["audit"]["rows"] >= report["searches"]["total"]  # the log also holds searches after the end
    scores = report["auditors"]["by_label"]
    assert scores["immigration"]["precision"] is None or scores["immigration"]["precision"] > 0.8
    network_audit = out / "audit" / "network_audit_alpha-ca-pd.csv"
    assert network_audit.exists() and (out / "audit" / "search_audit.csv").exists()
    flagged = CliRunner().invoke(app, ["audit", str(network_audit), "--out", str(tmp_path / "flags")])
    assert flagged.exit_code == 0, flagged.output
    flags = (tmp_path / "flags" / "flags.csv").read_text().splitlines()
    assert flags[0].startswith("id,label,score,evidence") and len(flags) > 1


def test_hotlist_hits_lead_to_follow_up_lookups_by_the_camera_owner(reports):
    hot = reports["ca-sb34"]["hotlist"]
    assert hot["hits"] > 0 and 0 < hot["follow_ups"] <= hot["hits"]
    assert 0.001 < hot["hits_per_read"] < 0.03  # FACTS.md: median 0.72% of detections hit a hotlist
    assert reports["open"]["hotlist"] == hot  # alerts come from the reads, the same under every policy


def test_an_owners_own_policy_and_sharing_apply_after_the_pack(two_towns_spec, tmp_path):
    import dataclasses

    from scenarios.builder import build_world
    from scenarios.experiment import run_policy

    own = tmp_path / "alpha-own.yaml"
    own.write_text("""
policy:
  name: alpha-own
  source: test
  default: allow
  rules:
    - id: own-officers-only
      when: {requester.slug: {differs_from: owner.slug}}
      effect: deny
""")
    owners = tuple(dataclasses.replace(o, policy=str(own)) if o.slug == "alpha-ca-pd" else o
                   for o in two_towns_spec.owners)
    spec = dataclasses.replace(two_towns_spec, owners=owners, days=1.0)
    report = run_policy(build_world(spec), "ca-sb34").report
    for kind in ("federal", "out_of_state"):
        assert report["leakage"][kind]["by_owner"].get("alpha-ca-pd", 0) == 0
    closed = dataclasses.replace(two_towns_spec, days=1.0, extra={**two_towns_spec.extra,
                                 "sharing": {"state_share": [], "shares": [], "national_lookup": []}})
    report = run_policy(build_world(closed), "ca-sb34").report
    assert report["leakage"]["federal"]["reads_delivered"] == 0  # nobody shares: proxies reach only their own


def test_gunshot_alerts_trigger_area_searches_whose_reads_are_all_bystanders(per_seed):
    costs = [run["cost"] for run in per_seed["ca-sb34"]]
    assert all(c["gunshot_bystander_reads"] <= c["bystander_reads_delivered"] for c in costs)
    # pooled over the three seeds: a single alert at 1 a.m. may find an empty street (seed 0
    # once issue 17's recalibrated no-read rates changed the calibrated traffic)
    assert sum(c["gunshot_area_searches"] for c in costs) > 0
    assert sum(c["gunshot_bystander_reads"] for c in costs) > 0
