"""A run under a policy, and a comparison of policies under common random numbers.

``compare`` builds the world once and plans the agencies' searches once; every policy
then replays the same seed, so traffic, reads, requests and approval draws are identical
and the differences in the report come from the policy alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from agencies.interest import (
    Hotlist,
    InterestSpec,
    PlannedSearch,
    plan_hotlist,
    plan_local,
    plan_outside,
)
from agencies.registry import Agency, registry_for, sharing_for
from lookup.audit import AuditLog
from lookup.client import ApiError
from lookup.policy import PolicyError, PolicyPack
from lookup.policy_external import load_policy_file
from lookup.requests import Organization
from scenarios.builder import World, build_world
from scenarios.files import ScenarioError
from scenarios.gunshots import GunshotSpec, plan_gunshot_searches
from scenarios.leakage import agency_process, leakage_report
from scenarios.policy_files import load_pack
from scenarios.report import build_report
from scenarios.runner import run_world
from scenarios.service_run import connect_world
from scenarios.spec import ScenarioSpec
from sim.random_streams import RandomStreams
from sim.records import RunRecords

AGENCY_KEYS = {"local_scale", "targets", "follow_ups", "window_days", "local_case_number_share", "declare_own_share",
               "hotlist_vehicle_share", "hotlist_follow_up_share"}
GUNSHOT_KEYS = {"gunshots_per_day", "sensors_per_km2"}


@dataclass(frozen=True)
class Outcome:
    world: World
    records: RunRecords
    report: dict


def interest_spec(spec: ScenarioSpec) -> InterestSpec:
    section = {k: v for k, v in (spec.extra.get("agencies") or {}).items() if k not in GUNSHOT_KEYS}
    unknown = sorted(set(section) - AGENCY_KEYS)
    if unknown:
        raise ScenarioError(f"{spec.source}: agencies.{unknown[0]}: unknown field "
                            f"(known: {sorted(AGENCY_KEYS | GUNSHOT_KEYS)})")
    base = InterestSpec()
    try:
        return dataclasses.replace(base, **{k: (dict(base.targets) | dict(v)) if k == "targets" else v
                                            for k, v in section.items()})
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{spec.source}: agencies: {exc}") from None


def gunshot_spec(spec: ScenarioSpec) -> GunshotSpec:
    section = spec.extra.get("agencies") or {}
    rates = section.get("gunshots_per_day") or {}
    if not isinstance(rates, dict) or not all(isinstance(v, int | float) and v >= 0 for v in rates.values()):
        raise ScenarioError(f"{spec.source}: agencies.gunshots_per_day: {rates!r} must map owner slugs to rates >= 0")
    unknown = sorted(set(rates) - set(spec.owner_slugs))
    if unknown:
        raise ScenarioError(f"{spec.source}: agencies.gunshots_per_day.{unknown[0]}: not an owner of this scenario")
    density = section.get("sensors_per_km2", 6.0)
    if not isinstance(density, int | float) or density <= 0:
        raise ScenarioError(f"{spec.source}: agencies.sensors_per_km2: {density!r} must be a positive number")
    return GunshotSpec(dict(rates), float(density))


def scenario_policy(spec: ScenarioSpec, override: str | None) -> str | None:
    value = override or spec.extra.get("policy")
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"{spec.source}: policy: name a policy pack or a policy file")
    return value


def load_policy(name: str, spec: ScenarioSpec) -> PolicyPack:
    """A pack by name, or a file (relative to the scenario file)."""
    path = Path(spec.base_dir) / name
    try:
        return load_pack(path if name.endswith((".yaml", ".yml")) and path.exists() else name)
    except PolicyError as exc:
        raise ScenarioError(f"policy {name!r}: {exc}") from None


def own_policies(spec: ScenarioSpec) -> dict[str, tuple]:
    """Each owner's own policy layers (``owners[].policy``)."""
    out = {}
    for owner in spec.owners:
        if owner.policy:
            try:
                out[owner.slug] = load_policy(owner.policy, spec).layers
            except ScenarioError as exc:
                raise ScenarioError(f"{spec.source}: owners.{owner.slug}.policy: {exc}") from None
    return out


