"""A run under a policy, and a comparison of policies under common random numbers.

spec --build--> World --simulate (traffic, warm-up included)--> reads in a store
--play (agencies, per policy)--> AgencyRecords --measure--> report.

``compare`` builds each seed's world once, simulates its traffic once and plans the
agencies' searches once; every policy then replays the same requests on the same reads,
so the differences come from the policy alone.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from agencies.adversary import campaigns_for, keyword_rules, outside_targets
from agencies.audits import OwnerAuditor
from agencies.dynamics import DynamicsSpec
from agencies.insider import plan_insider
from agencies.interest import Hotlist, PlannedSearch, plan_hotlist, plan_local, plan_outside
from agencies.process import AgencyPlayer, play_after_traffic
from agencies.records import AgencyRecords, GroundTruth
from agencies.registry import Agency, registry_for, sharing_for
from lookup.access import keyed_approvals
from lookup.audit import AuditLog
from lookup.client import ApiError
from lookup.policy import PolicyError, PolicyPack
from lookup.policy_external import load_policy_file
from lookup.requests import Organization
from lookup.sanctions import SanctionedPack, SanctionTable
from lookup.search import LookupService
from lookup.store import ReadStore
from scenarios.builder import World, build_world
from scenarios.files import ScenarioError
from scenarios.gunshots import GunshotSpec, plan_gunshot_searches
from scenarios.metrics import policy_report
from scenarios.policy_files import load_pack
from scenarios.report import build_report
from scenarios.runner import run_world
from scenarios.service_run import connect_world
from scenarios.spec import ScenarioSpec
from sim.random_streams import RandomStreams
from sim.records import RunRecords
from sim.traffic import DAY_S


@dataclass(frozen=True)
class Planned:
    """The agencies' side of a world, fixed before any policy plays: common random numbers."""

    registry: dict[str, Agency]
    plans: list[PlannedSearch]
    hotlist: Hotlist


@dataclass(frozen=True)
class Traffic:
    """A world's simulated reads, warm-up included, and the store that holds them."""

    records: RunRecords
    store: ReadStore


@dataclass(frozen=True)
class Outcome:
    world: World
    records: RunRecords
    agencies: AgencyRecords | None
    truth: GroundTruth
    report: dict


def gunshot_spec(spec: ScenarioSpec) -> GunshotSpec:
    return GunshotSpec(dict(spec.gunshots_per_day), float(spec.sensors_per_km2))


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


def plan_searches(world: World) -> Planned:
    spec = world.spec
    owner_orgs = tuple(Organization(o.slug, o.name, o.kind, o.state) for o in spec.owners)
    registry = registry_for(owner_orgs, spec.registry)
    streams = RandomStreams(spec.seed)
    plans = plan_local(registry, world.traffic.vehicles, world.cameras, spec.days, spec.interest, streams)
    plans += plan_outside(registry, world.traffic.vehicles, spec.days, spec.interest, streams)
    plans += plan_gunshot_searches(world, gunshot_spec(spec), streams)[0]
    plans += plan_insider(registry, world.owners, world.traffic.vehicles, spec.days, spec.interest.dynamics.insider,
                          streams)
    plans.sort(key=lambda p: (p.time_s, p.request.request_id))
    return Planned(registry, plans, plan_hotlist(world.traffic.vehicles, spec.interest, streams))


def ground_truth(world: World, registry: dict[str, Agency] | None = None) -> GroundTruth:
    spec = world.spec
    start = datetime.fromisoformat(spec.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(spec.timezone))
    homes = world.traffic.vehicles.home_node
    immigration = frozenset(slug for slug, a in (registry or {}).items() if "immigration" in a.org.tags)
    return GroundTruth(world.net.node_lon[homes], world.net.node_lat[homes], world.start_local_hour, immigration,
                       start)


def simulate(world: World, on_batch: Callable[[int, int], None] | None = None) -> Traffic:
    """The world's traffic, warm-up included: the reads do not depend on any policy."""
    store = ReadStore(world.retention_days)
    records = run_world(world, on_batch=on_batch, store=store)
    return Traffic(records, store)


