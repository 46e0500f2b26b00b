"""Counterpart organization names: state and kind, and the SB 34 forbidden-share rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.auditlogs import AuditFormatError
from forensics.orgnames import classify_org, read_sharing_list, sb34_violation, scan_shares
from tests.conftest import shared_file

FIXTURES = Path(__file__).parent / "fixtures"

# Hand-labelled: (name as portals write it, state, kind). Names in the style of the portal
# lists, with the patterns they use: "<place> <ST> <PD|SO>", "(ST)", "ST - place", tags.
HAND_LABELLED = [
    ("Houston TX PD", "TX", "local"), ("Ada County ID SO", "ID", "sheriff"), ("AR - Alma PD", "AR", "local"),
    ("IN- Noble County SO", "IN", "sheriff"), ("Sparks Police Department - NV", "NV", "local"),
    ("Arlington PD (WA)", "WA", "local"), ("Sun Valley PD ID", "ID", "local"),
    ("Richmond VA PD", "VA", "local"), ("Richmond CA PD", "CA", "local"), ("Marshall TX PD", "TX", "local"),
    ("Justice IL PD", "IL", "local"), ("Tombstone Marshals Office (AZ)", "AZ", "local"),
    ("Federal Way WA PD", "WA", "local"), ("Kansas City MO PD", "MO", "local"),
    ("Louisiana State Police (LA)", "LA", "state"), ("Los Angeles County CA SD", "CA", "sheriff"),
    ("LA County Sheriff", "CA", "sheriff"), ("MN - Isanti CO SO", "MN", "sheriff"),
    ("RIV CO ARSON TF CA PD", "CA", "task_force"), ("Curry Co NM SO", "NM", "sheriff"),
    ("Carson City NV SO", "NV", "sheriff"), ("Nevada County CA SO", "CA", "sheriff"),
    ("Shasta County SO", "CA", "sheriff"), ("Yuba County Sheriffs Office", "CA", "sheriff"),
    ("Mendocino County SO-CA", "CA", "sheriff"), ("Dublin CA PD (ACSO)", "CA", "local"),
    ("Town of Woodside CA (SMCSO)", "CA", "local"), ("City of Vallejo (CA)", "CA", "local"),
    ("California Highway Patrol", "CA", "state"), ("Cal Fire", "CA", "state"), ("CHP", "CA", "state"),
    ("California Department of Corrections", "CA", "state"), ("Michigan State Police", "MI", "state"),
    ("Arizona Department of Public Safety", "AZ", "state"), ("Albion MI DPS", "MI", "local"),
    ("Kansas KBI", "KS", "state"), ("WI Department of Justice", "WI", "state"),
    ("NCRIC", "CA", "fusion"), ("Missouri Information Analysis Center", "MO", "fusion"),
    ("NYS Crime Analysis Center Network", "NY", "fusion"), ("Midwest HIDTA", "MO", "task_force"),
    ("Paul Bunyan Task Force MN", "MN", "task_force"),
    ("Orange County (CA) DA Office", "CA", "prosecutor"), ("Somerset County NJ Prosecutors Office", "NJ", "prosecutor"),
    ("Whitley County IN Prosector", "IN", "prosecutor"),
    ("UC Riverside PD (CA)", "CA", "university"), ("Cal State Fullerton (CA)", "CA", "university"),
    ("University of Iowa PD (IA)", "IA", "university"), ("University City MO PD", "MO", "local"),
    ("Stanford University CA PD", "CA", "university"), ("University of the Pacific (CA)", "CA", "university"),
    ("Blue Lake Rancheria Tribal PD", None, "tribal"), ("Colville WA Tribal Police", "WA", "tribal"),
    ("[Federal] Loma Linda Healthcare System CA Veterans Affairs PD", "US", "federal"),
    ("FBI Sacramento", "US", "federal"), ("US Marshals Service", "US", "federal"),
    ("Home Depot Corporation", None, "private"), ("Total Wine & More (MD)", "MD", "private"),
    ("Valley Glen Neighborhood Watch (CA)", "CA", "private"), ("El Macero HOA (CA)", "CA", "private"),
    ("Cape Concord (CA)", "CA", "private"), ("National Center for Missing & Exploited Children [NCMEC]", None, "private"),
    ("Flock Safety - Customer", None, "private"), ("Orange County Fire Authority (CA)", "CA", "local"),
    ("Houston Metro Transit Authority (TX)", "TX", "local"), ("Harris County Const TX Pct 1", "TX", "local"),
    ("Delete", None, "placeholder"), ("DNU", None, "placeholder"), ("Test Demo 1234", None, "placeholder"),
]


@pytest.mark.parametrize("name,state,kind", HAND_LABELLED)
def test_hand_labelled_names(name, state, kind):
    org = classify_org(name)
    assert (org.state, org.kind) == (state, kind), org


def test_hand_labelled_sample_accuracy_is_complete():
    right = sum((classify_org(n).state, classify_org(n).kind) == (s, k) for n, s, k in HAND_LABELLED)
    assert right == len(HAND_LABELLED)


def test_inactive_tags_are_noticed_and_stripped():
    org = classify_org("Flagstaff AZ PD [Inactive]")
    assert org.inactive and (org.state, org.kind) == ("AZ", "local")
    assert classify_org("Santa Cruz CA PD (deactivated)").inactive


def test_private_universities_are_not_public_agencies():
    assert classify_org("Stanford University CA PD").public is False
    assert classify_org("UC Irvine Campus PD CA").public is True


@pytest.mark.parametrize("name,reason", [
    ("Houston TX PD", "out_of_state"), ("[Federal] Example VA PD", "federal"), ("FBI", "federal"),
    ("Oak Hills HOA (CA)", "private"), ("Stanford University CA PD", "private"), ("Home Depot Corporation", "private"),
    ("California Highway Patrol", None), ("NCRIC", None), ("Marin County CA SO", None), ("UC Davis PD (CA)", None),
    ("Kings County CA DAs Office", None), ("Blue Lake Rancheria Tribal PD", None), ("Delete", None),
])
def test_sb34_forbids_federal_out_of_state_and_private_recipients(name, reason):
    assert sb34_violation("CA", classify_org(name)) == reason


def test_sb34_binds_only_california_owners():
    assert sb34_violation("MN", classify_org("Houston TX PD")) is None


def test_edges_file_scan_lists_forbidden_outbound_shares_of_california_owners():
    edges = read_sharing_list(FIXTURES / "sharing_edges.csv")
    assert len(edges) == 11 and edges[0].owner == "Example CA PD" and edges[0].line == 2
    findings = scan_shares(edges)
    forbidden = {(f.owner, f.counterpart): f.reason for f in findings if f.reason}
    assert forbidden == {
        ("Example CA PD", "Houston TX PD"): "out_of_state",
        ("Example CA PD", "[Federal] Example VA Medical Center CA Veterans Affairs PD"): "federal",
        ("Example CA PD", "Oak Hills Homeowners Association (CA)"): "private",
        ("Example CA PD", "Marshall TX PD"): "out_of_state",
    }  # the inbound Phoenix line and the Minnesota owner's share are not SB 34 matters
    review = {f.counterpart: f.review for f in findings if f.review}
    assert review == {"Example Tribal PD": "kind tribal", "Delete": "kind placeholder"}


def test_plain_list_of_names_needs_an_owner():
    with pytest.raises(AuditFormatError, match="needs --owner"):
        read_sharing_list(FIXTURES / "sharing_names.txt")
    edges = read_sharing_list(FIXTURES / "sharing_names.txt", owner="Example CA PD")
    findings = scan_shares(edges)
    assert [f.reason for f in findings] == [None, "out_of_state", "private", None]


def test_real_portal_sharing_lists():
    """The 45,113-line portal edges file: a sanity check of the scan on real names."""
    edges = read_sharing_list(shared_file("ca_flock_portal_sharing_edges.csv.gz"))
    assert len(edges) == 45113
    findings = scan_shares(edges)
    ca = [f for f in findings if f.owner_state == "CA"]
    assert len({f.owner for f in ca}) == 155 and len(ca) == 39671
    forbidden = [f for f in ca if f.reason]
    by_owner = {}
    for f in forbidden:
        by_owner[f.owner] = by_owner.get(f.owner, 0) + 1
    assert max(by_owner, key=by_owner.get) == "El Cajon CA PD" and by_owner["El Cajon CA PD"] > 300
    assert all(f.reason != "federal" for f in forbidden)  # no federal org in California outbound lists
    unknown_kind = sum(f.counterpart_kind == "unknown" for f in ca)
    assert unknown_kind / len(ca) < 0.001


def test_portal_statistics_read_and_give_owner_states():
    from forensics.auditlogs import read_portal_stats

    stats = read_portal_stats(FIXTURES / "portal_stats.csv")
    assert [(s.slug, s.state, s.camera_count, s.vehicles_detected_30d) for s in stats] == [
        ("example-ca-pd", "CA", 102, 774611), ("example-mn-so", "MN", None, None)]
    # a state from the statistics overrides what the name says
    edges = read_sharing_list(FIXTURES / "sharing_edges.csv")
    findings = scan_shares(edges, owner_states={"example-ca-pd": "MN"})
    assert not any(f.reason for f in findings)


def test_real_portal_statistics():
    from forensics.auditlogs import read_portal_stats

    stats = read_portal_stats(shared_file("ca_flock_portal_agency_stats.csv"))
    assert len(stats) == 187 and sum(s.state == "CA" for s in stats) == 181
    assert sum(s.camera_count or 0 for s in stats if s.state == "CA") > 10000
