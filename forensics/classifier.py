"""The purpose classifier: one label per logged search, from what its text shows.

Labels, strongest first (a row gets the first that has evidence):

- ``immigration``: immigration enforcement is the stated purpose ("ICE case", "ERO", "CBP",
  "Immigration - HSI", "deportation", "8 USC 1326");
- ``federal``: for or with a federal agency or federal task force ("assist FBI", "USMS",
  "US Marshall", "HSI", "JTTF", "TFO", an org tagged "[Federal]");
- ``out_of_state``: for an agency outside the owner's state ("OOS", "Houston TX PD",
  "Reno PD", "Oregon State Police", or the searching org itself);
- ``assist_other``: another agency, neither federal nor out-of-state ("AOA", "AOD",
  "assist CHP", "DOJ" in California, a bare "TF");
- ``own_case``: a concrete own purpose (offence word, code section, case number);
- ``vague``: text without a real purpose ("investigation", "inv", "BOL", "daytime search for
  best result");
- ``missing``: nothing (empty or masked).

Each verdict carries a score (how sure, 0..1) and its evidence (the terms and rules that
decided, the deciding label first). Traps handled on purpose: the surname Marshall and town
marshals, "DOJ" meaning a state DOJ, "ice" the drug, "US 101", "Federal Way", "VA" as
Virginia, negations ("not ICE related"), "wanted subject from NV" (a state without an agency).

Text verdicts are cached by distinct string, so a real log (where reasons repeat) costs one
dict lookup per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import repeat

import numpy as np

from forensics.mentions import WEIGHT_OTHER, form_token, is_own, on_table_change, table_mention
from forensics.orgnames import STATE_BY_NAME, STATES, classify_org
from forensics.scoring import LABELS as _SCORED_LABELS
from forensics.scoring import precision_recall
from forensics.vocabulary import (
    AGENCY_WORDS as _AGENCY_WORDS,
)
from forensics.vocabulary import (
    CASE_NUMBER as _CASE_NUMBER,
)
from forensics.vocabulary import (
    CASE_PLACEHOLDERS as _CASE_PLACEHOLDERS,
)
from forensics.vocabulary import (
    CITIES as _CITIES,
)
from forensics.vocabulary import (
    CODE_SECTION as _CODE_SECTION,
)
from forensics.vocabulary import (
    DRUG_CONTEXT as _DRUG_CONTEXT,
)
from forensics.vocabulary import (
    FUZZY as _FUZZY,
)
from forensics.vocabulary import (
    GENERIC_OFFENSE as _GENERIC_OFFENSE,
)
from forensics.vocabulary import (
    HAS_DIGIT as _HAS_DIGIT,
)
from forensics.vocabulary import (
    KNOWN_AGENCIES as _KNOWN_AGENCIES,
)
from forensics.vocabulary import (
    MISSING_TEXT as _MISSING_TEXT,
)
from forensics.vocabulary import (
    NEGATIONS as _NEGATIONS,
)
from forensics.vocabulary import (
    PHRASE_LENGTHS as _PHRASE_LENGTHS,
)
from forensics.vocabulary import (
    PHRASE_STARTS as _PHRASE_STARTS,
)
from forensics.vocabulary import (
    PHRASES as _PHRASES,
)
from forensics.vocabulary import (
    TOKEN as _TOKEN,
)
from forensics.vocabulary import (
    UNIGRAMS as _UNIGRAMS,
)
from forensics.vocabulary import (
    USC_1326 as _USC_1326,
)
from forensics.vocabulary import (
    WORDLIKE_CODES as _WORDLIKE_CODES,
)

__all__ = ["LABELS", "Signal", "Verdict", "classify", "classify_columns", "classify_named_columns",
           "classify_records", "precision_recall", "text_signals"]

LABELS = ("immigration", "federal", "out_of_state", "assist_other", "own_case", "vague", "missing")
_RANK = {label: i for i, label in enumerate(LABELS)}
assert LABELS == _SCORED_LABELS


@dataclass(frozen=True)
class Verdict:
    label: str
    score: float
    evidence: str
    named: str = ""  # the agency the deciding words name (assists, federal, out-of-state), or ""


@dataclass(frozen=True)
class Signal:
    label: str
    weight: float
    term: str
    agencies: tuple[str, ...] = ()  # agencies the words name (several: an ambiguous abbreviation)
    form: tuple[str, ...] = ()  # the agency words, normalised ("hayward", "pd")


def _norm_text(text: str) -> str:
    # "+" for spaces (URL-encoded exports), dots inside initialisms ("F.B.I.", "U.S.")
    text = text.replace("+", " ").replace("_", " ")
    if "." not in text:
        return text
    return re.sub(r"\b([A-Za-z])\.(?=[A-Za-z]\.)|\b([A-Za-z])\.(?=[A-Za-z]\b)",
                  lambda m: m.group(1) or m.group(2), text)


def text_signals(reason: str, owner_state: str = "CA") -> tuple[list[Signal], list[str]]:
    """Signals in one reason text, and notes on traps avoided (for the evidence)."""
    text = _norm_text(reason)
    low = text.lower()
    # Words decide through the vocabulary, long digit runs only through the regexes below;
    # so "robbery 24-123456" and "robbery 24-654321" share one token analysis.
    key = (tuple("#" if t.isdigit() and len(t) >= 4 and t not in _DRUG_CONTEXT else t
                 for t in _TOKEN.findall(text)), owner_state)
    hit = _TOKEN_CACHE.get(key)
    if hit is None:
        if len(_TOKEN_CACHE) >= _CACHE_LIMIT:
            _TOKEN_CACHE.clear()
        found, found_notes = _token_signals(list(key[0]), owner_state)
        hit = _TOKEN_CACHE[key] = (tuple(found), tuple(found_notes))
    signals, notes = list(hit[0]), list(hit[1])
    if _HAS_DIGIT(low):
        code = _CODE_SECTION.search(low)
        if code:
            signals.append(Signal("own_case", 0.95, f"code {code.group(0)}"))
        case = _CASE_NUMBER.search(low)
        if case:
            signals.append(Signal("own_case", 0.85, f"case no. {case.group(0)}"))
        if _USC_1326.search(low) and not any(s.label == "immigration" for s in signals):
            signals.append(Signal("immigration", 0.85, "8 USC 1326 (illegal re-entry)"))
    return signals, notes


def _token_signals(original: list[str], owner_state: str) -> tuple[list[Signal], list[str]]:
    tokens = [t.lower() for t in original]
    ftoks = [form_token(t) for t in original]
    signals: list[Signal] = []
    notes: list[str] = []
    n = len(tokens)
    used: set[int] = set()

    def negated(i: int) -> bool:  # "not ICE", "non-immigration", "not for ICE", "not an ICE case"
        if i and tokens[i - 1] in _NEGATIONS:
            return True
        return i > 1 and tokens[i - 2] in ("not", "non") and tokens[i - 1] in ("for", "a", "an", "related", "by")

    def add(label: str, weight: float, term: str, at: int, span: int = 1, agencies: tuple[str, ...] = (),
            form: tuple[str, ...] = ()) -> None:
        if label in ("immigration", "federal") and negated(at):
            notes.append(f"negated {term!r}")
            used.update(range(at, at + span))
            return
        signals.append(Signal(label, weight, term, agencies, form))
        used.update(range(at, at + span))

    for i, tok in enumerate(tokens):
        if i in used:
            continue
        named = table_mention(ftoks, original, i, owner_state)
        if named is not None:
            vocab = _UNIGRAMS.get(tok) if named.span == 1 else _PHRASES.get(tuple(tokens[i:i + named.span]))
            weight = max(named.weight, vocab[1]) if vocab and vocab[0] == named.label else named.weight
            add(named.label, weight, named.term, i, named.span, named.agencies, named.form)
            continue
        if tok in _PHRASE_STARTS:
            phrase = next((p for k in _PHRASE_LENGTHS if i + k <= n and (p := tuple(tokens[i:i + k])) in _PHRASES), None)
            if phrase is not None:
                label, weight, term = _PHRASES[phrase]
                add(label, weight, term, i, len(phrase))
                continue
        special = _special(i, tokens, original, owner_state, notes)
        if special is not None:
            label, weight, term, span = special
            if label and term.startswith("agency "):  # an agency the table does not know ("Foo PD", "LCSO")
                form = tuple(form_token(t) for t in term[7:].strip("'").split())
                lead = i - len(form) if tok in ("pd", "sheriff", "sheriffs", "sheriff's", "so") else i - 1
                if lead >= 0 and tokens[lead] in _BENEFICIARY:
                    weight = max(weight, 0.8)
                add(label, weight, term, i, span, (), form)
            elif label:
                add(label, weight, term, i, span)
            else:
                used.update(range(i, i + span))
            continue
        entry = _UNIGRAMS.get(tok)
        if entry is None and len(tok) >= 6 and not tok.isdigit():
            fixed = _fuzzy(tok)
            if fixed:
                entry = _UNIGRAMS.get(fixed)
                if entry is not None:
                    entry = (entry[0], entry[1] - 0.05, f"{tok}~{fixed}")
        if entry is not None:
            add(entry[0], entry[1], entry[2] if entry[2] != tok else original[i], i)
    return signals, notes


def _fuzzy(token: str) -> str | None:
    if token in _FUZZY:
        return _FUZZY[token]
    for i in range(len(token)):
        hit = _FUZZY.get(token[:i] + token[i + 1:])
        if hit:
            return hit
    return None


def _special(i: int, tokens: list[str], original: list[str], owner_state: str,
             notes: list[str]) -> tuple[str, float, str, int] | None:
    """Context rules for tokens that are traps on their own. None: not special."""
    tok = tokens[i]
    if tok not in _SPECIAL_STARTS and not original[i].isupper():
        return None
    prev = tokens[i - 1] if i else ""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tok == "ice":
        if nxt == "cream":
            return "", 0, "", 2
        drug = any(t in _DRUG_CONTEXT for t in tokens)
        if drug and original[i] != "ICE":
            notes.append("'ice' read as the drug")
            return "own_case", 0.8, "ice (drug)", 1
        if drug:
            notes.append("'ICE' beside drug words")
        return "immigration", 0.95 if original[i] == "ICE" else 0.8, original[i], 1
    if tok in ("marshal", "marshals", "marshall", "marshalls", "marshal's", "marshall's"):
        if prev in ("us", "usa", "federal", "fed", "united") or nxt in ("service", "services", "svc", "tf", "task", "fugitive"):
            return "federal", 0.9, f"{'US ' if prev in ('us', 'usa') else ''}{original[i]}", 1
        if prev == "fire":
            return "assist_other", 0.7, "fire marshal", 1
        notes.append(f"{original[i]!r} read as a name or town marshal")
        return "", 0, "", 1
    if tok == "us" and nxt in ("attorney", "attorneys", "atty", "customs", "doj", "army", "navy",
                               "forest", "park", "fish", "postal", "secret", "border", "dept", "department"):
        return None  # the phrase table takes it
    if tok == "doj":
        if prev in ("us", "usdoj", "federal", "fed", "united"):
            return "federal", 0.9, "US DOJ", 1
        if prev in ("cal", "ca", "california", "state"):
            return "assist_other", 0.75, "state DOJ", 1
        if owner_state == "CA":
            notes.append("'DOJ' read as the California DOJ")
            return "assist_other", 0.65, "DOJ (California)", 1
        notes.append("'DOJ' read as a state DOJ")
        return "assist_other", 0.5, "DOJ (state or federal unclear)", 1
    if tok == "va" and nxt in ("police", "hospital", "medical", "oig", "pd") and i == 0:
        return "federal", 0.8, "VA (Veterans Affairs)", 1
    if tok == "federal" and nxt == "way":
        nxt2 = tokens[i + 2] if i + 2 < len(tokens) else ""
        if nxt2 in _AGENCY_WORDS or nxt2 == "wa":
            return _state_hit("WA", owner_state, "Federal Way WA", 3, agency=True)
        return "", 0, "", 2  # the city, not the federal government
    if tok in _KNOWN_AGENCIES:
        state = _KNOWN_AGENCIES[tok]
        if state is None:
            return "assist_other", 0.5, original[i], 1
        label, weight, term, span = _state_hit(state, owner_state, original[i], 1, agency=True)
        return label, max(weight, 0.6) if label == "assist_other" else weight, term, span  # a named agency
    found = _state_mention(i, tokens, original)
    if found is not None:
        state, term, span, agency = found
        return _state_hit(state, owner_state, term, span, agency)
    if original[i].isupper() and 3 <= len(tok) <= 6 and tok[-2:] in ("pd", "so", "sd") and tok.isalpha() \
            and tok not in _NOT_AGENCIES:
        return "assist_other", 0.5, f"agency {original[i]}", 1
    if tok in ("pd", "sheriff", "sheriffs", "sheriff's", "so") and i > 0 and prev not in _NEGATIONS \
            and (tok != "so" or original[i] == "SO"):
        return "assist_other", 0.55, f"agency '{original[i - 1]} {original[i]}'", 1
    return None


def _state_hit(state: str, owner_state: str, term: str, span: int, agency: bool) -> tuple[str, float, str, int]:
    if state == owner_state:
        return "assist_other", 0.55 if agency else 0.4, f"in-state agency {term}", span
    return "out_of_state", 0.9 if agency else 0.6, f"{term} ({state})", span


def _state_mention(i: int, tokens: list[str], original: list[str]) -> tuple[str, str, int, bool] | None:
    """An agency with a state: "Houston TX PD", "TX DPS", "Oregon State Police", "Reno PD"."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    nxt2 = tokens[i + 2] if i + 2 < len(tokens) else ""
    prev = tokens[i - 1] if i else ""
    for words in (3, 2, 1):  # cities first: "las vegas", "salt lake"
        city = " ".join(tokens[i:i + words])
        if city in _CITIES and len(tokens) >= i + words:
            after = tokens[i + words:i + words + 2]
            state, skip = _CITIES[city], 0
            if after[:1] and after[0].upper() in STATES and len(after) > 1:
                state = after[0].upper()  # "Richmond VA PD" is Virginia's Richmond
                after, skip = after[1:], 1
            if after[:1] and after[0] in _AGENCY_WORDS:  # the span takes the agency word too
                return state, " ".join(original[i:i + words + skip]), words + skip + 1, True
    code = tok.upper()
    if len(tok) == 2 and code in STATES:
        if tok in _WORDLIKE_CODES and original[i] != code:
            return None
        if nxt in _AGENCY_WORDS and not (code in ("SD", "LA", "SF", "OC", "SB") and i == 0):
            return code, f"{original[i]} {original[i + 1]}", 2, True
        if prev in _AGENCY_WORDS and (nxt == "" or not nxt.isalpha()):
            return code, f"{original[i - 1]} {original[i]}", 1, True
        if prev in ("assist", "aoa", "aod", "obo", "for", "per") and tok not in _WORDLIKE_CODES:
            return code, f"{original[i - 1]} {original[i]}", 1, True
        return None
    for words in (2, 1):
        name = " ".join(tokens[i:i + words])
        if name in STATE_BY_NAME:
            after = tokens[i + words] if i + words < len(tokens) else ""
            if name in ("nevada", "washington") and after in ("county", "city", "st", "street", "ave"):
                return None
            if after in _AGENCY_WORDS and after not in ("county", "co"):
                return STATE_BY_NAME[name], " ".join(original[i:i + words + 1]), words + 1, True
            if after == "dps" or (after == "state" and nxt2 in ("police", "patrol")):
                return STATE_BY_NAME[name], " ".join(original[i:i + words + 1]), words, True
    return None


