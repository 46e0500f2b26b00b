"""Counterpart organization names: which state, what kind, and may a California owner share.

Flock portals list organization names as free text ("Houston TX PD", "Ada County ID SO",
"AR - Alma PD", "[Federal] Loma Linda Healthcare System CA Veterans Affairs PD",
"Valley Glen Neighborhood Watch (CA)"). ``classify_org`` reads the state from a two-letter
code in a strong position (before an agency suffix, at the end, in parentheses, or as a
"XX - " prefix), else from a full state name, else from a short gazetteer; and the kind from
agency words. Traps it knows: "Marshall TX PD" and "Tombstone Marshals Office" are towns,
"Richmond VA PD" is Virginia, not Veterans Affairs, "Justice IL PD" is a village, "RIV CO"
is Riverside County, "Nevada County" and "Kings County ... CA" are Californian.

SB 34 (Civil Code 1798.90.55(b), FACTS.md): a California public agency may share ALPR data
only with another public agency (the state, a California city or county, or their agencies),
so federal, out-of-state and private recipients are forbidden. ``sb34_violation`` applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico",
}
STATE_BY_NAME: dict[str, str] = {name.lower(): code for code, name in STATES.items()}

KINDS = ("federal", "state", "local", "sheriff", "fusion", "task_force", "prosecutor",
         "university", "tribal", "private", "placeholder", "unknown")
FORBIDDEN_REASONS = ("federal", "out_of_state", "private")

# Words that end an agency name: a state code right before one of these is the agency's state.
AGENCY_SUFFIXES = frozenset(
    "pd so sd sheriff sheriffs sheriff's police dps da das da's dept department office "
    "campus prosecutor prosecutors prosector dtf tf marshal marshals marshal's constable const "
    "county co patrol university college airport transit parks tribal state metro highway fire "
    "fd probation pct precinct dept. doj division public communications 911".split())
# State-name uses that are places, not the state ("Nevada County" is in California).
_PLACE_AFTER_STATE_NAME = frozenset("county city township twp beach borough heights park street st ave".split())
_STATE_NAME_CITY_IN_STATE = {"nevada city": "CA", "nevada county": "CA", "iowa city": "IA",
                             "oklahoma city": "OK", "carson city": "NV", "arizona city": "AZ",
                             "virginia beach": "VA", "texas city": "TX", "indiana county": "PA"}
_WORDLIKE_CODES = frozenset("IN OR ME OH HI OK PA DE AL ID MA MO MD MS LA NE VA".split())
# Local abbreviations that collide with state codes when they open a name.
_LOCAL_ABBREVIATIONS = {"LA": "CA", "SD": "CA", "SF": "CA", "SB": "CA", "OC": "CA"}
CA_COUNTIES = frozenset(
    "alameda alpine amador butte calaveras colusa contra-costa del-norte el-dorado fresno glenn "
    "humboldt imperial inyo kern kings lake lassen los-angeles madera marin mariposa mendocino "
    "merced modoc mono monterey napa nevada orange placer plumas riverside sacramento "
    "san-benito san-bernardino san-diego san-francisco san-joaquin san-luis-obispo san-mateo "
    "santa-barbara santa-clara santa-cruz shasta sierra siskiyou solano sonoma stanislaus "
    "sutter tehama trinity tulare tuolumne ventura yolo yuba".split())
CA_PRIVATE_UNIVERSITIES = (
    "stanford", "university of san francisco", "university of the pacific", "santa clara university",
    "university of southern california", "usc ", "pepperdine", "loyola marymount", "caltech",
    "california institute of technology", "chapman university", "university of san diego",
    "point loma nazarene", "biola", "azusa pacific", "pomona college", "claremont mckenna",
    "harvey mudd", "occidental college", "saint mary's college", "st. mary's college",
    "university of la verne", "whittier college", "mills college", "dominican university",
    "menlo college", "westmont", "california lutheran", "cal lutheran", "california baptist",
    "notre dame de namur", "golden gate university", "university of redlands")
# Named bodies whose names carry neither a state nor a kind word.
KNOWN_ORGS: dict[str, tuple[str | None, str, str]] = {
    "ncric": ("CA", "fusion", "Northern California Regional Intelligence Center"),
    "jric": ("CA", "fusion", "Joint Regional Intelligence Center (Los Angeles)"),
    "sd-lecc": ("CA", "fusion", "San Diego Law Enforcement Coordination Center"),
    "cccic": ("CA", "fusion", "Central California Intelligence Center"),
    "chp": ("CA", "state", "California Highway Patrol"),
    "mocic": ("MO", "fusion", "Mid-States Organized Crime Information Center (RISS, Springfield MO)"),
    "midwest hidta": ("MO", "task_force", "Midwest HIDTA (Kansas City, MO)"),
    "kencom public safety dispatch": ("IL", "local", "KenCom dispatch (Kendall County, IL)"),
    "cal fire": ("CA", "state", "California Department of Forestry and Fire Protection"),
    "cal maritime": ("CA", "university", "California State University Maritime Academy"),
    "national center for missing & exploited children": (None, "private", "NCMEC is a private non-profit"),
    "ncmec": (None, "private", "NCMEC is a private non-profit"),
    "flock safety": (None, "private", "the vendor"),
    "lasd": ("CA", "sheriff", "Los Angeles County Sheriff's Department"),
    "lapd": ("CA", "local", "Los Angeles Police Department"),
    "sfpd": ("CA", "local", "San Francisco Police Department"),
    "sdpd": ("CA", "local", "San Diego Police Department"),
    "sdso": ("CA", "sheriff", "San Diego County Sheriff's Office"),
    "ocsd": ("CA", "sheriff", "Orange County Sheriff's Department"),
    "sjpd": ("CA", "local", "San Jose Police Department"),
}
_PLACEHOLDER = re.compile(
    r"^\W*(delete|dnu|do not use|demo|test\b.*|decommissioned\b.*|old|deactivated|duplicate\b.*|llc|"
    r"n/?a|none|unknown|\[deactivated\] - demo|.*\btraining)\W*$", re.I)
_INACTIVE = re.compile(r"\[(inactive|deactivated)\]|\((inactive|deactivated)\)|^dnu\b", re.I)

_FEDERAL = re.compile(
    r"\[federal\]|\bfbi\b|\bdea\b|\batf\b|\busms\b|\bu\.?s\.? marshals?\b|\bunited states\b|\bhsi\b|"
    r"\bice\b|\bcbp\b|border patrol|homeland security|veterans affairs|\bva (police|medical|healthcare)\b|"
    r"national park service|forest service|secret service|\birs\b|postal inspect|\bncis\b|"
    r"\b(army|navy|air force|marine corps|coast guard|naval)\b|department of defense|\bdod\b|"
    r"bureau of indian affairs|\bfederal\b(?! way)|\bu\.s\.|\bus (attorney|dept|department)", re.I)
_FUSION = re.compile(
    r"fusion|information analysis center|crime analysis center|intelligence center|"
    r"information center|information network|\briss\b|regional intelligence|"
    r"\b[a-z]{0,3}ric\b", re.I)
_TASK_FORCE = re.compile(r"task force|\bhidta\b|\bdtf\b|\btf\b|auto theft|\barson\b|\b\w*ratt\b", re.I)
_PROSECUTOR = re.compile(r"district attorney|\bdas?\b|\bda's\b|prosecutor|prosector|\bdas office", re.I)
_STATE_BODY = re.compile(
    r"state (police|patrol|parks|capitol)|highway patrol|attorney general|department of justice|"
    r"\bdoj\b|bureau of investigation|\b[a-z]bi\b|division of criminal investigation|"
    r"department of (corrections?|rehabilitation|motor vehicles|insurance|conservation|"
    r"public safety|fish|transportation)|capitol police|\bdmv\b|dept of insurance|"
    r"\bcalifornia (department|state)\b|criminal justice|\bstate parks\b", re.I)
_UNIVERSITY = re.compile(r"universit(?!y (city|park|heights|place))|college|cal state|\but (southwestern|austin|health)|\bcampus\b|\buc [a-z]|\bucla\b|\bucsf\b|\bcsu\b|"
                         r"institute of technology", re.I)
_TRIBAL = re.compile(r"tribal|tribe|rancheria|\bband of\b|indians\b|\bnation\b|reservation|pueblo", re.I)
_SHERIFF = re.compile(r"\bso\b|sheriff|\bsd$|\bsd\b(?! pd)|\bsheriffs\b", re.I)
_LOCAL = re.compile(
    r"\bpd\b|police|\bdps\b|public safety|marshal|constable|\bcity of\b|\btown of\b|\bvillage of\b|"
    r"\bcounty of\b|township|dispatch|\b911\b|communications center|housing authority|port of\b|"
    r"\bdistrict\b|human services|parks? (district|department|and recreation)|"
    r"special investigations|arson bureau|law enforcement|cemetery|\bdept\b|police services|"
    r"\bfire\b|\bfd\b|probation|authority|\bconst\b|precinct|\bpct\b|recreation", re.I)
_PRIVATE = re.compile(
    r"corporat|\bcorp\b|\binc\b|\bllc\b|\bcompan(y|ies)\b|\bgroup\b|management|lodge|towing|auction|"
    r"shopping|\bmall\b|home depot|lowe's|fedex|walmart|total wine|monster energy|ampm|"
    r"neighborhood|neighbourhood|\bhoa\b|homeowners|association|\bestates?\b|apartments?|"
    r"\branch\b|\bfarm\b|\bpointe\b|\bplace\b|\bpalms\b|\bharbou?r\b|\bhills\b|\bbend\b|"
    r"\bcourtyard\b|\bhotel\b|\bresort\b|\bschool\b(?! district)|\bchurch\b|\bhospital\b|"
    r"\bsecurity\b(?! department)|customer|\bwatch\b|\bvillage\b(?! of)|\bstreet\b|\bclub\b|topgolf|"
    r"\bmortuary\b|\binsurance\b(?! fraud)", re.I)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'.]*|\d+|[()\[\]\-]")


@dataclass(frozen=True)
class OrgClass:
    """What an organization name says: its state (two letters, "US" for federal, None when
    unknown), its kind (one of KINDS), whether it is a public body (None when unknown)."""

    name: str
    state: str | None
    kind: str
    public: bool | None
    inactive: bool
    confidence: float
    evidence: str

    def out_of_state(self, owner_state: str) -> bool:
        return self.state is not None and self.state not in (owner_state, "US")

    def org_kind(self, owner_state: str) -> str:
        """The nearest ``lookup.requests.ORG_KINDS`` value, seen from an owner's state."""
        if self.kind == "federal":
            return "federal"
        if self.out_of_state(owner_state):
            return "out_of_state"
        if self.kind in ("state", "fusion", "sheriff", "private"):
            return self.kind
        if self.kind == "university" and self.public is False:
            return "private"
        return "local"


