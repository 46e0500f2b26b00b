"""The scenario's ``agencies:`` section: pydantic at the edge, frozen dataclasses inside.

Every behavioural parameter of the agencies is scenario data: the registry (who searches
and how often), each outside agency's target rate and channel probabilities, hand-off
delays, proxy partners, windows, hotlists. Defaults live in ``agencies.interest`` and
``agencies.registry`` with their sources; ``alprsim scenarios show bay-area`` prints them.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agencies.dynamics import (
    AdversarySpec,
    AuditSpec,
    DynamicsSpec,
    InsiderSpec,
    MisconfigurationEvent,
)
from agencies.interest import ChannelSpec, InterestSpec
from agencies.reasons import REASON_MIX
from agencies.registry import BAY_AREA_AGENCIES, Agency
from lookup.requests import Organization

HOUR_S = 3600.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AgencyModel(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    kind: Literal["local", "sheriff", "state", "fusion", "federal", "out_of_state", "private"] = "local"
    state: str = Field("CA", pattern=r"^[A-Z]{2}$")
    tags: list[str] = Field(default_factory=list, description="e.g. immigration, task_force")
    searches_per_30_days: float = Field(0.0, ge=0, le=10_000_000, description="own legitimate searches")
    assist_share: float = Field(0.005, ge=0, le=1, description="of those, made for another in-state agency "
                                "(assumption: with the reason writer, 0.3-0.4% of rows read as assists, FACTS.md)")
    source: str = Field("assumption", description="where the search volume comes from")


class ChannelModel(_Model):
    probability: float = Field(ge=0, le=1, description="chance the agency tries this channel for a target")
    handoff_delay_hours: float = Field(0.0, ge=0, le=24 * 90, description="until the reads reach the beneficiary")


ChannelName = Literal["direct", "proxy_honest", "proxy_vague", "proxy_disguised", "task_force", "fusion_relay",
                      "multi_hop"]


class ReasonMixModel(_Model):
    """Each field overrides the share of ``agencies.reasons.ReasonMix`` (defaults and sources there)."""

    missing_share: float | None = Field(None, ge=0, le=1)
    vague_share: float | None = Field(None, ge=0, le=1)
    case_only_share: float | None = Field(None, ge=0, le=1)
    case_number_share: float | None = Field(None, ge=0, le=1)
    offense_type_share: float | None = Field(None, ge=0, le=1)
    assist_wording_share: float | None = Field(None, ge=0, le=1)
    typo_rate: float | None = Field(None, ge=0, le=1)
    upper_case_share: float | None = Field(None, ge=0, le=1)
    innocent_share: float | None = Field(None, ge=0, le=1)
    adversarial_share: float | None = Field(None, ge=0, le=1)


class LearningModel(_Model):
    """How an adaptive agency learns (agencies.adversary; docs/arms-race.md)."""

    prior_weight: float = Field(4.0, ge=0, le=1000, description="pseudo-attempts behind the channel table (assumption)")
    attempt_interval_days: float | None = Field(None, gt=0, le=365, description="between one target's attempts "
                                                "(default: the budget over a static agency's span)")
    attempts_per_target: int | None = Field(None, ge=1, le=1000, description="default: a static agency's average")
    sanction_penalty: float = Field(5.0, ge=0, le=1000, description="failures a sanction counts as (assumption)")


AuditFlag = Literal["immigration", "federal", "out_of_state", "assist_other", "vague", "missing", "repeated_plate"]
SanctionAction = Literal["revoke_share", "suspend_user", "require_beneficiary"]


class AuditModel(_Model):
    """One owner's audits: cadence, sample, which flags count and what follows each."""

    cadence_days: float = Field(gt=0, le=3650, description="an audit every so many days")
    sample_share: float = Field(1.0, gt=0, le=1, description="share of the period's rows read (assumption)")
    actions: dict[AuditFlag, SanctionAction] | None = Field(
        None, description="flag -> sanction (default: outside purposes revoke the share, repeated_plate suspends)")
    sanction_days: float = Field(30.0, gt=0, le=3650, description="how long a sanction lasts (assumption)")
    repeat_threshold: int = Field(5, ge=2, le=10_000, description="searches of one plate by one user (assumption)")


