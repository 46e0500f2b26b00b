"""How officers write the reason for a search: honestly, vaguely, not at all, or evasively.

The writer's word lists are its own, calibrated to FACTS.md ("How often, and in what
words"; "Reasons seen in reporting") and to Eugene's public search audit; they are not
the forensic classifier's vocabulary (``forensics/vocabulary.py``), so an auditor scored
on a simulated log meets text it was not built from.

``write_reason`` draws what a local officer writes for one search from a ``ReasonMix``;
``proxy_reason`` what an in-state proxy writes when it names an outside purpose, now and
then re-spelt past keyword filters (``adversarial_spellings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np

WORDINGS = ("concrete", "vague", "missing", "assist", "outside")  # outside: names an outside purpose


@dataclass(frozen=True)
class ReasonMix:
    """How local reasons are written; each default with its source."""

    # FACTS.md, California portals: "in the other 75 agencies about 20% of searches have
    # none" (30% over all 78 portals, 3 of which show no reason for any search).
    missing_share: float = 0.20
    # FACTS.md, California portals: among searches that carry a reason, vague 36%
    # (concrete 63%, assist 0.4%). Of the searches with a reason, for the agency's own work.
    vague_share: float = 0.36
    # FACTS.md, The Colony network log: case number only 5.8% against 88.8% substantive,
    # so 6% of concrete reasons are a bare case number.
    case_only_share: float = 0.06
    # assumption (the earlier ``local_case_number_share``): concrete searches that fill in
    # the case-number field. Vague and missing searches carry none: a case number is a
    # concrete purpose in FACTS.md's labelling.
    case_number_share: float = 0.75
    # assumption: concrete searches that also pick an offense type from the form's list.
    offense_type_share: float = 0.7
    # assumption: of the searches truly run for another in-state agency, the share whose
    # reason says so ("AOA", "assist CHP"; FACTS.md: the form a proxy search often takes).
    # With the registry's ``assist_share`` this lands near the real 0.3-0.4% of rows.
    assist_wording_share: float = 0.4
    # Eugene's audit: 22 of 790 "investigation"-family words misspelt (2.8%).
    typo_rate: float = 0.03
    # Eugene's audit: 4.6% of reasons with a word of five letters or more are written in
    # capitals (23% of all reasons are, most of them acronyms such as "UUV").
    upper_case_share: float = 0.05
    # assumption: concrete local reasons with an innocent word that trips keyword filters
    # ("black ice", "ice cream truck", "police"); kept under FACTS.md's 0.25% of all rows
    # carrying a federal or immigration term.
    innocent_share: float = 0.003
    # assumption (no public count): proxy searches naming an outside purpose whose
    # filtered terms are re-spelt ("I.C.E.", "imigration", "HSl").
    adversarial_share: float = 0.25

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                raise ValueError(f"ReasonMix.{f.name}: {value!r} must be a share between 0 and 1")

    @property
    def concrete_share(self) -> float:
        """Concrete reasons among the reasoned own-work searches."""
        return 1.0 - self.vague_share


REASON_MIX = ReasonMix()


@dataclass(frozen=True)
class WrittenReason:
    """What the log will show for one search, and how it was written (the truth)."""

    reason: str
    offense_type: str | None
    case_number: str | None
    wording: str  # one of WORDINGS
    innocent_trap: bool = False  # an innocent word that trips keyword filters
    adversarial: bool = False  # a filtered term re-spelt to pass keyword filters


# Concrete purposes: code sections and crime words (FACTS.md "Typical local reasons";
# Eugene's dropdown-like "Person Crime", "Property Crime", "UUV"), with an offense type.
LOCAL_REASONS: tuple[tuple[str, str | None], ...] = (
    ("211PC", "Robbery"), ("211 PC robbery", "Robbery"), ("245(a)(2)PC", "Assault"),
    ("ADW 245", "Assault"), ("10851 VC", "Stolen Vehicle"), ("10851VC stolen veh", "Stolen Vehicle"),
    ("stolen vehicle", "Stolen Vehicle"), ("Stolen veh recovery", "Stolen Vehicle"), ("UUV", "Stolen Vehicle"),
    ("robbery", "Robbery"), ("armed robbery suspect veh", "Robbery"), ("missing person", "Missing Person"),
    ("Missing juvenile", "Missing Person"), ("187 PC", "Homicide"), ("homicide", "Homicide"),
    ("homicide inv", "Homicide"), ("459 PC burglary", "Burglary"), ("burglary suspect", "Burglary"),
    ("hit and run 20001 VC", "Hit and Run"), ("20002 VC H&R", "Hit and Run"), ("shooting 246 PC", "Shooting"),
    ("shots fired", "Shooting"), ("carjacking 215", "Carjacking"), ("sideshow 23109 VC", "Reckless Driving"),
    ("catalytic converter theft", "Theft"), ("487 grand theft", "Theft"), ("retail theft 490.4 PC", "Theft"),
    ("DV 273.5", "Domestic Violence"), ("kidnapping 207", "Kidnapping"), ("Amber Alert", "Missing Person"),
    ("Person Crime", None), ("Property Crime", None), ("welfare check", "Welfare Check"),
    ("wanted subject", "Warrant"), ("felony warrant", "Warrant"), ("DUI 23152 VC", "DUI"),
    ("stolen plate", "Stolen Vehicle"), ("evading 2800.2 VC", "Evading"), ("vandalism 594 PC", "Vandalism"),
    ("identity theft 530.5 PC", "Fraud"), ("assault with a deadly weapon", "Assault"),
    ("hotlist hit follow up", "Stolen Vehicle"),
)

# Vague reasons and their weights among vague ones. Eugene: the "investigation" family is
# 56% of its vague rows, "Suspicious Vehicle" 27%, the UI artefact "daytime search for
# best result" 12%, tests 5%; FACTS.md's California list adds "BOL", "search", a lone
# number; the Houston bulletin's "as vague as permissible (e.g. 'Investigation')". The
# split for California is an assumption resting on those.
VAGUE_WORDING: tuple[tuple[str, float], ...] = (
    ("investigation", 0.15), ("Investigation", 0.13), ("inv", 0.06), ("Inv", 0.02), ("investigative", 0.04),
    ("Investigations", 0.03), ("investigations", 0.02), ("invest", 0.03), ("criminal investigation", 0.03),
    ("investigation follow up", 0.02), ("crim inv", 0.02),
    ("suspicious vehicle", 0.08), ("Suspicious Vehicle", 0.04),
    ("Daytime search for best result", 0.08),
    ("BOL", 0.04), ("BOLO", 0.02), ("ATL", 0.02),
    ("search", 0.03), ("lookup", 0.01), ("info", 0.01), ("follow up", 0.02),
    ("1", 0.006), ("2", 0.006), ("5", 0.006), ("11", 0.006), ("99", 0.006),
    ("Administrative Test", 0.02), ("test", 0.015), ("Camera Test", 0.005), ("Training", 0.01),
    ("CFS", 0.01), ("patrol", 0.005), ("police", 0.005),
)
# Misspellings of "investigation" seen in Eugene's audit (the family's typos).
VAGUE_MISSPELLINGS: tuple[str, ...] = (
    "invetigation", "investigatin", "inestigation", "investagation", "investgation", "investigaton",
    "investigtion", "invesigation", "Investigaiton", "Investigatoin", "ivestigations", "investigatiom",
)
_VAGUE_TEXTS = tuple(text for text, _ in VAGUE_WORDING)
_VAGUE_P = np.array([w for _, w in VAGUE_WORDING]) / sum(w for _, w in VAGUE_WORDING)
# Every vague text the writer can emit (capitals and misspellings included): a reason in
# here with no case number was written without a purpose.
VAGUE_REASONS: tuple[str, ...] = tuple(sorted(
    {*_VAGUE_TEXTS, *VAGUE_MISSPELLINGS} | {t.upper() for t in (*_VAGUE_TEXTS, *VAGUE_MISSPELLINGS)}))

# Local purposes with an innocent word a keyword filter trips on. Whole-word filters
# ("ICE", "immigration") trip on the first four; a naive substring check for "ice" trips
# on all but "immigration consultant fraud" (California's notario-fraud law, B&P 22440).
# No innocent use of "CBP", "HSI" or "ERO" is written.
INNOCENT_REASONS: tuple[tuple[str, str], ...] = (
    ("hit and run on black ice 20001 VC", "Hit and Run"), ("ice cream truck burglary 459 PC", "Burglary"),
    ("ice meth sales 11378 HS", "Narcotics"), ("immigration consultant fraud 22440 BP", "Fraud"),
    ("catalytic converter theft Alice St", "Theft"), ("impersonating police 538d PC", "Fraud"),
    ("service station robbery 211 PC", "Robbery"), ("card skimming device 502 PC", "Fraud"),
    ("white Honda nice rims 10851 VC", "Stolen Vehicle"), ("Justice Center vandalism 594 PC", "Vandalism"),
)

# Assist wording (FACTS.md: "AOA" / "AOD" mean assist other agency / department).
ASSIST_WORDING: tuple[str, ...] = ("AOA", "AOD", "assist {name}", "AOA {name}", "assist other agency")

HONEST_FEDERAL: dict[str, tuple[str, ...]] = {  # FACTS.md, "Reasons seen in reporting"
    "ice-ero": ("ICE case", "ICE", "ICE+ERO", "ICE WARRANT", "Immigration - ICE", "immigration"),
    "hsi": ("HSI", "Immigration - HSI", "assist HSI", "HSI investigation"),
    "cbp": ("CBP", "assist CBP", "border patrol request"),
    "fbi": ("assist FBI", "FBI fugitive", "FBI case"),
    "dea": ("DEA narcotics", "assist DEA", "DEA TF"),
    "atf": ("ATF firearms", "assist ATF", "ATF trace"),
    "usms": ("USMS warrant", "US Marshals fugitive", "assist US Marshall"),
}
TASK_FORCE_REASONS: tuple[tuple[str, str], ...] = (
    ("narcotics investigation", "Narcotics"), ("fugitive apprehension", "Warrant"), ("TF case", "Narcotics"),
    ("firearms trafficking", "Weapons"), ("gang investigation", "Gang"),
)
OUT_OF_STATE_HONEST = ("assist {name}", "{state} agency request", "OOS request {name}")
# What a proxy writes to keep a search vague: the Houston bulletin's "Investigation" first.
PROXY_VAGUE: tuple[tuple[str, float], ...] = (
    ("Investigation", 0.3), ("investigation", 0.2), ("inv", 0.1), ("AOA", 0.1), ("AOD", 0.05),
    ("assist", 0.05), ("follow up", 0.1), ("BOL", 0.1),
)
_PROXY_VAGUE_P = np.array([w for _, w in PROXY_VAGUE]) / sum(w for _, w in PROXY_VAGUE)

# Terms that name a federal or immigration purpose and that keyword rules look for
# (Flock's 2025 filter: "immigration", "ICE"; the packs' SB 54 and SB 34 lists).
FILTERED_TERMS = frozenset({"ice", "ero", "hsi", "cbp", "usbp", "immigration", "deportation", "border", "patrol",
                            "fbi", "dea", "atf", "usms", "marshals", "marshall", "homeland", "federal"})
# Look-alike letters: ASCII substitutes, then Cyrillic letters drawn the same as Latin ones.
_ASCII_LOOKALIKE = {"I": "l1|", "i": "1l", "O": "0", "o": "0", "S": "5", "s": "5", "E": "3", "B": "8", "l": "1",
                    "A": "4", "a": "@"}
_CYRILLIC = str.maketrans("AaBCcEeHIiKMOoPpTXx", "АаВСсЕеНІіКМОоРрТХх")
_WORD = re.compile(r"[A-Za-z]+")


def adversarial_spellings(word: str) -> tuple[str, ...]:
    """Spellings of ``word`` a reader still understands but a keyword filter misses.

    Spacing and punctuation ("I.C.E.", "I C E"), look-alike letters ("lCE", "1CE", a
    Cyrillic "ІСЕ"), and for longer words misspellings ("imigration", "immigraton") and
    split words. Every spelling returned avoids ``word`` as a case-insensitive substring.
    """
    if not word.isalpha():
        raise ValueError(f"adversarial_spellings: {word!r} must be one word of letters")
    out: list[str] = []
    if len(word) <= 5:  # initialisms
        out += [".".join(word) + ".", " ".join(word), "-".join(word), ".".join(word)]
    for i, ch in enumerate(word):
        out += [word[:i] + sub + word[i + 1:] for sub in _ASCII_LOOKALIKE.get(ch, "")]
    out.append(word.translate(_CYRILLIC))
    if len(word) > 5:
        lower = word.lower()
        out += [word[:i] + word[i + 1:] for i in range(1, len(word)) if lower[i] == lower[i - 1]]  # imigration
        out += [word[:i] + word[i + 1:] for i in range(1, len(word) - 1) if lower[i] in "aeiou"]  # immigraton
        mid = len(word) // 2
        out += [word[:mid] + word[mid + 1] + word[mid] + word[mid + 2:],  # immigartion
                word[:mid] + " " + word[mid:], word[:mid] + "-" + word[mid:]]
    low = word.lower()
    return tuple(dict.fromkeys(v for v in out if low not in v.lower() and v != word))


def evade_filters(rng: np.random.Generator, text: str) -> str:
    """``text`` with every filtered term re-spelt (one spelling drawn per term)."""
    def respell(match: re.Match) -> str:
        word = match.group(0)
        if word.lower() not in FILTERED_TERMS:
            return word
        choices = adversarial_spellings(word)
        return choices[int(rng.integers(len(choices)))]
    return _WORD.sub(respell, text)


def misspell(rng: np.random.Generator, text: str) -> str:
    """One typing slip in the longest word of five letters or more (else ``text``)."""
    words = [m for m in _WORD.finditer(text) if len(m.group(0)) >= 5]
    if not words:
        return text
    m = max(words, key=lambda w: len(w.group(0)))
    word, i = m.group(0), int(rng.integers(1, len(m.group(0)) - 1))
    kind = int(rng.integers(3))
    if kind == 0 or word[i] == word[i + 1]:
        slip = word[:i] + word[i + 1:]  # a letter dropped
    elif kind == 1:
        slip = word[:i] + word[i + 1] + word[i] + word[i + 2:]  # two letters swapped
    else:
        slip = word[:i] + word[i] + word[i:]  # a letter doubled
    return text[:m.start()] + slip + text[m.end():]


def case_number(rng: np.random.Generator, year: int = 25) -> str:
    style = rng.integers(0, 3)
    if style == 0:
        return f"{year}-{int(rng.integers(1, 99999)):05d}"
    if style == 1:
        return f"{year}{int(rng.integers(100000, 999999))}"
    return f"RD{year}-{int(rng.integers(1000, 9999))}"


def write_reason(rng: np.random.Generator, mix: ReasonMix = REASON_MIX, assisting: str | None = None) -> WrittenReason:
    """What a local officer writes for one search; ``assisting`` names the agency it is for."""
    if rng.random() < mix.missing_share:
        return WrittenReason("", None, None, "missing")
    if assisting is not None and rng.random() < mix.assist_wording_share:
        template = ASSIST_WORDING[int(rng.integers(len(ASSIST_WORDING)))]
        case = case_number(rng) if rng.random() < mix.case_number_share else None
        return WrittenReason(template.format(name=assisting), None, case, "assist")
    upper = rng.random() < mix.upper_case_share
    if rng.random() < mix.vague_share:
        text = _VAGUE_TEXTS[int(rng.choice(len(_VAGUE_TEXTS), p=_VAGUE_P))]
        if "investigation" in text.lower() and rng.random() < mix.typo_rate:
            text = VAGUE_MISSPELLINGS[int(rng.integers(len(VAGUE_MISSPELLINGS)))]
        return WrittenReason(text.upper() if upper else text, None, None, "vague")
    case = case_number(rng) if rng.random() < mix.case_number_share else None
    if rng.random() < mix.case_only_share:
        text = case or case_number(rng)
        return WrittenReason(text, None, case, "concrete")
    innocent = rng.random() < mix.innocent_share
    if innocent:
        text, offense = INNOCENT_REASONS[int(rng.integers(len(INNOCENT_REASONS)))]
    else:
        text, offense = LOCAL_REASONS[int(rng.integers(len(LOCAL_REASONS)))]
        if rng.random() < mix.typo_rate:
            text = misspell(rng, text)
    if rng.random() >= mix.offense_type_share:
        offense = None
    return WrittenReason(text.upper() if upper else text, offense, case, "concrete", innocent_trap=innocent)


def honest_reason(rng: np.random.Generator, beneficiary: str, name: str, state: str) -> str:
    choices = HONEST_FEDERAL.get(beneficiary)
    if choices:
        return str(rng.choice(choices))
    return str(rng.choice(OUT_OF_STATE_HONEST)).format(name=name, state=state)


def proxy_reason(rng: np.random.Generator, beneficiary: str, name: str, state: str,
                 mix: ReasonMix = REASON_MIX) -> WrittenReason:
    """What a proxy writes when it names the outside purpose: plainly, or re-spelt past filters."""
    text = honest_reason(rng, beneficiary, name, state)
    if rng.random() < mix.adversarial_share:
        evasive = evade_filters(rng, text)
        return WrittenReason(evasive, None, None, "outside", adversarial=evasive != text)
    return WrittenReason(text, None, None, "outside")


def vague_reason(rng: np.random.Generator) -> str:
    """A proxy's vague reason (the Houston bulletin: "as vague as permissible")."""
    return PROXY_VAGUE[int(rng.choice(len(PROXY_VAGUE), p=_PROXY_VAGUE_P))][0]


def disguised_reason(rng: np.random.Generator) -> tuple[str, str]:
    """A local-looking purpose invented for someone else's search (never a bare category)."""
    while True:
        reason, offense = LOCAL_REASONS[int(rng.integers(len(LOCAL_REASONS)))]
        if offense is not None:
            return reason, offense
