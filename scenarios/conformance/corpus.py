"""The policy corpus: declared-face searches and the decision a pack must give each.

The decisions come from our evaluator (``lookup.policy.decide``) as the reference: a
service conforms to a pack when it decides as the pack does, the pack's blind spots
included (a spelling the pack misses is expected to be served: a stricter service
disagrees, and the kit says so). The texts are what proxies and officers actually write
(FACTS.md, "Reasons seen in reporting") and what evades keyword filters: dotted and
spaced acronyms, look-alike letters (lower-case L, digit 1, Cyrillic and Greek capitals),
misspellings, an immigration purpose hidden in the offense type, a federal or
out-of-state beneficiary named in the on-behalf-of field, and innocent texts a naive
keyword filter denies ("black ice"). Kept here, independent of any reason generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lookup.policy import Context, PolicyPack, decide
from lookup.requests import Organization, ReadQuery, SearchRequest
from scenarios.conformance.fixture import BY_SLUG, OWNER


@dataclass(frozen=True)
class Case:
    """One declared search by ``requester`` reaching ``conf-owner``'s network."""

    category: str  # honest, spelling, lookalike, misspelling, hidden, beneficiary, exception, innocent, requester
    requester: str
    reason: str
    offense_type: str | None = None
    on_behalf_of: str | None = None
    case_number: str | None = "26-00001"
    search_type: str = "plate"

    def describe(self) -> str:
        parts = [f"{self.requester}: reason {self.reason!r}"]
        if self.offense_type is not None:
            parts.append(f"offense_type {self.offense_type!r}")
        if self.on_behalf_of is not None:
            parts.append(f"on_behalf_of {self.on_behalf_of!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Expected:
    case: Case
    effect: str  # the reference decision: allow, deny, require_approval, rate_limited
    rule: str  # policy/rule


PD = "conf-ca-pd"
CASES: tuple[Case, ...] = (
    # honest declarations (the April 2025 reporting)
    Case("honest", PD, "ICE case"),
    Case("honest", PD, "ICE WARRANT"),
    Case("honest", PD, "assist ICE ERO with removal"),
    Case("honest", PD, "immigration violation"),
    Case("honest", PD, "HSI request"),
    Case("honest", PD, "deportation"),
    # adversarial spellings of the same purposes
    Case("spelling", PD, "I.C.E."),
    Case("spelling", PD, "I C E"),
    Case("spelling", PD, "i.c.e. case"),
    Case("spelling", PD, "ICE-ERO"),
    Case("spelling", PD, "ICE/ERO"),
    Case("spelling", PD, "H.S.I."),
    Case("spelling", PD, "Ice Warrant"),
    Case("spelling", PD, "ICE\u200bcase"),  # a zero-width space
    Case("lookalike", PD, "lCE case"),  # lower-case L
    Case("lookalike", PD, "1CE case"),  # digit one
    Case("lookalike", PD, "I\u0421E case"),  # Cyrillic capital ES
    Case("lookalike", PD, "IC\u0395 case"),  # Greek capital EPSILON
    Case("misspelling", PD, "imigration"),
    Case("misspelling", PD, "immigratoin case"),
    Case("misspelling", PD, "deportaton"),
    Case("misspelling", PD, "bordr patrol"),
    # the purpose in the offense type, the reason vague
    Case("hidden", PD, "investigation", offense_type="Immigration - HSI"),
    Case("hidden", PD, "follow up", offense_type="8 USC 1325 improper entry"),
    Case("hidden", PD, "investigation", offense_type="visa overstay"),
    Case("hidden", PD, "AOA", offense_type="I-247 detainer"),
    # federal and out-of-state beneficiaries, declared
    Case("beneficiary", PD, "assist", on_behalf_of="conf-fbi"),
    Case("beneficiary", PD, "homicide", on_behalf_of="conf-tx-pd"),
    Case("beneficiary", PD, "fugitive", on_behalf_of="FBI"),
    Case("beneficiary", PD, "for DEA"),
    Case("beneficiary", PD, "assist US Marshals"),
    Case("beneficiary", PD, "out of state agency request"),
    # SB 54's exceptions
    Case("exception", PD, "8 USC 1326 re-entry after an aggravated felony"),
    Case("exception", "conf-tfo", "ICE task force", offense_type="narcotics trafficking"),
    Case("exception", "conf-tfo", "ICE task force", offense_type="immigration"),
    # innocent texts (some a keyword filter denies)
    Case("innocent", PD, "black ice crash"),
    Case("innocent", PD, "hit and run on black ice"),
    Case("innocent", PD, "police assist"),
    Case("innocent", PD, "Dice game robbery"),
    Case("innocent", PD, "justice center burglary"),
    Case("innocent", PD, "stolen vehicle"),
    Case("innocent", PD, "211PC"),
    Case("innocent", PD, "investigation"),
    Case("innocent", "conf-ca-so", "homicide"),
    Case("innocent", "conf-chp", "stolen vehicle", search_type="partial"),
    Case("innocent", OWNER, "homicide"),  # the owner's own network
    # who asks (SB 34)
    Case("requester", "conf-fbi", "fugitive"),
    Case("requester", "conf-ice", "stolen vehicle"),
    Case("requester", "conf-tx-pd", "homicide"),
    Case("requester", "conf-hoa", "vandalism"),
)


def orgs() -> dict[str, Organization]:
    return {slug: f.org for slug, f in BY_SLUG.items()}


def as_request(case: Case, request_id: str, plate: str, now_s: int = 0) -> SearchRequest:
    query = ReadQuery(plate_pattern=plate[:4] + "*") if case.search_type == "partial" else ReadQuery(plate=plate)
    return SearchRequest(request_id, case.requester, "conformance", now_s, case.reason, case.search_type, query,
                         case.offense_type, case.case_number, case.on_behalf_of)


def reference(pack: PolicyPack, cases: Sequence[Case] = CASES) -> list[Expected]:
    """Each case's decision on ``conf-owner``'s network under ``pack``, by our evaluator."""
    registry = orgs()
    owner = registry[OWNER]
    out = []
    for i, case in enumerate(cases):
        request = as_request(case, f"ref-{i}", "7KIT000")
        via = "own" if case.requester == OWNER else "share"
        d = decide(request, registry[case.requester], owner, pack.layers,
                   Context(now_s=0, lookup_org=registry.get), via)
        out.append(Expected(case, d.effect, d.rule_ref))
    return out


__all__ = ["CASES", "Case", "Expected", "as_request", "orgs", "reference"]