# tokens worth a look by _special (others go straight to the vocabulary)
_SPECIAL_STARTS = frozenset(
    {"ice", "us", "doj", "va", "federal", "pd", "sheriff", "sheriffs", "sheriff's", "so",
     "marshal", "marshals", "marshall", "marshalls", "marshal's", "marshall's"}
    | set(_KNOWN_AGENCIES) | {c.split()[0] for c in _CITIES} | {c.lower() for c in STATES}
    | {name.split()[0] for name in STATE_BY_NAME})

_TOKEN_CACHE: dict[tuple[tuple[str, ...], str], tuple[tuple[Signal, ...], tuple[str, ...]]] = {}
_TEXT_CACHE: dict[tuple[str, str], tuple[tuple[Signal, ...], tuple[str, ...]]] = {}
_CACHE_LIMIT = 50_000  # entries per cache (cleared when full): memory stays flat on huge files


def cached_text_signals(reason: str, owner_state: str) -> tuple[tuple[Signal, ...], tuple[str, ...]]:
    key = (reason, owner_state)
    hit = _TEXT_CACHE.get(key)
    if hit is None:
        if len(_TEXT_CACHE) >= _CACHE_LIMIT:
            _TEXT_CACHE.clear()  # bound memory on huge files of distinct reasons
        signals, notes = text_signals(reason, owner_state)
        hit = _TEXT_CACHE[key] = (tuple(signals), tuple(notes))
    return hit


