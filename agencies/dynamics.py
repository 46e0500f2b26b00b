"""The parameters of the arms race: adaptive adversaries, owners' audits, misconfiguration
events and insider misuse. Scenario data (``agencies:`` in a scenario file); each default
names its source or says "assumption". With the defaults nothing moves: the adversary is
static, no owner audits (California State Auditor 2019-118: none of four agencies audited
its staff's searches, FACTS.md), no misconfiguration, no insider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADVERSARIES = ("static", "adaptive")
AUDIT_FLAGS = ("immigration", "federal", "out_of_state", "assist_other", "vague", "missing", "repeated_plate")
MISCONFIGURED_SHARING = ("national_lookup", "state")


@dataclass(frozen=True)
class AdversarySpec:
    """How an adaptive outside agency learns (docs/arms-race.md)."""

    prior_weight: float = 4.0  # pseudo-attempts behind the channel table's probabilities (assumption)
    # between one target's attempts; None: the budget spread over the span of a static
    # agency's attempts (follow_ups x follow_up_interval_days), so both pursue as long
    attempt_interval_days: float | None = None
    # attempts per target: None = what a static agency makes on average (channel
    # probabilities times 1 + follow_ups), so both spend the same effort
    attempts_per_target: int | None = None
    sanction_penalty: float = 5.0  # failures a sanction counts as (assumption)


@dataclass(frozen=True)
class AuditSpec:
    """One owner's audits of its own network audit log."""

    cadence_days: float  # an audit every so many days, the first one cadence_days into the run
    sample_share: float = 1.0  # share of the period's rows the auditor reads (assumption)
    # flag -> what follows (lookup.sanctions.ACTIONS); flags are the forensic classifier's
    # labels and ``repeated_plate`` (one user searching one plate repeatedly with no purpose)
    actions: dict[str, str] = field(default_factory=lambda: {
        "immigration": "revoke_share", "federal": "revoke_share", "out_of_state": "revoke_share",
        "repeated_plate": "suspend_user"})
    sanction_days: float = 30.0  # how long a sanction lasts (assumption)
    repeat_threshold: int = 5  # searches of one plate by one user in a period (assumption; Milwaukee: 179 in a month)


@dataclass(frozen=True)
class MisconfigurationEvent:
    """The vendor switches a sharing setting on for an owner without its knowing
    (Mountain View: statewide lookup for 17 months, National Lookup Aug-Nov 2024,
    FACTS.md). It ends at ``end_day`` or when an audit notices it, whichever is first."""

    owner: str
    sharing: str  # one of MISCONFIGURED_SHARING
    start_day: float
    end_day: float | None = None  # None: until an audit notices


@dataclass(frozen=True)
class InsiderSpec:
    """Officers tracking a person for personal reasons under a vague reason."""

    cases_per_30_days: float = 0.0  # new cases per owner agency (assumption; FACTS.md: Milwaukee, Joplin)
    searches_per_day: float = 3.0  # Milwaukee: 179 searches of two people in a month (FACTS.md)
    duration_days: float = 30.0  # Milwaukee: a month (FACTS.md)
    reason: str = "investigation"  # the reason written in Milwaukee and Joplin (FACTS.md)
    window_days: float = 7.0  # how far back each search looks (assumption)


@dataclass(frozen=True)
class DynamicsSpec:
    adversary: str = "static"  # one of ADVERSARIES
    learning: AdversarySpec = AdversarySpec()
    audits: dict[str, AuditSpec] = field(default_factory=dict)  # owner -> its audits
    misconfigurations: tuple[MisconfigurationEvent, ...] = ()
    insider: InsiderSpec = InsiderSpec()

    def with_audit_cadence(self, owners: tuple[str, ...], cadence_days: float) -> DynamicsSpec:
        """Every owner audits every ``cadence_days`` (0: nobody audits); other audit
        settings are each owner's own, or the defaults."""
        if cadence_days <= 0:
            return DynamicsSpec(self.adversary, self.learning, {}, self.misconfigurations, self.insider)
        audits = {o: AuditSpec(cadence_days, **_rest(self.audits.get(o))) for o in owners}
        return DynamicsSpec(self.adversary, self.learning, audits, self.misconfigurations, self.insider)


def _rest(spec: AuditSpec | None) -> dict:
    if spec is None:
        return {}
    return {"sample_share": spec.sample_share, "actions": dict(spec.actions), "sanction_days": spec.sanction_days,
            "repeat_threshold": spec.repeat_threshold}