def _code_positions(tokens: list[str]) -> list[tuple[int, str]]:
    """State codes in strong positions, with their token index (later ones win)."""
    found = []
    n = len(tokens)
    words = [t for t in tokens if t[0].isalpha()]
    all_caps = sum(len(t) >= 4 for t in words) >= 2 and all(t.isupper() for t in words)
    for i, tok in enumerate(tokens):
        code = tok.rstrip(".")
        if code not in STATES or not tok[:2].isupper():
            continue
        prev = tokens[i - 1] if i else ""
        nxt = tokens[i + 1] if i + 1 < n else ""
        words_before = sum(1 for t in tokens[:i] if t[0].isalnum())
        if code in _LOCAL_ABBREVIATIONS and words_before == 0 and nxt.lower() in AGENCY_SUFFIXES | {"port"}:
            found.append((i, _LOCAL_ABBREVIATIONS[code]))  # "LA County SO", "SD PD": California
            continue
        if all_caps and code in _WORDLIKE_CODES and not (prev == "(" or i == n - 1):
            continue  # "NEIGHBORHOOD WATCH IN ...": a word, not Indiana
        strong = (
            (prev == "(" and nxt == ")")
            or i == n - 1
            or (nxt == ")" and i == n - 2)
            or (nxt.lower() in AGENCY_SUFFIXES and words_before > 0)
            or nxt == "-"  # "AR - Alma PD", "LASD CA - San Dimas Station"
            or prev == "-"  # "Sparks Police Department - NV"
            or words_before == 0  # "WI Department of Justice", "CA Iipay Nation"
            or nxt == "("  # "Glendale PD CA (Condor)", "Town of Woodside CA (SMCSO)"
        )
        if code == "SD" and prev.rstrip(".") in STATES and prev.isupper():
            continue  # "Los Angeles County CA SD": the Sheriff's Department
        if code == "CO" and nxt.lower() not in AGENCY_SUFFIXES - {"county", "co"} and i != n - 1:
            strong = False  # "RIV CO ARSON": county
        if strong:
            found.append((i, code))
    if len({code for _, code in found}) > 1:
        found = [(i, code) for i, code in found if code != "CO"]  # "MN - Isanti CO SO": county
    return found