def classify(reason: str, case_number: str = "", offense_type: str = "", org: str = "",
             owner_state: str = "CA", searcher: str = "") -> Verdict:
    """The label, score and evidence of one logged search.

    ``org`` is the searching organization as the log names it (network audits); ``searcher``
    the searching agency of rows without one (a portal log's own agency, ``--agency``).
    """
    reason = (reason or "").strip()
    signals, notes = cached_text_signals(reason, owner_state) if reason else ((), ())
    signals = _whose(list(signals), org or searcher)
    notes = list(notes)
    case = (case_number or "").strip()
    if case.lower() not in _CASE_PLACEHOLDERS:
        signals.append(Signal("own_case", 0.85, case if case == "case number given" else f"case number {case!r}"))
    offense = (offense_type or "").strip()
    if offense and offense.lower() not in _GENERIC_OFFENSE:
        offense_signals, _ = cached_text_signals(offense, owner_state)
        strong = [s for s in offense_signals if s.label in ("immigration", "federal", "out_of_state", "assist_other")]
        signals.extend(Signal(s.label, s.weight, f"offense type {s.term}") for s in strong)
        if not strong:
            signals.append(Signal("own_case", 0.75, f"offense type {offense!r}"))
    if org:
        kind = classify_org(org)
        if kind.kind == "federal":
            signals.append(Signal("federal", 0.97, f"org {org!r} is federal ({kind.evidence})"))
        elif kind.out_of_state(owner_state):
            signals.append(Signal("out_of_state", 0.95, f"org {org!r} is in {kind.state}"))
    if not signals:
        if reason.lower() in _MISSING_TEXT:
            why = "reason masked" if reason in ("***",) or "redacted" in reason.lower() else "no reason"
            return Verdict("missing", 1.0, why)
        extra = "".join(f" | note: {n}" for n in dict.fromkeys(notes))
        return Verdict("vague", 0.5, "vague: no purpose term in " + repr(reason[:60]) + extra)
    return _decide(signals, notes)