class MisconfigurationModel(_Model):
    """A sharing setting the vendor switches on for an owner (Mountain View, FACTS.md)."""

    owner: str
    sharing: Literal["national_lookup", "state"]
    start_day: float = Field(ge=0, le=3650)
    end_day: float | None = Field(None, gt=0, le=3650, description="default: until an audit notices")


class InsiderModel(_Model):
    """Officers tracking a person under a vague reason (Milwaukee, Joplin: FACTS.md)."""

    cases_per_30_days: float = Field(0.0, ge=0, le=1000, description="new cases per owner agency (assumption)")
    searches_per_day: float = Field(3.0, gt=0, le=1000, description="Milwaukee: 179 searches of two people a month")
    duration_days: float = Field(30.0, gt=0, le=3650, description="Milwaukee: a month")
    reason: str = Field("investigation", description="the reason written (Milwaukee, Joplin)")
    window_days: float = Field(7.0, gt=0, le=3650, description="how far back each search looks (assumption)")


class AgenciesModel(_Model):
    registry: list[AgencyModel] | None = Field(None, description="the agencies (default: the Bay Area registry)")
    targets_per_30_days: dict[str, float] | None = Field(
        None, description="outside agency -> new targets per 30 days (replaces the default table)")
    federal_channels: dict[ChannelName, ChannelModel] | None = None
    out_of_state_channels: dict[ChannelName, ChannelModel] | None = None
    agency_channels: dict[str, dict[ChannelName, ChannelModel]] = Field(
        default_factory=dict, description="one agency's own channel table")
    follow_ups: int = Field(2, ge=0, le=50)
    follow_up_interval_days: float = Field(7.0, gt=0, le=365)
    window_days: float = Field(30.0, gt=0, le=3650)
    proxies: list[str] | None = None
    task_force_host: str | None = None
    fusion_centre: str | None = None
    multi_hop_chain: list[str] | None = None
    local_scale: float = Field(1.0, ge=0, le=1000)
    local_window_days: list[float] | None = None
    hotlist_vehicle_share: float = Field(0.007, ge=0, le=1)
    hotlist_follow_up_share: float = Field(0.005, ge=0, le=1)
    reason_mix: ReasonMixModel | None = Field(None, description="how officers write reasons (shares, 0 to 1)")
    declare_own_share: float = Field(0.8, ge=0, le=1)
    gunshots_per_day: dict[str, float] = Field(default_factory=dict, description="owner -> gunshots a day")
    sensors_per_km2: float = Field(6.0, gt=0, le=1000)
    adversary: Literal["static", "adaptive"] = Field("static", description="outside agencies plan ahead, or learn")
    learning: LearningModel | None = None
    audits: dict[str, AuditModel] = Field(default_factory=dict, description="owner -> its audits (default: none, "
                                          "California State Auditor 2019-118)")
    misconfigurations: list[MisconfigurationModel] = Field(default_factory=list)
    insider: InsiderModel | None = None


def _channels(table: dict[str, ChannelModel]) -> dict[str, ChannelSpec]:
    return {name: ChannelSpec(m.probability, m.handoff_delay_hours * HOUR_S) for name, m in table.items()}