def state_from_name(name: str) -> tuple[str | None, str]:
    """(state code or None, evidence) from a name's codes, state names or gazetteer."""
    tokens = _TOKEN.findall(name)
    codes = _code_positions(tokens)
    if codes:
        return codes[-1][1], f"state code {codes[-1][1]}"
    low = " ".join(t.lower() for t in tokens)
    for place, code in _STATE_NAME_CITY_IN_STATE.items():
        if place in low:
            return code, f"place {place!r}"
    for state_name, code in sorted(STATE_BY_NAME.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"\b{re.escape(state_name)}\b", low):
            after = low[m.end():].split()[:1]
            if after and after[0] in _PLACE_AFTER_STATE_NAME:
                continue
            return code, f"state name {STATES[code]}"
    if re.search(r"\b(smcso|acso|lasd|ocsd|sdso|rcsd|sbsd|sccso|cccso|sfso|lapd|sfpd|sdpd|sjpd)\b", low):
        return "CA", "California agency abbreviation"
    if re.search(r"\bnys\b", low):
        return "NY", "NYS"
    if re.search(r"\bcal\b|\buc\b|\bucla\b|\bucsf\b|\bcsu\b|\bchp\b", low):
        return "CA", "California abbreviation"
    county = re.search(r"\b([a-z]+(?: [a-z]+)?) county\b", low)
    if county:
        slug = county.group(1).replace(" ", "-")
        last = slug.split("-")[-1]
        if slug in CA_COUNTIES or last in CA_COUNTIES:
            return "CA", f"California county {county.group(1).title()}"
    return None, "no state marker"


