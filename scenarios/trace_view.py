"""What the educator's views show of a run: each search's two faces, side by side.

The one place that reads a run's records (``AgencyRecords``, the audit log, the reads)
for ``alprsim demo`` and ``alprsim explore``: everything else (stories, the web page, its
templates) reads only these dataclasses.

Counting is the metrics' (``scenarios.metrics``): a read counts once per kind of
beneficiary, under the search that delivered it first. ``new_reads`` of a search is the
reads it delivered first; summed over federal searches, that is the report's federal
``reads_delivered`` (``Headline.federal_distinct_reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from agencies.records import DELIVERY_CHANNELS, KINDS, AgencyRecords, GroundTruth
from agencies.registry import Agency
from forensics.classifier import classify
from lookup.audit_export import network_audit_records, org_label, search_audit_records
from scenarios.builder import World, build_world
from scenarios.experiment import Planned, Traffic, plan_searches, run_policy, simulate
from scenarios.metrics import first_deliveries, measured_deliveries, measured_searches
from scenarios.metrics.audit_view import REVEALING
from scenarios.metrics.location import LOCATE_RADIUS_M, night_number
from sim.geo import haversine_m

OUTSIDE_KINDS = ("federal", "out_of_state")


@dataclass(frozen=True)
class NetworkReach:
    """One camera network a search reached: the owner's decision and the rule behind it."""

    owner: str
    effect: str  # allow, deny, require_approval, rate_limited
    rule: str  # "policy/rule" that decided
    searched: bool
    reads: int  # distinct reads it returned to this search


@dataclass(frozen=True)
class PublishedRow:
    """A row as an agency publishes it: an owner's network audit, or the requester's portal."""

    owner: str  # whose export this row is in
    layout: str  # "network audit" or "search audit"
    columns: tuple[tuple[str, str], ...]  # (column, text) in the export's order


@dataclass(frozen=True)
class Flow:
    """Reads new to the beneficiary, from one owner's cameras, counted under one channel."""

    channel: str
    owner: str
    reads: int


@dataclass(frozen=True)
class SearchTrace:
    search_id: str
    time_s: int  # when the search was made (seconds since the start)
    # declared face: what the service saw and logged
    org: str
    org_name: str
    user: str
    reason: str
    case_number: str | None
    offense_type: str | None
    on_behalf_of: str | None
    search_type: str
    plate: str | None
    # true face: known only to the simulator
    beneficiary: str
    beneficiary_name: str
    beneficiary_kind: str  # local, state, federal, out_of_state
    channel: str  # local, hotlist, gunshot, or one of agencies.interest.CHANNELS
    chain: tuple[str, ...]  # who handled the reads, searcher first, beneficiary last
    handoff_delay_s: float
    legit: bool
    target_vehicle: int  # -1 for area searches
    # what happened
    networks: tuple[NetworkReach, ...]
    served: bool
    distinct_reads: int  # distinct reads this search delivered
    new_reads: int  # of those, reads it delivered first among its beneficiary's kind
    flows: tuple[Flow, ...]  # those first deliveries by channel and owner
    first_arrival_s: float | None  # when the first read reached the beneficiary
    last_arrival_s: float | None
    night_reads: int  # delivered reads of the target made at night (20:00-06:00)
    night_reads_near_home: int  # of those, by a camera within LOCATE_RADIUS_M of its home
    nights_near_home: int  # on how many distinct nights (two locate the home)
    nearest_home_m: float | None  # closest camera that read the target, metres from its home
    read_cameras: tuple[int, ...]  # cameras that read something delivered
    published: tuple[PublishedRow, ...]
    audit_shows_outside: bool  # the audit row names a federal or out-of-state purpose

    @property
    def outside(self) -> bool:
        return self.beneficiary_kind in OUTSIDE_KINDS

    def published_for(self, owner: str) -> PublishedRow | None:
        for row in self.published:
            if row.owner == owner:
                return row
        return None

    def reach(self, owner: str) -> NetworkReach | None:
        for n in self.networks:
            if n.owner == owner:
                return n
        return None


@dataclass(frozen=True)
class Headline:
    policy: str
    federal_distinct_reads: int  # distinct reads that reached federal agencies
    out_of_state_distinct_reads: int
    federal_deliveries: int  # with repeats (the report's reads_delivered)
    federal_searches_served: int
    federal_targets: int
    federal_targets_located: int
    federal_visible_share: float | None  # served federal searches the audit shows as such
    legit_searches: int
    legit_denied: int
    bystander_reads: int