def _whose(signals: list[Signal], searcher: str) -> list[Signal]:
    """Agency mentions read against the searching agency: itself, another, or unknown."""
    if not any(s.agencies or s.form for s in signals):
        return signals
    out = []
    for s in signals:
        # only in-state names turn on whose log it is: a federal or out-of-state agency naming
        # itself is still a federal or out-of-state search
        own = is_own(s.agencies, s.form, searcher) if (s.agencies or s.form) and s.label == "assist_other" else None
        if own:  # the searcher's own name says nothing of whom the search was for
            written = s.term.split(" = ")[0].removeprefix("agency ").strip("'")
            out.append(Signal("vague", 0.6, f"own agency {written}"))
        elif own is False and s.label == "assist_other":
            out.append(replace(s, weight=max(s.weight, WEIGHT_OTHER)))
        else:
            out.append(s)
    return out


def _named(signals: Sequence[Signal], label: str) -> str:
    for s in signals:
        if s.label == label and s.agencies:
            if len(s.agencies) == 1:
                return s.agencies[0]
            return f"{s.term.split(' = ')[0].upper()} (ambiguous: {len(s.agencies)} agencies)"
    for s in signals:  # an agency the table does not know: as written ("Foo PD", "LCSO")
        if s.label == label and s.form and label != "vague":
            return s.term.removeprefix("agency ").strip("'")
    return ""


