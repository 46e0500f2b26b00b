"""Agencies as officers write them: the table of abbreviations a reason may name.

Two packaged tables (``forensics/data``), one row per (abbreviation, agency):

- ``ca_agencies.csv``: California city police, sheriffs, district attorneys, probation,
  school, campus, port and transit police, CHP, the DOJ and other state bodies. Built by
  ``tools/make_agency_table.py`` from the portal agency names and the sharing lists
  (``../shared/alpr_data``) with the rules below, plus hand-listed short forms;
- ``federal_agencies.csv``: federal law enforcement beyond the familiar names, from the
  BJS census of federal law enforcement officers (inspectors general, USPIS, Park Police,
  VA police, Pentagon Force Protection, Amtrak police...) and, since that census leaves out
  the armed forces, the Department of Defense's own list of its criminal investigative
  organizations (NCIS, Army CID, AFOSI, DCIS) and the services' police ("navy pd", "base
  police", "military").

Rules for an agency parsed from its listed name (``abbreviations``):

- ``place``: the place with an agency word: "Hayward PD", "Hayward police", "Kern County
  SO", "Kern sheriff", "Kern DA", "Kern probation";
- ``initials``: the place's initials with the agency letters: "HPD", "SLPD", "KCSO",
  "KSO", "SDSD", "KCDA". Initials are local shorthand: they are read only in logs of the
  table's own state, and one initialism often fits several agencies (the table lists them
  all; the classifier says so in the evidence rather than guess);
- ``short``: hand-listed common short forms ("SJPD", "LASD", "BART PD", "CHP", "Cal DOJ").

A user's override file (same columns; ``alprsim audit --agency-table FILE``) replaces every
packaged row of each abbreviation it lists; an empty ``agency`` removes the abbreviation.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

TABLE_COLUMNS = ("abbreviation", "agency", "kind", "state", "rule")
KINDS = ("city_police", "sheriff", "district_attorney", "probation", "school_police", "transit_police",
         "port_police", "state", "fusion", "federal")
RULES = ("place", "initials", "short", "override")
PACKAGED = ("ca_agencies.csv", "federal_agencies.csv")
_TOKEN = re.compile(r"[a-z0-9]+")


class AgencyTableError(ValueError):
    """A table row we cannot use; the message names the file, line and column."""

    def __init__(self, source: str, line: int, column: str, message: str):
        self.source, self.line, self.column = source, line, column
        super().__init__(f"{source}:{line}: column {column!r}: {message}")


@dataclass(frozen=True)
class Agency:
    name: str  # as listed ("Hayward CA PD")
    kind: str  # one of KINDS
    state: str  # two letters, "US" for federal


@dataclass(frozen=True)
class Form:
    """One way of writing one agency."""

    text: str  # normalised ("hayward pd")
    agency: Agency
    rule: str


def form_tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens, with "sheriff's"/"sheriffs" read as "sheriff" and "&" as "and"."""
    low = text.lower().replace("'s", "s").replace("&", " and ")
    return tuple("sheriff" if t == "sheriffs" else t for t in _TOKEN.findall(low))