@dataclass(frozen=True)
class RunTrace:
    scenario: str
    seed: int
    policy: str
    start: str  # ISO local start instant
    owners: tuple[str, ...]
    names: tuple[tuple[str, str], ...]  # (slug, name) of every agency
    searches: tuple[SearchTrace, ...]
    headline: Headline

    def search(self, search_id: str) -> SearchTrace:
        for s in self.searches:
            if s.search_id == search_id:
                return s
        raise KeyError(search_id)

    def name(self, slug: str) -> str:
        return dict(self.names).get(slug, slug)


@dataclass(frozen=True)
class MapGeometry:
    """Roads and cameras in lon/lat, for drawing the run's own map."""

    roads: tuple[tuple[float, float, float, float], ...]  # (lon1, lat1, lon2, lat2), one per street
    camera_ids: tuple[str, ...]
    camera_owner: tuple[str, ...]
    camera_lon: tuple[float, ...]
    camera_lat: tuple[float, ...]
    bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


@dataclass(frozen=True)
class TracedRuns:
    """One world, one plan of searches, and each policy's run of it (common random numbers)."""

    world: World
    geometry: MapGeometry
    runs: dict[str, RunTrace]


@dataclass(frozen=True)
class Prepared:
    """What every policy shares: the world, its planned searches and its traffic."""

    world: World
    planned: Planned
    traffic: Traffic


def prepare(spec, world: World | None = None) -> Prepared:
    """Build the world (unless given), plan the searches and simulate the traffic once (CRN)."""
    world = world or build_world(spec)
    return Prepared(world, plan_searches(world), simulate(world))


def traced_runs(spec, policies: list[str], on_policy=None) -> TracedRuns:
    """Build the world and plan the searches once; replay them under each policy."""
    prepared = prepare(spec)
    runs = {}
    for name in policies:
        if on_policy:
            on_policy(name)
        runs[name] = trace_policy(prepared, name)
    return TracedRuns(prepared.world, map_geometry(prepared.world), runs)


def trace_policy(prepared: Prepared, policy: str) -> RunTrace:
    """One policy's play of the planned searches on the shared traffic, traced."""
    outcome = run_policy(prepared.world, policy, prepared.planned, traffic=prepared.traffic)
    return trace_run(prepared.world, outcome.records, outcome.agencies, outcome.truth, outcome.report,
                     prepared.planned.registry)


def start_instant(spec) -> datetime:
    start = datetime.fromisoformat(spec.start)
    return start if start.tzinfo else start.replace(tzinfo=ZoneInfo(spec.timezone))


def _first_by_search(records, agencies: AgencyRecords) -> dict[int, list[tuple[str, str]]]:
    """Per search: (channel, owner) of each read it delivered first among its true
    beneficiary's kind (the metrics' distinct reads: ``first_deliveries``)."""
    d = measured_deliveries(agencies)
    out: dict[int, list[tuple[str, str]]] = {}
    for k in range(len(KINDS)):
        firsts = first_deliveries(d.take(d.kind == k))
        owners = records.reads.owner[firsts.row]
        for search, channel, owner in zip(firsts.search, firsts.channel, owners, strict=True):
            out.setdefault(int(search), []).append((DELIVERY_CHANNELS[channel], records.owners[owner]))
    return out


def _shows_outside(row, networks: tuple[NetworkReach, ...], start: datetime) -> bool:
    """Would a records requester, reading the published rows with ``alprsim audit``'s
    classifier, see a federal, immigration or out-of-state purpose?"""
    searched = [n.owner for n in networks if n.searched]
    published = [network_audit_records([row], owner, start)[0] for owner in searched[:1]]
    if published:
        p = published[0]
        return classify(p["Reason"], p["Case #"], row.offense_type or "", p["Org Name"]).label in REVEALING
    return classify(row.reason, row.case_number or "", row.offense_type or "", org_label(row)).label in REVEALING