def _decide(signals: Sequence[Signal], notes: Sequence[str]) -> Verdict:
    if len(signals) == 1 and not notes:  # the common case, fast
        only = signals[0]
        return Verdict(only.label, round(min(0.99, only.weight), 3), f"{only.label}: {only.term}",
                       _named(signals, only.label))
    labels = {s.label for s in signals}
    label = min(labels, key=_RANK.__getitem__)
    if label == "vague" and "own_case" in labels:
        label = "own_case"  # "investigation 211PC": the code section is the purpose
    if label == "assist_other" and "own_case" in labels \
            and all(s.weight <= 0.55 for s in signals if s.label == "assist_other"):
        label = "own_case"  # a bare agency mention beside an own case is most often the searcher's own agency
    miss = 1.0
    terms: dict[str, dict[str, None]] = {label: {}}
    for s in signals:
        if s.label == label:
            miss *= 1.0 - s.weight
        terms.setdefault(s.label, {})[s.term] = None
    order = sorted(terms, key=lambda k: (k != label, _RANK[k]))
    parts = [f"{k}: " + ", ".join(terms[k]) for k in order]
    parts += [f"note: {n}" for n in dict.fromkeys(notes)]
    return Verdict(label, round(min(0.99, 1.0 - miss), 3), " | ".join(parts), _named(signals, label))


