"""Agencies named in reasons: whose log it is, the agency table, federal law enforcement."""

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forensics.agencytable import (
    AgencyTableError,
    abbreviations,
    ambiguous_forms,
    load_agency_table,
    parse_agency_name,
)
from forensics.classifier import classify, classify_named_columns
from forensics.mentions import agency_table, use_agency_table
from tests.forensics.acronym_examples import ASSISTS, OAKLAND, OWN

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "alpr_data"


@pytest.fixture(autouse=True)
def packaged_table():
    use_agency_table(None)
    yield
    use_agency_table(None)


# --- whose log it is -------------------------------------------------------------------


def test_a_reason_naming_the_searcher_is_its_own_case_and_naming_another_is_an_assist():
    own = classify("OPD 26-01628", org="Oakland CA PD")
    other = classify("OPD 26-01628", org="Hayward CA PD")
    assert own.label == "own_case" and "own agency OPD" in own.evidence
    assert other.label == "assist_other" and "Oakland CA PD" in other.evidence


def test_the_portal_agency_given_as_searcher_reads_like_an_org_column():
    assert classify("SJPD 26-004512", searcher="San Jose CA PD").label == "own_case"
    assert classify("SJPD 26-004512", searcher="Oakland Police Department").label == "assist_other"
    assert classify("SJPD 26-004512", searcher="San Jose Police Department").label == "own_case"


def test_without_a_searcher_a_bare_agency_beside_a_case_number_stays_own_case():
    # it may be the searcher's own: the old reading, unchanged when nobody says whose log it is
    assert classify("SJPD 26-004512").label == "own_case"
    assert classify("burglary for Hayward PD").label == "assist_other"  # "for" names the beneficiary


def test_a_clipped_own_name_is_still_the_searcher():
    assert classify("Oak PD 25-4410", searcher="Oakland CA PD").label == "own_case"
    assert classify("Oak PD 25-4410", searcher="Hayward CA PD").label == "assist_other"


def test_a_searcher_outside_the_table_still_knows_its_own_initials():
    assert classify("EPD 25-1234", searcher="Eugene PD", owner_state="OR").label == "own_case"
    assert classify("LCSO 25-1234", searcher="Eugene PD", owner_state="OR").label == "assist_other"


def test_written_as_acronym_assists_are_found_in_the_searchers_log():
    found = [classify(reason, searcher=who).label for reason, who in ASSISTS]
    recall = found.count("assist_other") / len(found)
    assert recall >= 0.95, [r for (r, _), label in zip(ASSISTS, found, strict=True) if label != "assist_other"]
    own = [classify(reason, searcher=who).label for reason, who in OWN]
    assert own == ["own_case"] * len(OWN)


def test_federal_and_out_of_state_agencies_naming_themselves_stay_federal_and_out_of_state():
    assert classify("DEA TF", org="Drug Enforcement Administration").label == "federal"
    assert classify("assist Sacramento PD", searcher="Eugene PD", owner_state="OR").label == "out_of_state"


def test_a_fusion_centre_naming_itself_is_still_a_relayed_request():
    assert classify("NCRIC request", org="NCRIC").label == "assist_other"


def test_an_ambiguous_abbreviation_names_every_candidate_and_the_searcher_resolves_it():
    verdict = classify("SCSO stolen vehicle", org=OAKLAND)
    assert verdict.label == "assist_other" and verdict.named == "SCSO (ambiguous: 10 agencies)"
    assert "Sonoma County CA SO" in verdict.evidence and "Sacramento County CA SO" in verdict.evidence
    assert classify("SCSO 25-1191", org="Santa Clara County CA SO").label == "own_case"


def test_initials_are_read_only_in_logs_of_the_tables_state():
    # "SLPD" is San Leandro in California; in Utah it could be anyone's
    assert classify("SLPD 25-1", searcher="Oakland CA PD").named == "San Leandro CA PD"
    assert classify("SLPD 25-1", searcher="Ogden PD", owner_state="UT").named == "SLPD"  # as written, unknown
    assert classify("assist San Leandro PD", owner_state="UT").label == "out_of_state"


@pytest.mark.parametrize("reason", ["navy blue honda stolen", "salvation army theft", "CSO follow up 25-1",
                                    "Richmond VA PD", "DOD 1/2/25 homicide", "CID 25-0012 burglary"])
def test_traps_are_not_agencies(reason):
    verdict = classify(reason, searcher=OAKLAND)
    assert verdict.label not in ("federal", "assist_other") or reason == "Richmond VA PD"
    if reason == "Richmond VA PD":
        assert verdict.label == "out_of_state"