def trace_run(world: World, records, agencies: AgencyRecords, truth: GroundTruth, report: dict,
              registry: dict[str, Agency]) -> RunTrace:
    """The run's measured searches with both faces, and its headline figures."""
    audit = agencies.audit
    start = truth.start
    firsts = _first_by_search(records, agencies)
    out = []
    for s in measured_searches(agencies):
        plan = s.plan
        req = plan.request
        rows = np.unique(np.asarray(s.rows, dtype=np.int64))
        flows: dict[tuple[str, str], int] = {}
        for key in firsts.get(s.index, ()):
            flows[key] = flows.get(key, 0) + 1
        networks = tuple(NetworkReach(n.owner, n.effect, n.rule, n.searched, int(n.reads)) for n in s.networks)
        night_all, night, nights, nearest = _near_home(records, rows, plan.target_vehicle, truth)
        row = audit[s.audit_seq]
        published = []
        for n in networks:
            if n.searched:
                cols = network_audit_records([row], n.owner, start)[0]
                published.append(PublishedRow(n.owner, "network audit", tuple(cols.items())))
        cols = search_audit_records([row], start=start)[0]
        published.append(PublishedRow(req.org, "search audit", tuple(cols.items())))
        delivered = np.asarray(s.delivered_s, dtype=np.float64)
        out.append(SearchTrace(
            req.request_id, int(plan.time_s), req.org, registry[req.org].org.name, req.user, req.reason,
            req.case_number, req.offense_type, req.on_behalf_of, req.search_type, row.plate,
            plan.beneficiary, registry[plan.beneficiary].org.name, plan.beneficiary_kind, plan.channel,
            tuple(plan.chain), float(plan.handoff_delay_s), bool(plan.legit), int(plan.target_vehicle),
            networks, bool(s.served), int(len(rows)), int(sum(flows.values())),
            tuple(Flow(c, o, n) for (c, o), n in sorted(flows.items())),
            float(delivered.min()) if len(delivered) else None, float(delivered.max()) if len(delivered) else None,
            night_all, night, nights, nearest, tuple(int(c) for c in np.unique(records.reads.camera[rows])),
            tuple(published), _shows_outside(row, networks, start)))
    out_tuple = tuple(out)
    return RunTrace(world.spec.name, int(records.seed), str(report["policy"]), start.isoformat(), records.owners,
                    tuple(sorted((slug, a.org.name) for slug, a in registry.items())), out_tuple,
                    _headline(report))


def _near_home(records, rows: np.ndarray, vehicle: int, truth: GroundTruth) -> tuple[int, int, int, float | None]:
    """The target's night reads; those within LOCATE_RADIUS_M of its home, on how many
    nights; and how close to its home any delivered read of it was made."""
    if vehicle < 0 or not len(rows):
        return 0, 0, 0, None
    reads = records.reads
    rows = rows[reads.vehicle[rows] == vehicle]
    if not len(rows):
        return 0, 0, 0, None
    cams = reads.camera[rows]
    dist = haversine_m(records.cameras.lon[cams], records.cameras.lat[cams], truth.home_lon[vehicle],
                       truth.home_lat[vehicle])
    night_no = night_number(reads.time_s[rows], truth.start_local_hour)
    night = night_no >= 0
    near = night & (dist <= LOCATE_RADIUS_M)
    return int(night.sum()), int(near.sum()), int(len(np.unique(night_no[near]))), round(float(dist.min()), 0)


def _headline(report: dict) -> Headline:
    """The report's own figures (``scenarios.metrics``): distinct reads and deliveries."""
    fed, oos = report["leakage"]["federal"], report["leakage"]["out_of_state"]
    cost = report["cost"]
    return Headline(
        report["policy"], int(fed["reads_delivered"]), int(oos["reads_delivered"]), int(fed["deliveries"]),
        int(fed["searches_served"]), int(fed["targets"]), int(fed["targets_located"]),
        report["visibility"]["federal_served_visible_in_audit"], int(cost["legit_searches"]),
        int(cost["legit_denied"]), int(cost["bystander_reads_delivered"]))


def map_geometry(world: World) -> MapGeometry:
    """Each street once (the two directions of a road are one line), and every camera."""
    net, cams = world.net, world.cameras
    a = np.minimum(net.edge_from, net.edge_to)
    b = np.maximum(net.edge_from, net.edge_to)
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    roads = tuple((round(float(net.node_lon[i]), 5), round(float(net.node_lat[i]), 5),
                   round(float(net.node_lon[j]), 5), round(float(net.node_lat[j]), 5)) for i, j in pairs)
    lon = np.concatenate([net.node_lon, cams.lon])
    lat = np.concatenate([net.node_lat, cams.lat])
    return MapGeometry(roads, tuple(cams.camera_id), tuple(world.owners[o] for o in cams.owner),
                       tuple(round(float(x), 5) for x in cams.lon), tuple(round(float(y), 5) for y in cams.lat),
                       (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))


def clock(trace: RunTrace, time_s: float | None) -> str:
    """Local wall-clock text of a simulated time ("Tue 01 Apr 03:12")."""
    if time_s is None:
        return "–"
    return (datetime.fromisoformat(trace.start) + timedelta(seconds=float(time_s))).strftime("%a %d %b %H:%M")