def play(world: World, traffic: Traffic, planned: Planned, policy: str,
         pack: PolicyPack | None = None, dynamics: DynamicsSpec | None = None) -> AgencyRecords:
    """The agencies' searches under ``policy`` (or ``pack``, when given: a Cedar or Rego
    file's decisions), on the finished store (the same plans every time).

    ``dynamics`` (default: the scenario's) sets the arms race: an adaptive adversary
    replaces the planned outside attempts by pursuits that learn; owners audit and
    sanction; misconfiguration events open and close sharing."""
    pack = pack or load_policy(policy, world.spec)
    spec = world.spec
    dynamics = dynamics or spec.interest.dynamics
    try:
        graph = sharing_for(planned.registry, world.owners, overrides=spec.extra.get("sharing"))
    except ValueError as exc:
        raise ScenarioError(f"{spec.source}: sharing: {exc}") from None
    devices = {o: int((world.cameras.owner == i).sum()) for i, o in enumerate(world.owners)}
    table = SanctionTable()
    decider = SanctionedPack(pack, table) if dynamics.audits else pack
    service = LookupService(traffic.store, world.owners, devices, graph, decider, own_policies(spec))
    player = _player(world, planned, service, traffic.store)
    player.sanctions = table
    _arm(player, world, planned, pack, graph, dynamics)
    play_after_traffic(player, 0)
    return player.records(policy, tuple(planned.registry), graph, service.audit)


def _arm(player: AgencyPlayer, world: World, planned: Planned, pack, graph, dynamics: DynamicsSpec) -> None:
    """The arms race's processes for one play: pursuits, audits, misconfiguration events."""
    spec = world.spec
    streams = RandomStreams(spec.seed)
    interest = dataclasses.replace(spec.interest, dynamics=dynamics)
    campaigns = []
    if dynamics.adversary == "adaptive":
        targets = outside_targets(planned.registry, world.traffic.vehicles, spec.days, interest, streams)
        campaigns = campaigns_for(targets, planned.registry, interest, streams, keyword_rules(pack))
    slug_of_name = {a.org.name: slug for slug, a in planned.registry.items()}
    start = ground_truth(world).start  # the clock of the exported layouts (not a truth about anyone)
    auditors = [OwnerAuditor(owner, audit, player, slug_of_name, graph, start,
                             streams.generator(f"agencies/audits/{owner}"))
                for owner, audit in sorted(dynamics.audits.items()) if owner in world.owners]
    player.arm(dynamics.adversary, campaigns, auditors, dynamics.misconfigurations,
               (world.cameras.lon, world.cameras.lat, world.start_local_hour))


def _player(world: World, planned: Planned, service, store) -> AgencyPlayer:
    streams = RandomStreams(world.spec.seed)
    return AgencyPlayer(planned.plans, service, store, world.owners, keyed_approvals(world.spec.seed),
                        planned.hotlist, world.cameras.key, streams.stream_key("agencies/hotlist"), 0,
                        int(round(world.spec.days * DAY_S)))


def run_policy(world: World, policy: str | None, planned: Planned | None = None,
               on_batch: Callable[[int, int], None] | None = None, timings: dict | None = None,
               service_url: str | None = None, traffic: Traffic | None = None,
               policy_file: str | None = None, dynamics: DynamicsSpec | None = None,
               after_traffic: Callable[[RunRecords], None] | None = None) -> Outcome:
    """One run; with a policy, the agencies search the service under it.

    ``policy_file``: a Cedar or Rego file that decides instead of the pack's layers.
    ``after_traffic``: called with the reads' records as soon as the traffic is done
    (the CLI starts writing reads.parquet then, while the agencies search).

    With ``service_url``, the reads and searches go over HTTP to a running service (ours
    from ``alprsim serve``, or a tester's) provisioned with the scenario; the metrics
    compare ground truth with what it answered.
    """
    if policy is None:
        traffic = traffic or simulate(world, on_batch)
        if after_traffic:
            after_traffic(traffic.records)
        return Outcome(world, traffic.records, None, ground_truth(world), build_report(world, traffic.records, timings))
    pack = load_policy(policy, world.spec)  # fail early, before any simulation
    if policy_file:
        if service_url:
            raise ScenarioError("--policy-file: a service enforces its own policy (alprsim serve --policy-file)")
        try:
            pack = load_policy_file(policy_file, base=pack)
        except PolicyError as exc:
            raise ScenarioError(f"--policy-file: {exc}") from None
    clock = _Stopwatch(timings)
    planned = planned or plan_searches(world)
    clock.lap("plan")
    if service_url:
        d = dynamics or world.spec.interest.dynamics
        if d.adversary != "static" or d.audits:
            raise ScenarioError("--service: adaptive adversaries and owners' audits are played in process only; "
                                "run without --service (misconfiguration events are not sent to a service either)")
        return _run_at_service(world, policy, planned, service_url, on_batch, timings)
    traffic = traffic or simulate(world, on_batch)
    clock.lap("traffic")
    if after_traffic:
        after_traffic(traffic.records)
    agencies = play(world, traffic, planned, policy, pack, dynamics)
    clock.lap("agencies")
    outcome = _outcome(world, traffic.records, agencies, ground_truth(world, planned.registry), timings)
    clock.lap("measure")
    return outcome