@lru_cache(maxsize=65536)
def classify_org(name: str) -> OrgClass:
    """Classify one organization name (cached: sharing lists repeat names)."""
    raw = " ".join(name.split())
    inactive = bool(_INACTIVE.search(raw))
    stripped = re.sub(r"\[(inactive|deactivated)\]|\((inactive|deactivated)\)", "", raw, flags=re.I).strip()
    if not stripped or _PLACEHOLDER.match(stripped):
        return OrgClass(name, None, "placeholder", None, True, 0.9, "placeholder name")
    state, state_evidence = state_from_name(stripped)
    s_low = stripped.lower()
    for key, (known_state, kind, note) in KNOWN_ORGS.items():
        if re.search(rf"(^|\W){re.escape(key)}(\W|$)", s_low):
            public = kind != "private"
            return OrgClass(name, state or known_state, kind, public, inactive, 0.95, f"known: {note}")
    if "[federal]" in s_low:  # Flock's own tag
        return OrgClass(name, "US", "federal", True, inactive, 0.99, "tagged [Federal]")
    if _FEDERAL.search(stripped) and not re.search(r"\bva pd\b|\bva so\b", s_low):
        term = _FEDERAL.search(stripped).group(0)
        return OrgClass(name, "US", "federal", True, inactive, 0.95, f"federal term {term!r}")
    kind, public, confidence, why = _kind_of(stripped, s_low, state)
    if kind == "university" and public is False and state is None:
        state, state_evidence = "CA", "listed California private university"
    return OrgClass(name, state, kind, public, inactive, confidence, f"{why}; {state_evidence}")


