"""The purpose classifier: FACTS.md vocabulary, how officers really write, and known traps."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.auditlogs import iter_chunks
from forensics.classifier import (
    LABELS,
    classify,
    classify_columns,
    classify_records,
    precision_recall,
)
from tests.conftest import shared_file

# (reason, expected label): FACTS.md "Reasons seen in reporting", then realistic variations
FACTS_CASES = [
    ("ICE case", "immigration"), ("HSI", "federal"), ("CBP", "immigration"), ("immigration", "immigration"),
    ("ICE", "immigration"), ("ICE+ERO", "immigration"), ("ICE WARRANT", "immigration"),
    ("Immigration - HSI", "immigration"), ("Immigration - ICE", "immigration"),
    ("211PC", "own_case"), ("245(a)(2)PC", "own_case"), ("10851 VC", "own_case"), ("stolen vehicle", "own_case"),
    ("robbery", "own_case"), ("missing person", "own_case"), ("26-01628", "own_case"),
    ("investigation", "vague"), ("inv", "vague"), ("BOL", "vague"), ("daytime search for best result", "vague"),
    ("AOA", "assist_other"), ("AOD", "assist_other"),
]
VARIATIONS = [
    # federal, as written
    ("assist FBI", "federal"), ("assist F.B.I.", "federal"), ("per DEA", "federal"), ("ATF 25-0142", "federal"),
    ("US Marshall", "federal"), ("assist US Marshals", "federal"), ("U.S. Marshals fugitive", "federal"),
    ("USMS TF", "federal"), ("marshals service warrant", "federal"), ("DEA TFO", "federal"), ("TFO op", "federal"),
    ("JTTF lead", "federal"), ("Safe Streets TF", "federal"), ("homeland security", "federal"),
    ("US DOJ request", "federal"), ("feds", "federal"), ("federal warrant", "federal"), ("HIDTA", "federal"),
    ("hsi ce case", "federal"), ("VA police", "federal"), ("secret service", "federal"),
    # immigration, as written
    ("ice case", "immigration"), ("ERO", "immigration"), ("imigration", "immigration"),
    ("immigation enforcement", "immigration"), ("deportation", "immigration"), ("border patrol", "immigration"),
    ("8 USC 1326", "immigration"), ("assist CHP ICE case", "immigration"), ("HSI immigration", "immigration"),
    # out of state
    ("OOS", "out_of_state"), ("out of state warrant", "out_of_state"), ("assist Houston TX PD", "out_of_state"),
    ("AOA Reno PD", "out_of_state"), ("assist Portland OR PD", "out_of_state"), ("for LVMPD", "out_of_state"),
    ("assist Oregon State Police", "out_of_state"), ("AOA Washoe County NV SO", "out_of_state"),
    ("Federal Way PD", "out_of_state"), ("assist az dps", "out_of_state"),
    # another (in-state) agency
    ("assist CHP", "assist_other"), ("AOA Hayward PD", "assist_other"), ("NCRIC", "assist_other"),
    ("assist DOJ", "assist_other"), ("cal doj", "assist_other"), ("TF op", "assist_other"),
    ("assisting other agency", "assist_other"), ("per probation", "assist_other"), ("obo SFPD", "assist_other"),
    # own case
    ("211 PC", "own_case"), ("PC 459", "own_case"), ("10851(a) VC", "own_case"), ("investigation 24-001234", "own_case"),
    ("Stolen Vehicle", "own_case"), ("Person+Crime", "own_case"), ("UUV", "own_case"), ("homicide suspect", "own_case"),
    ("hit & run", "own_case"), ("carjacking 25-7788", "own_case"), ("OPD 24-012345", "own_case"),
    ("Missing+Person", "own_case"), ("welfare check", "own_case"),
    # vague and missing
    ("Investigative", "vague"), ("invetigation", "vague"), ("INVESTIGATIONS", "vague"), ("Admin Test", "vague"),
    ("ST2", "vague"), ("follow up", "vague"), ("suspicious vehicle", "vague"), ("intel", "vague"),
    ("", "missing"), ("***", "missing"), ("REDACTED", "missing"), ("n/a", "missing"), ("  ", "missing"),
]
TRAPS = [
    ("Det. Marshall 24-01234", "own_case"),  # a surname, not the Marshals
    ("Marshall TX PD", "out_of_state"),  # a town in Texas
    ("Marshall st burglary", "own_case"),
    ("fire marshal arson", "assist_other"),  # a local fire marshal
    ("assist DOJ", "assist_other"),  # in California, the state's DOJ
    ("ice sales 11378 HS", "own_case"),  # the drug
    ("meth/ice possession", "own_case"),
    ("not ICE related 211PC", "own_case"),  # a negation
    ("non-immigration", "vague"),
    ("US 101 pursuit", "own_case"),  # a highway, not the United States
    ("wanted subject from NV", "own_case"),  # a state without an agency is not an out-of-state request
    ("Nevada County SO", "assist_other"),  # a California county
    ("Richmond VA PD", "out_of_state"),  # Virginia, not Veterans Affairs
    ("police", "vague"),
    ("justice served", "vague"),
]


@pytest.mark.parametrize("reason,label", FACTS_CASES + VARIATIONS + TRAPS)
def test_reason_is_labelled(reason, label):
    verdict = classify(reason)
    assert verdict.label == label, verdict
    assert 0 < verdict.score <= 1 and verdict.evidence


def test_evidence_names_the_deciding_terms_first():
    assert classify("assist US Marshall").evidence.startswith("federal: US Marshall")
    assert "negated 'ICE'" in classify("not ICE related 211PC").evidence
    assert "California DOJ" in classify("assist DOJ").evidence
    assert "read as a name" in classify("Det. Marshall 24-01234").evidence


def test_doj_outside_california_is_still_not_federal_but_less_sure():
    ca, other = classify("assist DOJ", owner_state="CA"), classify("assist DOJ", owner_state="OR")
    assert ca.label == other.label == "assist_other"
    assert "unclear" in other.evidence


def test_out_of_state_depends_on_the_owner_state():
    assert classify("assist Reno PD", owner_state="CA").label == "out_of_state"
    assert classify("assist Reno PD", owner_state="NV").label == "assist_other"
    assert classify("AOA Eugene PD", owner_state="OR").label == "assist_other"


@pytest.mark.parametrize("org,label", [
    ("HSI Los Angeles [Federal]", "federal"), ("[Federal] Loma Linda VA PD", "federal"),
    ("Houston TX PD", "out_of_state"), ("Ada County ID SO", "out_of_state"), ("San Jose CA PD", "own_case"),
])
def test_the_searching_org_counts_in_network_audits(org, label):
    assert classify("211PC", org=org).label == label


def test_case_number_and_offense_type_columns():
    assert classify("investigation", case_number="24-001234").label == "own_case"
    assert classify("investigation", case_number="N/A").label == "vague"
    assert classify("investigation", offense_type="Robbery").label == "own_case"
    assert classify("Other", offense_type="Immigration (civil/administrative)").label == "immigration"
    assert classify("", case_number="24-001234").label == "own_case"


def test_immigration_outranks_federal_outranks_out_of_state_outranks_assist():
    assert classify("assist FBI ICE").label == "immigration"
    assert classify("AOA Houston TX PD FBI").label == "federal"
    assert classify("AOA Houston TX PD").label == "out_of_state"
    assert classify("AOA 211PC").label == "assist_other"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gets_one_label_a_score_and_evidence(text):
    verdict = classify(text)
    assert verdict.label in LABELS and 0 <= verdict.score <= 1 and verdict.evidence


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([r for r, _ in FACTS_CASES + VARIATIONS if r.strip() and r not in ("***", "REDACTED", "n/a")]),
       st.from_regex(r"2[0-6]-0[0-9]{4,5}", fullmatch=True))
def test_adding_a_case_number_never_lowers_a_label_to_vague_or_missing(reason, number):
    before, after = classify(reason), classify(f"{reason} {number}")
    if before.label in ("own_case", "vague", "missing"):
        assert after.label == "own_case"
    else:
        assert after.label == before.label


def test_columns_agree_with_one_row_at_a_time():
    reasons = [r for r, _ in FACTS_CASES + VARIATIONS + TRAPS] * 3
    n = len(reasons)
    cases = ["24-0001" if i % 5 == 0 else "" for i in range(n)]
    orgs = ["Houston TX PD" if i % 7 == 0 else "" for i in range(n)]
    codes, scores, evidence = classify_columns(reasons, cases, [""] * n, orgs)
    for i in range(n):
        verdict = classify(reasons[i], cases[i], "", orgs[i])
        assert (LABELS[codes[i]], round(float(scores[i]), 3)) == (verdict.label, verdict.score)
        assert evidence[i].split(" | ")[0] == verdict.evidence.split(" | ")[0] or cases[i]


def test_classifying_many_repeated_rows_is_fast():
    reasons = [r for r, _ in FACTS_CASES + VARIATIONS + TRAPS] * 2000  # ~200,000 rows
    n = len(reasons)
    start = time.perf_counter()
    codes, _, _ = classify_columns(reasons, [""] * n, [""] * n, [""] * n)
    assert len(codes) == n and time.perf_counter() - start < 5


def test_precision_recall_per_label():
    pred = ["federal", "federal", "vague", "own_case", "missing"]
    true = ["federal", "assist_other", "vague", "vague", "missing"]
    result = precision_recall(pred, true)
    assert result["federal"]["precision"] == 0.5 and result["federal"]["recall"] == 1.0
    assert result["vague"]["recall"] == 0.5 and result["assist_other"]["recall"] == 0.0
    assert math.isnan(result["immigration"]["precision"]) and result["immigration"]["support"] == 0
    assert result["accuracy"]["value"] == 0.6
    with pytest.raises(ValueError, match="5 predicted labels but 4 true"):
        precision_recall(pred, true[:4])


def test_precision_and_recall_on_a_simulated_log_with_ground_truth(tmp_path):
    """A small stand-in for the simulator: searches with known purposes, exported as the
    network audit layout, read back and labelled. (The simulator's own logs plug in here.)"""
    from forensics.auditlogs import read_records
    from lookup.audit import AuditLog, NetworkEntry
    from lookup.audit_export import network_audit_csv
    from lookup.policy import Decision
    from lookup.requests import Organization, ReadQuery, SearchRequest

    sfpd = Organization("sf-ca-pd", "San Francisco CA PD", "local", "CA")
    fbi = Organization("fbi", "FBI San Francisco", "federal", "US")
    reno = Organization("reno-nv-pd", "Reno NV PD", "out_of_state", "NV")
    # (requester, reason, case number, true purpose). Disguised proxies ("211PC" for the FBI)
    # are ground truth the text cannot show: they cost recall, as they should.
    plan = [(sfpd, "ICE case", None, "immigration"), (sfpd, "assist FBI", None, "federal"),
            (fbi, "fugitive", None, "federal"), (reno, "stolen vehicle", "NV-2201", "out_of_state"),
            (sfpd, "AOA", None, "assist_other"), (sfpd, "211PC", "25-0100", "own_case"),
            (sfpd, "investigation", None, "vague"), (sfpd, "", None, "missing"),
            (sfpd, "211PC", "25-0101", "federal"), (sfpd, "US Marshall", None, "federal")]
    log = AuditLog()
    allow = Decision("allow", "open", "default")
    for i, (org, reason, case, _) in enumerate(plan):
        request = SearchRequest(f"r{i}", org.slug, "u", 1000 + i, reason, "plate", ReadQuery(plate="7ABC123"),
                                case_number=case)
        log.append(request, org, [NetworkEntry.from_decision("oakland-ca-pd", 293, allow)])
    path = tmp_path / "network.csv"
    network_audit_csv(log.rows(), "oakland-ca-pd", path=path)
    predicted = [v.label for v in classify_records(read_records(path))]
    result = precision_recall(predicted, [p[3] for p in plan])
    assert result["federal"]["precision"] == 1.0 and result["federal"]["recall"] == 0.75
    assert result["immigration"]["recall"] == result["out_of_state"]["recall"] == 1.0
    assert result["accuracy"]["value"] == 0.9


def test_real_eugene_audit_has_no_federal_immigration_or_out_of_state_reasons():
    """The Eugene (Oregon) portal export is the negative baseline (README): nothing federal."""
    path = shared_file("eugene_or_pd_portal_search_audit_2025-06_2025-12.csv")
    labels = []
    for chunk in iter_chunks(path):
        codes, _, _ = classify_columns(chunk.text["reason"], chunk.text["case_number"],
                                       chunk.text["offense_type"], chunk.text["org"], owner_state="OR")
        labels += [LABELS[c] for c in codes]
    assert len(labels) == 4294
    counts = {label: labels.count(label) for label in LABELS}
    assert counts["federal"] == counts["immigration"] == counts["out_of_state"] == 0
    assert counts["own_case"] > 2000 and counts["vague"] > 1000 and counts["assist_other"] <= 5