# --- federal law enforcement (BJS census; the armed forces from DoD) ---------------------


@pytest.mark.parametrize(("reason", "agency"), [
    ("USPS OIG mail theft", "USPS Office of Inspector General"),
    ("assist inspector general", "Office of Inspector General (federal)"),
    ("TIGTA 25-0091", "Treasury Inspector General for Tax Administration"),
    ("postal inspector request", "US Postal Inspection Service"),
    ("USPIS 25-1188", "US Postal Inspection Service"),
    ("US Park Police", "US Park Police"),
    ("NPS ranger req", "National Park Service"),
    ("VAPD 25-11", "VA Police"),
    ("veterans affairs police", "VA Police"),
    ("Pentagon Force Protection", "Pentagon Force Protection Agency"),
    ("PFPA", "Pentagon Force Protection Agency"),
    ("FPS 25-1", "Federal Protective Service"),
    ("BOP escapee", "Federal Bureau of Prisons"),
    ("Amtrak police 25-1", "Amtrak Police"),
    ("NCIS 25-1234", "Naval Criminal Investigative Service (NCIS)"),
    ("Army CID fugitive", "Army Criminal Investigation Division (CID)"),
    ("AFOSI", "Air Force Office of Special Investigations (AFOSI)"),
    ("DCIS fraud", "Defense Criminal Investigative Service"),
    ("CGIS", "Coast Guard Investigative Service"),
    ("navy pd", "US Navy police and base security"),
    ("NAS Lemoore security", "US Navy police and base security"),
    ("Army MP", "US Army military police"),
    ("Travis AFB SFS", "US Air Force Security Forces"),
    ("Camp Pendleton", "US Marine Corps police"),
    ("marine corps cid", "Marine Corps Criminal Investigation Division"),
    ("military", "Armed forces police (service not named)"),
    ("base police", "Armed forces police (service not named)"),
    ("base security request", "Armed forces police (service not named)"),
    ("provost marshal", "Armed forces police (service not named)"),
])
def test_federal_law_enforcement_beyond_the_familiar_names(reason, agency):
    verdict = classify(reason, searcher=OAKLAND)
    assert verdict.label == "federal" and verdict.named == agency, verdict


def test_the_national_guard_is_a_state_force_not_federal():
    assert classify("national guard", searcher=OAKLAND).label == "assist_other"


# --- the table and its rules ----------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("Hayward CA PD", ("Hayward", "city_police")), ("Newport Beach PD CA", ("Newport Beach", "city_police")),
    ("Kings County Sheriff's Office CA", ("Kings", "sheriff")), ("Lassen County SO (CA)", ("Lassen", "sheriff")),
    ("Santa Clara DA CA", ("Santa Clara", "district_attorney")),
    ("Napa County (CA) Probation Department", ("Napa", "probation")),
    ("City of Vallejo (CA)", ("Vallejo", "city_police")), ("Port of Stockton CA PD", ("Port of Stockton", "port_police")),
    ("Cerritos College CA PD", ("Cerritos College", "school_police")), ("NCRIC", None), ("Mercury Insurance (CA)", None),
])
def test_listed_names_parse_into_place_and_kind(name, expected):
    assert parse_agency_name(name) == expected


def test_abbreviation_rules_make_initials_and_place_forms():
    forms = dict(abbreviations("San Leandro", "city_police"))
    assert forms["slpd"] == "initials" and forms["san leandro pd"] == "place"
    sheriff = dict(abbreviations("Kern", "sheriff"))
    assert "kcso" in sheriff and "kso" not in sheriff  # "KSO"-like three letters are too often words
    assert "ada" not in dict(abbreviations("Alameda", "district_attorney"))  # Americans with Disabilities Act


def test_the_packaged_table_covers_every_kind_and_lists_its_ambiguities():
    table = agency_table()
    kinds = {a.kind for a in table.by_name.values()}
    assert kinds >= {"city_police", "sheriff", "district_attorney", "probation", "school_police", "transit_police",
                     "state", "federal", "fusion"}
    ambiguous = ambiguous_forms(table)
    assert "Hayward CA PD" in ambiguous["hpd"] and "Hawthorne CA PD" in ambiguous["hpd"]
    assert "sjpd" not in ambiguous  # a short form everyone knows beats the initials rule