def _kind_of(raw: str, low: str, state: str | None) -> tuple[str, bool | None, float, str]:
    if _TRIBAL.search(raw):
        return "tribal", None, 0.9, "tribal term"
    if _UNIVERSITY.search(raw):
        private = any(p in low + " " for p in CA_PRIVATE_UNIVERSITIES)
        if private:
            return "university", False, 0.85, "private university (California)"
        public = state == "CA" or None
        return "university", public, 0.8, "university term"
    if _FUSION.search(raw):
        return "fusion", True, 0.85, f"fusion term {_FUSION.search(raw).group(0)!r}"
    if _TASK_FORCE.search(raw):
        return "task_force", True, 0.8, f"task force term {_TASK_FORCE.search(raw).group(0)!r}"
    if _PROSECUTOR.search(raw):
        return "prosecutor", True, 0.85, "prosecutor term"
    if _STATE_BODY.search(raw):
        m = _STATE_BODY.search(raw)
        before = low[: m.start()].split()
        city_dps = m.group(0).lower().startswith("department of public safety") and before and \
            before[-1] not in STATE_BY_NAME
        if not city_dps:
            return "state", True, 0.85, f"state body {m.group(0)!r}"
    if _SHERIFF.search(raw):
        return "sheriff", True, 0.9, "sheriff term"
    if _LOCAL.search(raw):
        return "local", True, 0.9, f"local term {_LOCAL.search(raw).group(0)!r}"
    if _PRIVATE.search(raw):
        return "private", False, 0.75, f"private term {_PRIVATE.search(raw).group(0)!r}"
    if state is not None and re.search(r"\([A-Z]{2}\)\s*$", raw):
        # "Cape Concord (CA)": portal entries of this shape without agency words are
        # neighbourhood and business cameras.
        return "private", False, 0.6, "no public-agency term"
    if state is not None and re.search(r"\b[A-Z]{2}$", raw.strip()):
        return "local", True, 0.5, "place name and state only"  # "San Juan Bautista CA"
    return "unknown", None, 0.3, "no kind term"


def sb34_violation(owner_state: str, org: OrgClass) -> str | None:
    """The SB 34 reason an owner in ``owner_state`` may not share with ``org``, or None.

    Only California owners are bound; federal, out-of-state and private recipients are
    forbidden whatever the purpose (AG bulletin 2023-DLE-06). Unknown state or kind is
    not a violation: it goes to review.
    """
    if owner_state != "CA":
        return None
    if org.kind == "federal":
        return "federal"
    if org.out_of_state(owner_state):
        return "out_of_state"
    if org.kind == "private" or (org.kind == "university" and org.public is False):
        return "private"
    return None


# --- sharing lists and the SB 34 scan ------------------------------------------------

DIRECTIONS = ("outbound", "inbound")
_LIST_ALIASES = {
    "sourceagencyslug": "owner_slug", "ownerslug": "owner_slug", "agencyslug": "owner_slug",
    "sourceagencyname": "owner", "owner": "owner", "ownername": "owner", "sourceagency": "owner",
    "agency": "owner", "agencyname": "owner", "direction": "direction", "snapshot": "snapshot",
    "counterpartorgname": "counterpart", "counterpart": "counterpart", "organization": "counterpart",
    "organizationname": "counterpart", "orgname": "counterpart", "partner": "counterpart",
    "sharedwith": "counterpart", "organisation": "counterpart",
}


@dataclass(frozen=True)
class SharingEdge:
    """One line of a portal sharing list. ``outbound``: the counterpart may search the
    owner's data ("Organizations granted access to X's data"); ``inbound``: the reverse."""

    owner: str
    owner_slug: str
    direction: str
    counterpart: str
    snapshot: str = ""
    source: str = ""
    line: int = 0


