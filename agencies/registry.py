"""Who asks: the agency registry, and the sharing graph of a scenario.

The Bay Area registry follows FACTS.md: Oakland PD, SFPD, CHP, NCRIC (the fusion centre),
Alameda County SO and a few neighbours; seven federal agencies; out-of-state agencies.
Local search volumes come from the transparency portals (searches in 30 days). A scenario
names its own registry (``agencies.registry``); this one is the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from lookup.requests import Organization
from lookup.sharing import SharingGraph


@dataclass(frozen=True)
class Agency:
    org: Organization
    searches_per_day: float = 0.0  # own legitimate searches (portal: searches_30d / 30)
    # Of those, made for another California agency. assumption: with ReasonMix's
    # assist_wording_share (0.4) this puts assist wording in about 0.3-0.4% of rows, as in
    # California's portals (FACTS.md, "How often, and in what words": 0.3%, 0.4% of reasoned).
    assist_share: float = 0.005
    source: str = "assumption"  # where the search volume comes from


def _org(slug: str, name: str, kind: str, state: str, *tags: str) -> Organization:
    return Organization(slug, name, kind, state, frozenset(tags))


PORTAL = "transparency portal, searches in 30 days, April 2026 (FACTS.md)"
BAY_AREA_AGENCIES: tuple[Agency, ...] = (
    Agency(_org("oakland-ca-pd", "Oakland CA PD", "local", "CA"), 2162 / 30, source=PORTAL),
    Agency(_org("san-francisco-ca-pd", "San Francisco CA PD", "local", "CA"), 75.0,
           source="assumption: SF publishes no search count"),
    Agency(_org("california-highway-patrol", "California Highway Patrol", "state", "CA"), 40.0),
    Agency(_org("ncric", "NCRIC", "fusion", "CA"), 3008 / 30, assist_share=0.03, source=PORTAL),
    Agency(_org("alameda-county-ca-so", "Alameda County CA SO", "sheriff", "CA"), 2075 / 30, source=PORTAL),
    Agency(_org("berkeley-ca-pd", "Berkeley CA PD", "local", "CA"), 10.0),
    Agency(_org("san-leandro-ca-pd", "San Leandro CA PD", "local", "CA"), 8.0),
    Agency(_org("ice-ero", "U.S. Immigration and Customs Enforcement - ERO", "federal", "US", "immigration")),
    Agency(_org("hsi", "Homeland Security Investigations", "federal", "US", "immigration")),
    Agency(_org("cbp", "U.S. Customs and Border Protection", "federal", "US", "immigration")),
    Agency(_org("fbi", "Federal Bureau of Investigation", "federal", "US")),
    Agency(_org("dea", "Drug Enforcement Administration", "federal", "US")),
    Agency(_org("atf", "Bureau of Alcohol, Tobacco, Firearms and Explosives", "federal", "US")),
    Agency(_org("usms", "U.S. Marshals Service", "federal", "US")),
    Agency(_org("harris-county-tx-so", "Harris County TX SO", "out_of_state", "TX")),
    Agency(_org("cobb-county-ga-so", "Cobb County GA SO", "out_of_state", "GA")),
    Agency(_org("las-vegas-nv-pd", "Las Vegas NV Metro PD", "out_of_state", "NV")),
)


def true_kind(org: Organization, home_state: str = "CA") -> str:
    """The beneficiary class leakage is measured for: local, state, federal, out_of_state."""
    if org.kind == "federal":
        return "federal"
    if org.state != home_state:
        return "out_of_state"
    return "state" if org.kind in ("state", "fusion") else "local"


def registry_for(owners: tuple[Organization, ...], agencies: tuple[Agency, ...] = BAY_AREA_AGENCIES) -> dict[str, Agency]:
    """The scenario's agencies: the preset, plus camera owners the preset lacks."""
    out = {a.org.slug: a for a in agencies}
    for org in owners:
        out.setdefault(org.slug, Agency(org, 0.0))
    return out


def sharing_for(registry: dict[str, Agency], owners: tuple[str, ...], home_state: str = "CA",
                overrides: dict | None = None) -> SharingGraph:
    """The sharing graph: the scenario's ``sharing`` section alone (law packs only decide).

    Default, as configured in 2025 (FACTS.md): every California owner shares with the
    agencies of its state (Oakland lists no 1:1 shares; SF's ~321 include CHP and NCRIC);
    National Lookup is off in California since March 2025, so only out-of-state and
    federal users keep it on (reciprocal: it reaches nobody here). A scenario's ``sharing``
    section replaces the state-wide and National Lookup sets and adds 1:1 grants.
    """
    orgs = {slug: a.org for slug, a in registry.items()}
    state_share = frozenset(o for o in owners if orgs[o].state == home_state)
    national = frozenset(s for s, o in orgs.items() if o.state != home_state)
    overrides = overrides or {}
    if overrides.get("state_share") is not None:
        state_share = frozenset(overrides["state_share"])
    if overrides.get("national_lookup") is not None:
        national = frozenset(overrides["national_lookup"])
    shares = frozenset(tuple(pair) for pair in overrides.get("shares") or ())
    return SharingGraph(orgs, owners, shares, state_share, national)