@pytest.mark.skipif(not (DATA / "ca_flock_portal_agency_stats.csv").is_file(), reason="../shared/alpr_data absent")
def test_the_packaged_table_is_what_the_script_makes_from_the_data(tmp_path):
    from tools.make_agency_table import build, write

    write(build(DATA), tmp_path / "ca_agencies.csv")
    packaged = Path(__file__).resolve().parents[2] / "forensics" / "data" / "ca_agencies.csv"
    assert (tmp_path / "ca_agencies.csv").read_text() == packaged.read_text()


def test_an_override_file_replaces_an_abbreviation_for_a_county(tmp_path):
    override = tmp_path / "sonoma.csv"
    override.write_text("abbreviation,agency,kind,state\nSCSO,Sonoma County CA SO,sheriff,CA\nHPD,,,\n")
    use_agency_table(load_agency_table(override))
    verdict = classify("SCSO stolen vehicle", searcher=OAKLAND)
    assert verdict.named == "Sonoma County CA SO"
    assert classify("SCSO 25-0001", searcher="Sonoma County CA SO").label == "own_case"
    assert classify("HPD 25-1", searcher=OAKLAND).named == "HPD"  # removed: read as an unknown agency, as written


@pytest.mark.parametrize(("text", "column"), [
    ("agency,kind\nX,sheriff\n", "abbreviation"),
    ("abbreviation,agency,kind,state\nSCSO,Sonoma,county sheriff,CA\n", "kind"),
    ("abbreviation,agency,kind,state\nSCSO,Sonoma,sheriff,California\n", "state"),
    ("abbreviation,agency,kind,state\n--,Sonoma,sheriff,CA\n", "abbreviation"),
])
def test_a_bad_override_names_file_line_and_column(tmp_path, text, column):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(AgencyTableError) as error:
        load_agency_table(path)
    assert error.value.column == column and str(path) in str(error.value)


# --- columns, flags and the summary ------------------------------------------------------


def test_columns_carry_the_named_agency():
    codes, _, evidence, named = classify_named_columns(
        ["ACSO 25-118823", "robbery", "navy pd"], ["", "", ""], ["", "", ""], ["", "", ""], "CA", OAKLAND)
    assert named == ["Alameda County CA SO", "", "US Navy police and base security"]
    assert "Alameda County CA SO" in evidence[0]


def test_audit_counts_assists_by_named_agency_and_takes_an_override(tmp_path):
    from scenarios.cli import app

    log = tmp_path / "portal.csv"
    with open(log, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "userId", "searchDate", "networkCount", "reason"])
        reasons = ["ACSO 25-1", "ACSO 459 PC", "SJPD 26-4", "OPD 26-0001", "robbery", "navy pd", "SCSO 25-9"]
        for i, reason in enumerate(reasons):
            writer.writerow([f"r{i}", "***", "2025-06-01 10:00:00", 3, reason])
    runner = CliRunner()
    result = runner.invoke(app, ["audit", str(log), "--agency", OAKLAND, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "flags.csv", newline="") as handle:
        flags = {row["reason"]: row for row in csv.DictReader(handle)}
    assert flags["OPD 26-0001"]["label"] == "own_case" and flags["SJPD 26-4"]["named_agency"] == "San Jose CA PD"
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Assists by named agency" in summary
    assert "| Alameda County CA SO | assist_other | 2 |" in summary
    assert "| SCSO (ambiguous: 10 agencies) | assist_other | 1 |" in summary
    assert "name no searching agency" not in summary
    result = runner.invoke(app, ["audit", str(log), "--out", str(tmp_path / "unknown")])
    unknown = (tmp_path / "unknown" / "summary.md").read_text()
    assert "7 rows name no searching agency" in unknown  # the reader is told to pass --agency

    override = tmp_path / "override.csv"
    override.write_text("abbreviation,agency,kind,state\nscso,Sonoma County CA SO,sheriff,CA\n")
    result = runner.invoke(app, ["audit", str(log), "--agency", OAKLAND, "--agency-table", str(override),
                                 "--out", str(tmp_path / "out2")])
    assert result.exit_code == 0, result.output
    assert "| Sonoma County CA SO | assist_other | 1 |" in (tmp_path / "out2" / "summary.md").read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("abbreviation,agency,kind,state\nscso,Sonoma,sherif,CA\n")
    result = runner.invoke(app, ["audit", str(log), "--agency-table", str(bad), "--out", str(tmp_path / "out3")])
    assert result.exit_code == 2 and "bad.csv:2" in result.output and "kind" in result.output