def plan_searches(world: World) -> tuple[dict[str, Agency], list[PlannedSearch], Hotlist]:
    spec = world.spec
    owner_orgs = tuple(Organization(o.slug, o.name, o.kind, o.state) for o in spec.owners)
    registry = registry_for(owner_orgs)
    interest = interest_spec(spec)
    streams = RandomStreams(spec.seed)
    plans = plan_local(registry, world.traffic.vehicles, world.cameras, spec.days, interest, streams)
    plans += plan_outside(registry, world.traffic.vehicles, spec.days, interest, streams)
    plans += plan_gunshot_searches(world, gunshot_spec(spec), streams)[0]
    plans.sort(key=lambda p: (p.time_s, p.request.request_id))
    return registry, plans, plan_hotlist(world.traffic.vehicles, interest, streams)


def run_policy(world: World, policy: str | None, planned=None,
               on_batch: Callable[[int, int], None] | None = None, timings: dict | None = None,
               service_url: str | None = None, policy_file: str | None = None) -> Outcome:
    """One run; with a policy, the agencies search the service under it.

    ``policy_file``: a Cedar or Rego file that decides instead of the pack's layers.

    With ``service_url``, the reads and searches go over HTTP to a running service (ours
    from ``alprsim serve``, or a tester's) provisioned with the scenario; the metrics
    compare ground truth with what it answered.
    """
    if policy is None:
        records = run_world(world, on_batch=on_batch)
        return Outcome(world, records, build_report(world, records, timings))
    pack = load_policy(policy, world.spec)
    if policy_file:
        if service_url:
            raise ScenarioError("--policy-file: a service enforces its own policy (alprsim serve --policy-file)")
        try:
            pack = load_policy_file(policy_file, base=pack)
        except PolicyError as exc:
            raise ScenarioError(f"--policy-file: {exc}") from None
    registry, plans, hotlist = planned or plan_searches(world)
    own = own_policies(world.spec)
    sharing = world.spec.extra.get("sharing")
    if service_url:
        return _run_at_service(world, policy, pack, registry, plans, hotlist, sharing, service_url, on_batch, timings)
    process = agency_process(plans, registry, pack, hotlist, own, sharing)
    records = run_world(world, processes=[process], on_batch=on_batch)
    return _outcome(world, records, registry, policy, timings)


def _outcome(world: World, records: RunRecords, registry, policy: str, timings: dict | None) -> Outcome:
    """The reads report with the policy's leakage figures."""
    report = build_report(world, records, timings)
    report.update(leakage_report(records, registry, policy))
    return Outcome(world, records, report)


def _run_at_service(world, policy, pack, registry, plans, hotlist, sharing, url, on_batch, timings) -> Outcome:
    if own_policies(world.spec):
        raise ScenarioError(f"{world.spec.source}: owners' own policies are not sent to a service yet; "
                            "set them at the service with its admin API")
    graph = sharing_for(registry, world.owners, pack, overrides=sharing)
    try:
        session = connect_world(world, url, orgs=[a.org for a in registry.values()],
                                pack=str(Path(world.spec.base_dir) / policy) if policy.endswith((".yaml", ".yml"))
                                else policy, sharing=graph)
    except (ValueError, ApiError, httpx.HTTPError) as exc:
        raise ScenarioError(f"--service {url}: {exc}") from None
    try:
        process = agency_process(plans, registry, pack, hotlist, None, sharing, lookup=session.lookup)
        records = run_world(world, processes=[process], on_batch=on_batch, store=session.store)
    except (ApiError, httpx.HTTPError) as exc:
        raise ScenarioError(f"--service {url}: {exc}") from None
    finally:
        session.close()
    records.extra["audit"] = AuditLog(session.lookup.audit_rows)
    outcome = _outcome(world, records, registry, policy, timings)
    outcome.report["service"] = url
    return outcome


def compare(spec: ScenarioSpec, policies: list[str], on_policy: Callable[[str], None] | None = None) -> dict[str, dict]:
    """Each policy's full report, same world and requests (common random numbers)."""
    for name in policies:
        load_policy(name, spec)  # fail early, before any simulation
    own_policies(spec)
    world = build_world(spec)
    planned = plan_searches(world)
    reports = {}
    for name in policies:
        if on_policy:
            on_policy(name)
        reports[name] = run_policy(world, name, planned).report
    return reports