def read_sharing_list(path, owner: str | None = None, direction: str = "outbound") -> list[SharingEdge]:
    """Read a sharing list: a CSV with owner/counterpart columns (the portal edges file, gzip
    or not), or a plain list of organization names, one a line, for ``owner``."""
    import csv

    from forensics.auditfiles import AuditFormatError, csv_problem, open_text_lines
    from forensics.auditlogs import normalise_header

    source = str(path)
    lines = [line for line in open_text_lines(path) if line.strip()]
    if not lines:
        raise AuditFormatError(source, 1, "-", "empty sharing list")
    reader = csv.reader(lines, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a quote that never closes
        raise AuditFormatError(source, reader.line_num, "-", csv_problem(exc)) from None
    mapping = {}
    for index, cell in enumerate(rows[0]):
        name = _LIST_ALIASES.get(normalise_header(cell))
        if name and name not in mapping:
            mapping[name] = index
    edges = []
    if "counterpart" not in mapping:  # a plain list of names
        if owner is None:
            raise AuditFormatError(source, 1, "owner", "a plain list of names needs --owner (whose list it is)")
        return [SharingEdge(owner, _slug(owner), direction, line.strip().strip('"'), "", source, number)
                for number, line in enumerate(lines, start=1)]
    if "owner" not in mapping and "owner_slug" not in mapping and owner is None:
        raise AuditFormatError(source, 1, "owner", "no owner column; pass --owner")
    for number, cells in enumerate(rows[1:], start=2):
        def cell(name: str, cells=cells) -> str:
            i = mapping.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""
        if len(cells) <= mapping["counterpart"] and any(c.strip() for c in cells):
            raise AuditFormatError(source, number, "counterpart", f"the row ends after {len(cells)} of "
                                   f"{len(rows[0])} cells (a truncated file?)")
        counterpart = cell("counterpart")
        if not counterpart:
            continue
        way = cell("direction").lower() or direction
        if way not in DIRECTIONS:
            raise AuditFormatError(source, number, "direction", f"{way!r} is not outbound or inbound")
        name = cell("owner") or owner or cell("owner_slug")
        edges.append(SharingEdge(name, cell("owner_slug") or _slug(name), way, counterpart,
                                 cell("snapshot"), source, number))
    return edges


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def owner_state(edge: SharingEdge) -> str | None:
    """An owner's state from its name, else from a slug such as ``albany-ca-pd``."""
    state = classify_org(edge.owner).state if edge.owner else None
    if state and state != "US":
        return state
    parts = edge.owner_slug.split("-")
    for part in reversed(parts):
        if part.upper() in STATES:
            return part.upper()
    if parts and parts[-1].startswith("so") and parts[-1][2:].upper() in STATES:
        return parts[-1][2:].upper()  # "mendocino-county-soca"
    return None


@dataclass(frozen=True)
class ShareFinding:
    """One outbound share and what SB 34 says of it (``reason`` None: not forbidden)."""

    owner: str
    owner_state: str | None
    counterpart: str
    counterpart_state: str | None
    counterpart_kind: str
    reason: str | None  # one of FORBIDDEN_REASONS, or None
    review: str  # why a person should look (unknown state or kind, tribal, placeholder), or ""
    confidence: float
    evidence: str
    inactive: bool


def scan_shares(edges, default_owner_state: str | None = None,
                owner_states: dict[str, str] | None = None) -> list[ShareFinding]:
    """Judge every outbound share of every owner (inbound lines are not the owner's shares).

    An owner's state comes from ``owner_states`` (slug -> state, e.g. portal statistics),
    else from its name or slug, else ``default_owner_state``.
    """
    findings = []
    known = owner_states or {}
    for edge in edges:
        if edge.direction != "outbound":
            continue
        state = known.get(edge.owner_slug) or owner_state(edge) or default_owner_state
        org = classify_org(edge.counterpart)
        reason = sb34_violation(state, org) if state else None
        review = ""
        if reason is None and state == "CA":
            if org.kind in ("tribal", "placeholder", "unknown"):
                review = f"kind {org.kind}"
            elif org.state is None:
                review = "state unknown"
        findings.append(ShareFinding(edge.owner, state, edge.counterpart, org.state, org.kind, reason,
                                     review, org.confidence, org.evidence, org.inactive))
    return findings