@dataclass(frozen=True)
class AgencyTable:
    """Forms by their token tuple (several agencies per form when ambiguous)."""

    forms: dict[tuple[str, ...], tuple[Form, ...]]
    by_name: dict[str, Agency]
    starts: frozenset[str]
    lengths: tuple[int, ...]  # longest first

    @classmethod
    def of(cls, rows: list[Form]) -> AgencyTable:
        forms: dict[tuple[str, ...], list[Form]] = defaultdict(list)
        for form in rows:
            key = form_tokens(form.text)
            if key and all(f.agency != form.agency for f in forms[key]):
                forms[key].append(form)
        frozen = {k: tuple(v) for k, v in forms.items() if v}
        return cls(frozen, {f.agency.name.lower(): f.agency for v in frozen.values() for f in v},
                   frozenset(k[0] for k in frozen), tuple(sorted({len(k) for k in frozen}, reverse=True)))

    def match(self, tokens: list[str], i: int) -> tuple[int, tuple[Form, ...]] | None:
        """The longest form starting at token ``i``: (its length, its agencies)."""
        if tokens[i] not in self.starts:
            return None
        for n in self.lengths:
            hit = self.forms.get(tuple(tokens[i:i + n])) if i + n <= len(tokens) else None
            if hit:
                return n, hit
        return None

    def identify(self, name: str) -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
        """Who a searching organization is: (agency names it matches, forms that name it).

        "Oakland CA PD" is the listed agency; "Oakland Police Department" and "OPD" are
        read through the table (every agency an initialism fits); a name the table does not
        know still yields its own forms by the rules ("Eugene PD": "eugene pd", "epd").
        """
        clean = re.sub(r"\[federal\]", "", name, flags=re.I).strip()
        if not clean:
            return frozenset(), frozenset()
        names: set[str] = set()
        own_forms: set[tuple[str, ...]] = set()
        listed = self.by_name.get(" ".join(clean.split()).lower())
        if listed is not None:
            names.add(listed.name)
        parsed = parse_agency_name(clean)
        if parsed is not None:
            for text, _ in abbreviations(*parsed):
                own_forms.add(form_tokens(text))
        tokens = list(form_tokens(clean))
        if tokens:
            own_forms.add(tuple(tokens))
        if not names:
            i = 0
            while i < len(tokens):
                hit = self.match(tokens, i)
                if hit and hit[0] >= len(tokens) - 1:  # the name is (nearly) all one form
                    names.update(f.agency.name for f in hit[1])
                    break
                i += 1
        for key in own_forms:
            names.update(f.agency.name for f in self.forms.get(key, ()) if f.rule != "initials")
        return frozenset(names), frozenset(own_forms)


# --- rules ---------------------------------------------------------------------------

_STATE_MARKS = re.compile(r"\([^)]*\)|\s-\s?CA\b|^CA\s*-\s*|\bCA\b|\[[^\]]*\]")
_SUFFIXES: tuple[tuple[str, str], ...] = (  # (regex at the end of the name, kind); first match wins
    (r"(?:police department|police dept|police|pd|department of public safety|public safety department|dps)",
     "city_police"),
    (r"county (?:sheriff's office|sheriffs office|sheriff's department|sheriff|so|sd)", "sheriff"),
    (r"(?:sheriff's office|sheriffs office|sheriff|so|sd)", "sheriff"),
    (r"(?:district attorney's office|district attorney|das office|da office|da)", "district_attorney"),
    (r"(?:probation department|probation)", "probation"),
)
_SCHOOL = re.compile(r"universit|college|campus|school|unified|\buc\b|\bcsu\b|cal state|cal poly", re.I)


def parse_agency_name(name: str) -> tuple[str, str] | None:
    """(place, kind) of a listed agency name, or None: "Hayward CA PD" -> ("Hayward",
    "city_police"); "Kings County Sheriff's Office CA" -> ("Kings", "sheriff")."""
    text = " ".join(_STATE_MARKS.sub(" ", name).replace("-", " ").split())
    city_of = re.match(r"^(?:city|town) of ", text, flags=re.I)
    text = text[city_of.end():] if city_of else text
    if city_of and not re.search(r"\b(?:pd|police|dps|so|sd|sheriff|sheriffs|sheriff's|da|das|attorney|probation|office|"
                     r"department|dept)$", text, flags=re.I) and re.fullmatch(r"[A-Za-z. ]+", text):
        text += " PD"  # "City of Vallejo (CA)": the portal entry of the city's police
    for pattern, kind in _SUFFIXES:
        m = re.search(rf"^(.+?)\s+{pattern}$", text, flags=re.I)
        if not m:
            continue
        place = m.group(1).strip()
        if kind == "city_police" and _SCHOOL.search(place):
            kind = "school_police"
        elif kind == "city_police" and re.search(r"\bport\b", place, re.I):
            kind = "port_police"
        place = re.sub(r"\s+county$", "", place, flags=re.I) if kind != "city_police" else place
        if kind in ("district_attorney", "probation") or (kind == "sheriff" and "county" not in m.group(0).lower()):
            place = re.sub(r"\s+county$", "", place, flags=re.I)
        if not re.search(r"[A-Za-z]", place) or len(place.split()) > 5:
            return None
        return place, kind
    return None


def _initials(place: str) -> str:
    return "".join(w[0] for w in form_tokens(place) if w not in ("of", "the", "and"))


