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

from agencies.interest import ChannelSpec, InterestSpec
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
    local_case_number_share: float = Field(0.75, ge=0, le=1)
    declare_own_share: float = Field(0.8, ge=0, le=1)
    gunshots_per_day: dict[str, float] = Field(default_factory=dict, description="owner -> gunshots a day")
    sensors_per_km2: float = Field(6.0, gt=0, le=1000)


def _channels(table: dict[str, ChannelModel]) -> dict[str, ChannelSpec]:
    return {name: ChannelSpec(m.probability, m.handoff_delay_hours * HOUR_S) for name, m in table.items()}


def interest_from(model: AgenciesModel | None) -> InterestSpec:
    base = InterestSpec()
    if model is None:
        return base
    changes: dict = {k: getattr(model, k) for k in (
        "follow_ups", "follow_up_interval_days", "window_days", "local_scale", "hotlist_vehicle_share",
        "hotlist_follow_up_share", "local_case_number_share", "declare_own_share")}
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
    return dataclasses.replace(base, **changes)


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
    for owner in model.gunshots_per_day:
        if owner not in owners:
            problems.append((f"agencies.gunshots_per_day.{owner}", f"{owner!r} is not an owner of this scenario"))
    for owner, rate in model.gunshots_per_day.items():
        if rate < 0:
            problems.append((f"agencies.gunshots_per_day.{owner}", f"{rate!r} must be >= 0"))
    return problems