_VERDICT_CACHE: dict[tuple[str, bool, str, str, str, str], tuple[int, float, str, str]] = {}


def classify_named_columns(reasons: Sequence[str], case_numbers: Sequence[str], offense_types: Sequence[str],
                           orgs: Sequence[str], owner_state: str = "CA", searcher: str = ""
                           ) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Label codes (int8 index into LABELS), scores (float32), evidence and the named agency
    (or "") for columns of rows; ``searcher``: the searching agency of rows without an org.

    Verdicts are cached by (reason, case number given?, offense type, org, searcher): real
    logs repeat them, so most rows cost one dict lookup. The cache is bounded.
    """
    cache = _VERDICT_CACHE
    placeholders = _CASE_PLACEHOLDERS

    def verdict_of(key: tuple[str, bool, str, str, str, str]) -> tuple[int, float, str, str]:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        reason, has_case, offense, org, state, who = key
        v = classify(reason, "case number given" if has_case else "", offense, org, state, who)
        hit = cache[key] = (_RANK[v.label], v.score, v.evidence, v.named)
        return hit

    has_case = [bool(c) and c not in placeholders and c.strip().lower() not in placeholders for c in case_numbers]
    keys = zip(reasons, has_case, offense_types, orgs, repeat(owner_state), repeat(searcher), strict=False)
    found = [cache.get(key) or verdict_of(key) for key in keys]
    if not found:
        return np.empty(0, dtype=np.int8), np.empty(0, dtype=np.float32), [], []
    codes, scores, evidence, named = zip(*found, strict=True)
    return np.array(codes, dtype=np.int8), np.array(scores, dtype=np.float32), list(evidence), list(named)


def classify_columns(reasons: Sequence[str], case_numbers: Sequence[str], offense_types: Sequence[str],
                     orgs: Sequence[str], owner_state: str = "CA", searcher: str = ""
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Label codes, scores and evidence (``classify_named_columns`` without the named agency)."""
    codes, scores, evidence, _ = classify_named_columns(reasons, case_numbers, offense_types, orgs, owner_state,
                                                        searcher)
    return codes, scores, evidence


def _clear_caches() -> None:
    _TOKEN_CACHE.clear()
    _TEXT_CACHE.clear()
    _VERDICT_CACHE.clear()


on_table_change(_clear_caches)
# initialisms ending like an agency that are not one: community service / public safety officer, "in search of"
_NOT_AGENCIES = frozenset({"cso", "pso", "iso"})
_BENEFICIARY = frozenset("for per obo w with req request requested from by assist assisting aoa aod".split())


def classify_records(records: Iterable, owner_state: str = "CA") -> list[Verdict]:
    """Verdicts for ``AuditRecord``-like objects (reason, case_number, offense_type, org)."""
    return [classify(r.reason, r.case_number, r.offense_type, r.org, owner_state) for r in records]