def abbreviations(place: str, kind: str, sd: bool = False) -> list[tuple[str, str]]:
    """The (form, rule) pairs the rules make for one agency; ``sd``: a sheriff's
    *department* ("SD"), written "SDSD" as well as "SDSO"."""
    p = " ".join(form_tokens(place))
    i = _initials(place)
    out: list[tuple[str, str]] = []
    if kind == "city_police":
        out += [(f"{p} pd", "place"), (f"{p} police", "place"), (f"{p} police department", "place"),
                (f"{i}pd", "initials")]
    elif kind in ("school_police", "port_police", "transit_police"):
        out += [(f"{p} pd", "place"), (f"{p} police", "place")]
    elif kind == "sheriff":
        out += [(f"{p} so", "place"), (f"{p} sheriff", "place"), (f"{p} county so", "place"),
                (f"{p} county sheriff", "place"), (f"{p} co so", "place"), (f"{p} sd", "place"),
                (f"{p} county sd", "place"), (f"{i}so", "initials"), (f"{i}cso", "initials")]
        if sd:
            out += [(f"{i}sd", "initials"), (f"{i}csd", "initials")]
    elif kind == "district_attorney":
        out += [(f"{p} da", "place"), (f"{p} county da", "place"), (f"{p} co da", "place"),
                (f"{p} district attorney", "place"), (f"{p} county district attorney", "place"),
                (f"{p} das office", "place"), (f"{i}da", "initials"), (f"{i}cda", "initials")]
    elif kind == "probation":
        out += [(f"{p} probation", "place"), (f"{p} county probation", "place"), (f"{p} co probation", "place")]
    # "CSO", "PSO", "ISO", "ADA", "NDA": one letter and two agency letters are words of their own,
    # except "xPD" ("HPD"), which officers do write for a one-word city; "KCSO", "KCDA" are fine
    return [(text, rule) for text, rule in out
            if rule != "initials" or len(text) >= 4 or (kind == "city_police" and len(text) >= 3)]


# --- loading ---------------------------------------------------------------------------


def read_table_rows(path: Path | str, text: str | None = None) -> list[Form]:
    """Rows of a table file (packaged or a user's override), checked column by column."""
    source = str(path)
    handle = (text if text is not None else Path(path).read_text(encoding="utf-8-sig")).splitlines()
    reader = csv.reader(handle)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("abbreviation", "agency") if c not in header]
    if missing:
        raise AgencyTableError(source, 1, missing[0], f"an agency table needs the columns {', '.join(TABLE_COLUMNS)}; "
                               f"found {header}")
    at = {c: header.index(c) for c in TABLE_COLUMNS if c in header}
    rows: list[Form] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue

        def cell(column: str, cells=cells) -> str:
            i = at.get(column)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        abbreviation, name = cell("abbreviation"), cell("agency")
        if not form_tokens(abbreviation):
            raise AgencyTableError(source, number, "abbreviation", f"{abbreviation!r} has no letters or digits")
        kind, state, rule = cell("kind") or "city_police", (cell("state") or "CA").upper(), cell("rule") or "override"
        if name and kind not in KINDS:
            raise AgencyTableError(source, number, "kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        if not re.fullmatch(r"[A-Z]{2}", state):
            raise AgencyTableError(source, number, "state", f"{state!r} is not a two-letter state (or US)")
        if rule not in RULES:
            raise AgencyTableError(source, number, "rule", f"{rule!r} is not one of {', '.join(RULES)}")
        rows.append(Form(abbreviation, Agency(name, kind, state), rule))
    return rows


def packaged_rows() -> list[Form]:
    rows: list[Form] = []
    for name in PACKAGED:
        data = resources.files("forensics") / "data" / name
        rows += read_table_rows(f"forensics/data/{name}", data.read_text(encoding="utf-8"))
    return rows


def load_agency_table(override: Path | str | None = None) -> AgencyTable:
    """The packaged tables, with a user's override file applied (rows replace by abbreviation)."""
    rows = packaged_rows()
    if override is not None:
        if not Path(override).is_file():
            raise AgencyTableError(str(override), 0, "-", "no such file")
        extra = read_table_rows(override)
        replaced = {form_tokens(f.text) for f in extra}
        rows = [f for f in rows if form_tokens(f.text) not in replaced] + [f for f in extra if f.agency.name]
    return AgencyTable.of(rows)


def ambiguous_forms(table: AgencyTable) -> dict[str, list[str]]:
    """Every form that names more than one agency, with the agencies (the listed ambiguities)."""
    return {" ".join(k): sorted(f.agency.name for f in v) for k, v in table.forms.items() if len(v) > 1}