def interest_from(model: AgenciesModel | None) -> InterestSpec:
    base = InterestSpec()
    if model is None:
        return base
    changes: dict = {k: getattr(model, k) for k in (
        "follow_ups", "follow_up_interval_days", "window_days", "local_scale", "hotlist_vehicle_share",
        "hotlist_follow_up_share", "declare_own_share")}
    if model.reason_mix is not None:
        changes["reason_mix"] = dataclasses.replace(REASON_MIX, **model.reason_mix.model_dump(exclude_none=True))
    if model.targets_per_30_days is not None:
        changes["targets_per_30_days"] = dict(model.targets_per_30_days)
    if model.federal_channels is not None:
        changes["federal_channels"] = _channels(model.federal_channels)
    if model.out_of_state_channels is not None:
        changes["out_of_state_channels"] = _channels(model.out_of_state_channels)
    changes["agency_channels"] = {slug: _channels(t) for slug, t in model.agency_channels.items()}
    for name in ("proxies", "multi_hop_chain", "local_window_days"):
        if getattr(model, name) is not None:
            changes[name] = tuple(getattr(model, name))
    for name in ("task_force_host", "fusion_centre"):
        if getattr(model, name) is not None:
            changes[name] = getattr(model, name)
    changes["dynamics"] = dynamics_from(model)
    return dataclasses.replace(base, **changes)


def dynamics_from(model: AgenciesModel) -> DynamicsSpec:
    audits = {}
    for owner, a in model.audits.items():
        extra = {"actions": dict(a.actions)} if a.actions is not None else {}
        audits[owner] = AuditSpec(a.cadence_days, a.sample_share, sanction_days=a.sanction_days,
                                  repeat_threshold=a.repeat_threshold, **extra)
    return DynamicsSpec(
        adversary=model.adversary,
        learning=AdversarySpec(**model.learning.model_dump()) if model.learning else AdversarySpec(),
        audits=audits,
        misconfigurations=tuple(MisconfigurationEvent(m.owner, m.sharing, m.start_day, m.end_day)
                                for m in model.misconfigurations),
        insider=InsiderSpec(**model.insider.model_dump()) if model.insider else InsiderSpec())


def registry_from(model: AgenciesModel | None) -> tuple[Agency, ...]:
    if model is None or model.registry is None:
        return BAY_AREA_AGENCIES
    return tuple(Agency(Organization(a.slug, a.name, a.kind, a.state, frozenset(a.tags)), a.searches_per_30_days / 30,
                        a.assist_share, a.source) for a in model.registry)


def check_names(model: AgenciesModel | None, agencies: set[str], owners: set[str]) -> list[tuple[str, str]]:
    """(field path, message) for every name in the section that names no agency or owner."""
    if model is None:
        return []
    problems = []
    slugs = [a.slug for a in model.registry or ()]
    for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
        problems.append(("agencies.registry", f"agency {slug!r} appears more than once"))
    for field, names in (("targets_per_30_days", list(model.targets_per_30_days or ())),
                         ("agency_channels", list(model.agency_channels)),
                         ("proxies", model.proxies or []), ("multi_hop_chain", model.multi_hop_chain or []),
                         ("task_force_host", [model.task_force_host] if model.task_force_host else []),
                         ("fusion_centre", [model.fusion_centre] if model.fusion_centre else [])):
        for name in names:
            if name not in agencies:
                problems.append((f"agencies.{field}.{name}" if field in ("targets_per_30_days", "agency_channels")
                                 else f"agencies.{field}", f"{name!r} is not an agency of the registry"))
    for owner in model.audits:
        if owner not in owners:
            problems.append((f"agencies.audits.{owner}", f"{owner!r} is not an owner of this scenario"))
    for i, m in enumerate(model.misconfigurations):
        if m.owner not in owners:
            problems.append((f"agencies.misconfigurations.{i}.owner", f"{m.owner!r} is not an owner of this scenario"))
        if m.end_day is not None and m.end_day <= m.start_day:
            problems.append((f"agencies.misconfigurations.{i}.end_day",
                             f"{m.end_day!r} must come after start_day {m.start_day!r}"))
    for owner in model.gunshots_per_day:
        if owner not in owners:
            problems.append((f"agencies.gunshots_per_day.{owner}", f"{owner!r} is not an owner of this scenario"))
    for owner, rate in model.gunshots_per_day.items():
        if rate < 0:
            problems.append((f"agencies.gunshots_per_day.{owner}", f"{rate!r} must be >= 0"))
    return problems