class _Stopwatch:
    """Laps into a timings dict (seconds), when one is given."""

    def __init__(self, timings: dict | None):
        self.timings, self.t = timings, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now


def _outcome(world: World, records: RunRecords, agencies: AgencyRecords, truth: GroundTruth,
             timings: dict | None) -> Outcome:
    """The reads report with the policy's figures."""
    report = build_report(world, records, timings)
    report.update(policy_report(records, agencies, truth))
    return Outcome(world, records, agencies, truth, report)


def _run_at_service(world: World, policy: str, planned: Planned, url: str, on_batch, timings) -> Outcome:
    if own_policies(world.spec):
        raise ScenarioError(f"{world.spec.source}: owners' own policies are not sent to a service yet; "
                            "set them at the service with its admin API")
    graph = sharing_for(planned.registry, world.owners, overrides=world.spec.extra.get("sharing"))
    try:
        session = connect_world(world, url, orgs=[a.org for a in planned.registry.values()],
                                pack=str(Path(world.spec.base_dir) / policy) if policy.endswith((".yaml", ".yml"))
                                else policy, sharing=graph)
    except (ValueError, ApiError, httpx.HTTPError) as exc:
        raise ScenarioError(f"--service {url}: {exc}") from None
    player = _player(world, planned, session.lookup, session.store)
    try:
        records = run_world(world, processes=[lambda env, ctx: player.process(env)], on_batch=on_batch,
                            store=session.store)
    except (ApiError, httpx.HTTPError) as exc:
        raise ScenarioError(f"--service {url}: {exc}") from None
    finally:
        session.close()
    agencies = player.records(policy, tuple(planned.registry), graph, AuditLog(session.lookup.audit_rows))
    outcome = _outcome(world, records, agencies, ground_truth(world, planned.registry), timings)
    outcome.report["service"] = url
    return outcome


@dataclass(frozen=True)
class Variant:
    """One column of a comparison: a policy, and optionally an adversary and an audit cadence."""

    policy: str
    adversary: str | None = None  # None: the scenario's
    audit_days: float | None = None  # None: the scenario's audits; 0: none

    @property
    def label(self) -> str:
        parts = [self.policy]
        if self.adversary is not None:
            parts.append(self.adversary)
        if self.audit_days is not None:
            parts.append(f"audits every {self.audit_days:g} d" if self.audit_days > 0 else "no audits")
        return " / ".join(parts)

    def dynamics(self, spec: ScenarioSpec) -> DynamicsSpec:
        d = spec.interest.dynamics
        if self.adversary is not None:
            d = dataclasses.replace(d, adversary=self.adversary)
        if self.audit_days is not None:
            d = d.with_audit_cadence(spec.owner_slugs, self.audit_days)
        return d


def variants(policies: list[str], adversaries: list[str] | None = None,
             audit_days: list[float] | None = None) -> list[Variant]:
    """Every combination, policies outermost (a bare policy list gives today's columns)."""
    return [Variant(p, a, d) for p in policies for a in (adversaries or [None]) for d in (audit_days or [None])]


def compare(spec: ScenarioSpec, policies: list[str] | list[Variant], on_policy: Callable[[str], None] | None = None,
            replications: int = 1) -> dict[str, list[dict]]:
    """Each policy's (or variant's) reports, one per seed (root seed, seed+1, ...): every
    one replays the same world, traffic and requests of a seed (common random numbers),
    and the traffic is simulated once per seed."""
    chosen = [v if isinstance(v, Variant) else Variant(v) for v in policies]
    for v in chosen:
        load_policy(v.policy, spec)  # fail early, before any simulation
    own_policies(spec)
    reports: dict[str, list[dict]] = {v.label: [] for v in chosen}
    for replication in range(replications):
        world = build_world(dataclasses.replace(spec, seed=spec.seed + replication))
        planned = plan_searches(world)
        traffic = simulate(world)
        for v in chosen:
            if on_policy:
                on_policy(v.label if replications == 1 else f"{v.label} (seed {world.spec.seed})")
            reports[v.label].append(run_policy(world, v.policy, planned, traffic=traffic,
                                               dynamics=v.dynamics(world.spec)).report)
    return reports
