"""Agencies named in a reason, and whose log it is.

A reason that names an agency ("SJPD 26-01234", "burglary for Hayward PD", "ACSO 459",
"navy pd") is read through the agency table (``forensics.agencytable``): federal agencies
make it ``federal``, agencies of another state ``out_of_state``, agencies of the owner's
state ``assist_other``. Whose log it is decides the rest: naming the searching agency
itself ("OPD 26-..." in Oakland's log) is its own work, naming any other is an assist.
When the searcher is not known, a bare in-state agency name beside an own case number
stays weak (it is most often the searcher's own), as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from forensics.agencytable import AgencyTable, Form, load_agency_table

# words before an agency that make it the beneficiary ("for SJPD", "per ACSO", "w/ CHP")
BENEFICIARY_WORDS = frozenset("for per obo w with req request requested from by assist assisting aoa aod "
                              "help helping courtesy on behalf".split())
# a colour before a vehicle word is not the Navy ("navy blue honda")
_COLOUR_AFTER = frozenset("blue colored color colour colored sedan suv truck van car veh vehicle pickup coupe "
                          "honda toyota ford nissan chevy chevrolet bmw kia hyundai dodge jeep tesla".split())
WEIGHT_BENEFICIARY = 0.8  # "for Hayward PD": the text says who benefits
WEIGHT_NAMED = 0.55  # a bare in-state name: weak while the searcher is unknown (may be its own)
WEIGHT_OTHER = 0.8  # a named agency that is not the known searcher


@dataclass(frozen=True)
class Mention:
    label: str
    weight: float
    term: str  # what the evidence shows: the words as written and the agency they name
    span: int
    agencies: tuple[str, ...]  # agency names (several: an ambiguous form)
    form: tuple[str, ...]  # the words, normalised


_STATE: dict[str, AgencyTable | None] = {"table": None}
_ON_CHANGE: list[Callable[[], None]] = []


def agency_table() -> AgencyTable:
    table = _STATE["table"]
    if table is None:
        table = _STATE["table"] = load_agency_table()
    return table


def use_agency_table(table: AgencyTable | None) -> None:
    """Read reasons through ``table`` from now on (None: the packaged table); clears caches."""
    _STATE["table"] = table
    searcher_identity.cache_clear()
    for clear in _ON_CHANGE:
        clear()


def on_table_change(clear: Callable[[], None]) -> None:
    _ON_CHANGE.append(clear)


def form_token(token: str) -> str:
    """A text token as the table writes it ("Sheriff's" -> "sheriff")."""
    low = token.lower().replace("'s", "s").replace("'", "")
    return "sheriff" if low == "sheriffs" else low


def table_mention(ftoks: list[str], original: list[str], i: int, owner_state: str) -> Mention | None:
    """The agency the words at ``i`` name, if the table knows them."""
    table = agency_table()
    hit = table.match(ftoks, i)
    if hit is None:
        return None
    span, forms = hit
    # initials are local shorthand: read them only in logs of the table's own state
    forms = tuple(f for f in forms if f.rule != "initials" or f.agency.state == owner_state)
    if not forms:
        return None
    prev = ftoks[i - 1] if i else ""
    nxt = ftoks[i + span] if i + span < len(ftoks) else ""
    words = ftoks[i:i + span]
    if words == ["navy"] and nxt in _COLOUR_AFTER:
        return None
    if words[0] in ("army", "navy") and prev == "salvation":
        return None
    label = _label_of(forms[0], owner_state)
    forms = tuple(f for f in forms if _label_of(f, owner_state) == label)  # an ambiguity within one label
    written = " ".join(original[i:i + span])
    names = tuple(dict.fromkeys(f.agency.name for f in forms))
    if len(names) == 1:
        term = f"{written} = {names[0]}"
    else:
        term = f"{written} = one of {len(names)}: " + "; ".join(names)
    beneficiary = prev in BENEFICIARY_WORDS or (i > 1 and ftoks[i - 2] in BENEFICIARY_WORDS and prev in ("the", "a"))
    if label == "assist_other":
        weight = WEIGHT_BENEFICIARY if beneficiary else WEIGHT_NAMED
    else:
        weight = 0.9
    return Mention(label, weight, term, span, names, tuple(words))


def _label_of(form: Form, owner_state: str) -> str:
    if form.agency.kind == "federal" or form.agency.state == "US":
        return "federal"
    return "assist_other" if form.agency.state == owner_state else "out_of_state"


@lru_cache(maxsize=4096)
def searcher_identity(name: str) -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """(agency names, forms) that mean the searching agency ``name``; empty when unknown."""
    if not name.strip():
        return frozenset(), frozenset()
    return agency_table().identify(name)


def is_own(agencies: tuple[str, ...], form: tuple[str, ...], searcher: str) -> bool | None:
    """Whether a mention names the searcher: True, False, or None when the searcher is unknown
    or the named agency is a fusion centre (which searches for others by design: "NCRIC
    request" in NCRIC's own log is a request relayed through it)."""
    names, forms = searcher_identity(searcher)
    if not names and not forms:
        return None
    table = agency_table()
    if agencies and all(getattr(table.by_name.get(a.lower()), "kind", "") == "fusion" for a in agencies):
        return None
    if names.intersection(agencies) or form in forms:
        return True
    # a clipped place before the same agency word: "Oak PD" in Oakland's log
    return len(form) == 2 and len(form[0]) >= 3 and any(
        len(f) == 2 and f[1] == form[1] and f[0] != form[0] and f[0].startswith(form[0]) for f in forms)
