"""Build forensics/data/ca_agencies.csv: California agencies and the ways officers write them.

Sources: the portal agency names (``ca_flock_portal_agency_stats.csv``) and the organization
names in the sharing lists (``ca_flock_portal_sharing_edges.csv.gz``), both in
``../shared/alpr_data`` (README there); every California county (a sheriff, a district
attorney and a probation department each); hand-listed short forms below (state bodies,
school, campus, port and transit police, the usual big-city initialisms). Rules:
``forensics.agencytable.abbreviations``.

Run from the repository root: ``python tools/make_agency_table.py [DATA_DIR]``. Prints the
count of agencies, forms and ambiguous forms; the ambiguities are listed in
``docs/agency-table.md``.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

from forensics.agencytable import (
    TABLE_COLUMNS,
    Agency,
    AgencyTable,
    Form,
    abbreviations,
    parse_agency_name,
)
from forensics.orgnames import CA_COUNTIES, classify_org

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "forensics" / "data" / "ca_agencies.csv"
DOC = ROOT / "docs" / "agency-table.md"

# (form, agency name, kind): common short forms the rules do not make
SHORT: tuple[tuple[str, str, str], ...] = (
    ("lapd", "Los Angeles CA PD", "city_police"), ("sfpd", "San Francisco CA PD", "city_police"),
    ("sjpd", "San Jose CA PD", "city_police"), ("sdpd", "San Diego CA PD", "city_police"),
("sacpd", "Sacramento CA PD", "city_police"),
    ("sac pd", "Sacramento CA PD", "city_police"), ("lbpd", "Long Beach CA PD", "city_police"),
    ("lasd", "Los Angeles County CA SD", "sheriff"), ("la county sheriff", "Los Angeles County CA SD", "sheriff"),
    ("sfso", "San Francisco County Sheriff (CA)", "sheriff"), ("sfsd", "San Francisco County Sheriff (CA)", "sheriff"),
    ("sf sheriff", "San Francisco County Sheriff (CA)", "sheriff"), ("sdso", "San Diego County CA SD", "sheriff"),
    ("ocsd", "Orange County SO CA", "sheriff"), ("ocso", "Orange County SO CA", "sheriff"),
    ("acso", "Alameda County CA SO", "sheriff"), ("smcso", "San Mateo County CA SO", "sheriff"),
    ("sccso", "Santa Clara County CA SO", "sheriff"), ("cccso", "Contra Costa County CA SO", "sheriff"),
    ("ccso", "Contra Costa County CA SO", "sheriff"), ("sacso", "Sacramento County CA SO", "sheriff"),
    ("sac so", "Sacramento County CA SO", "sheriff"), ("sac sheriff", "Sacramento County CA SO", "sheriff"),
    ("rcsd", "Riverside County CA SO", "sheriff"), ("sbsd", "San Bernardino County CA SO", "sheriff"),
    ("oc da", "Orange County (CA) DA Office", "district_attorney"), ("ocda", "Orange County (CA) DA Office", "district_attorney"),
    ("lada", "Los Angeles County District Attorney (CA)", "district_attorney"),
    ("sfda", "San Francisco District Attorney CA", "district_attorney"),
    ("chp", "California Highway Patrol", "state"), ("highway patrol", "California Highway Patrol", "state"),
    ("california highway patrol", "California Highway Patrol", "state"), ("ca highway patrol", "California Highway Patrol", "state"),
    ("cal doj", "California Department of Justice", "state"), ("ca doj", "California Department of Justice", "state"),
    ("cadoj", "California Department of Justice", "state"), ("state doj", "California Department of Justice", "state"),
    ("california doj", "California Department of Justice", "state"), ("bureau of investigation", "California Department of Justice", "state"),
    ("cdcr", "California Department of Corrections and Rehabilitation", "state"),
    ("state parole", "California Department of Corrections and Rehabilitation", "state"),
    ("cal fire", "Cal Fire", "state"), ("state parks", "California State Parks", "state"),
    ("cdfw", "California Department of Fish & Wildlife (CA)", "state"), ("fish and game", "California Department of Fish & Wildlife (CA)", "state"),
    ("ca fish and wildlife", "California Department of Fish & Wildlife (CA)", "state"),
    ("cdi", "California Department of Insurance Fraud", "state"), ("dmv investigations", "California DMV Investigations", "state"),
    ("national guard", "California National Guard (state service)", "state"), ("calguard", "California National Guard (state service)", "state"),
    ("ncric", "NCRIC", "fusion"), ("jric", "Joint Regional Intelligence Center (CA)", "fusion"),
    ("sd lecc", "San Diego Law Enforcement Coordination Center (CA)", "fusion"),
    ("bart pd", "BART Police (CA)", "transit_police"), ("bart police", "BART Police (CA)", "transit_police"),
    ("bart", "BART Police (CA)", "transit_police"), ("bpd bart", "BART Police (CA)", "transit_police"),
    ("sacrt police", "SacRT Police Services (CA)", "transit_police"),
    ("la school police", "Los Angeles School Police (CA)", "school_police"), ("laspd", "Los Angeles School Police (CA)", "school_police"),
    ("lausd pd", "Los Angeles School Police (CA)", "school_police"), ("lausd police", "Los Angeles School Police (CA)", "school_police"),
    ("la port police", "Los Angeles Port Police CA", "port_police"), ("port police", "Los Angeles Port Police CA", "port_police"),
    ("harbor police", "San Diego Harbor Police (CA)", "port_police"), ("harbor pd", "San Diego Harbor Police (CA)", "port_police"),
    ("airport police", "Los Angeles Airport Police (CA)", "port_police"), ("lax police", "Los Angeles Airport Police (CA)", "port_police"),
    ("lawa pd", "Los Angeles Airport Police (CA)", "port_police"),
    ("ucpd", "University of California police (campus not named)", "school_police"),
    ("uc police", "University of California police (campus not named)", "school_police"),
    ("ucb pd", "University of California, Berkeley", "school_police"), ("ucbpd", "University of California, Berkeley", "school_police"),
    ("uc berkeley pd", "University of California, Berkeley", "school_police"),
    ("ucla pd", "UCLA Police (CA)", "school_police"), ("uclapd", "UCLA Police (CA)", "school_police"),
    ("ucsf pd", "UCSF Police (CA)", "school_police"), ("uc davis pd", "UC Davis Police (CA)", "school_police"),
    ("ucd pd", "UC Davis Police (CA)", "school_police"), ("ucsc pd", "UC Santa Cruz Police (CA)", "school_police"),
    ("ucsd pd", "UC San Diego Police (CA)", "school_police"), ("uci pd", "UC Irvine Campus PD CA", "school_police"),
    ("ucipd", "UC Irvine Campus PD CA", "school_police"), ("ucr pd", "UC Riverside PD (CA)", "school_police"),
    ("ucsb pd", "University of CA - Santa Barbara CA PD", "school_police"),
    ("csu pd", "California State University police (campus not named)", "school_police"),
    ("sjsu pd", "San Jose State University CA", "school_police"), ("sjsupd", "San Jose State University CA", "school_police"),
    ("sfsu pd", "San Francisco State University Police (CA)", "school_police"),
    ("csulb pd", "California State University Long Beach Campus PD", "school_police"),
    ("cal poly pd", "Cal Poly CA PD", "school_police"),
)


def data_names(data: Path) -> list[str]:
    """Every California public-agency name in the portal statistics and the sharing lists."""
    names: set[str] = set()
    with open(data / "ca_flock_portal_agency_stats.csv", newline="", encoding="utf-8") as handle:
        names |= {row["agency_name"] for row in csv.DictReader(handle) if row["agency_state"] == "CA"}
    with gzip.open(data / "ca_flock_portal_sharing_edges.csv.gz", "rt", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.add(row["counterpart_org_name"])
            names.add(row["source_agency_name"])
    keep = []
    for name in sorted(names):
        org = classify_org(name)
        if org.state == "CA" and org.public is not False and org.kind not in ("private", "placeholder", "tribal"):
            keep.append(name)
    return keep


def build(data: Path) -> list[Form]:
    rows: list[Form] = []
    parsed: dict[tuple[str, str], str] = {}  # (place, kind) -> the first listed name
    # "Vallejo CA PD" before "City of Vallejo (CA)": the listed police name names the agency
    for name in sorted(data_names(data), key=lambda n: (n.lower().startswith(("city of", "town of")), n)):
        found = parse_agency_name(name)
        if found is None or found in parsed:
            continue
        parsed[found] = name
        place, kind = found
        agency = Agency(name, kind, "CA")
        sd = name.rstrip(")").endswith("SD") or "department" in name.lower()
        rows += [Form(text, agency, rule) for text, rule in abbreviations(place, kind, sd)]
    for slug in sorted(CA_COUNTIES):  # every county has a sheriff, a district attorney, a probation department
        county = slug.replace("-", " ").title()
        for kind, label in (("sheriff", "Sheriff"), ("district_attorney", "District Attorney"), ("probation", "Probation")):
            if (county, kind) in parsed:
                continue
            agency = Agency(f"{county} County {label} (CA)", kind, "CA")
            rows += [Form(text, agency, rule) for text, rule in abbreviations(county, kind)]
    short = {text for text, _, _ in SHORT}  # the conventional reading of a form beats the initials rule
    rows = [f for f in rows if not (f.rule == "initials" and f.text in short)]
    known = {f.agency.name: f.agency for f in rows}
    rows += [Form(text, known.get(name) or Agency(name, kind, "CA"), "short") for text, name, kind in SHORT]
    return rows


def write(rows: list[Form], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        seen = set()
        for form in sorted(rows, key=lambda f: (f.text, f.agency.name)):
            key = (form.text, form.agency.name)
            if key not in seen:
                seen.add(key)
                writer.writerow([form.text, form.agency.name, form.agency.kind, form.agency.state, form.rule])


def write_doc(table: AgencyTable, path: Path) -> None:
    ambiguous = sorted((" ".join(k), sorted(f.agency.name for f in v)) for k, v in table.forms.items() if len(v) > 1)
    lines = ["# The agency table: ambiguous abbreviations", "",
             "Generated by `tools/make_agency_table.py` (do not edit by hand). Each of these forms fits more than "
             "one California agency; the classifier names them all in the evidence (and resolves the form to the "
             "searching agency when it is one of them). Correct one for your county with an override file "
             "(README, \"Reading real audit logs\").", "",
             f"{len(table.by_name):,} agencies, {len(table.forms):,} forms, {len(ambiguous):,} ambiguous.", "",
             "| form | agencies |", "|---|---|"]
    lines += [f"| {form} | {'; '.join(names)} |" for form, names in ambiguous]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "alpr_data"
    if not (data / "ca_flock_portal_agency_stats.csv").is_file():
        sys.exit(f"error: {data / 'ca_flock_portal_agency_stats.csv'} not found (pass the data folder)")
    rows = build(data)
    write(rows, OUT)
    table = AgencyTable.of(rows)
    write_doc(table, DOC)
    ambiguous = sum(len(v) > 1 for v in table.forms.values())
    print(f"{len(table.by_name):,} agencies, {len(table.forms):,} forms ({ambiguous:,} ambiguous) -> {OUT}")


if __name__ == "__main__":
    main()
