"""Why searches happen: local investigations, and outside interest with its channels.

Each planned search has two faces: the ``SearchRequest`` the service sees, and the truth
(true beneficiary, channel, the chain the reads travel back along, the vehicle sought).

Outside agencies (federal, out-of-state) pursue each target through several channels,
each attempted with its own probability, at times and with wording drawn once from
named streams. Attempts are planned before the run and do not depend on what earlier
attempts got: under common random numbers every policy faces the very same requests, so
a difference between policies is the policy's alone. That is the static adversary; an
adaptive one (``agencies.adversary``) pursues the same targets but chooses each attempt
from what the earlier ones got.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agencies.dynamics import DynamicsSpec
from agencies.reasons import (
    REASON_MIX,
    TASK_FORCE_REASONS,
    ReasonMix,
    case_number,
    disguised_reason,
    honest_reason,
    proxy_reason,
    vague_reason,
    write_reason,
)
from agencies.registry import Agency, true_kind
from lookup.requests import ReadQuery, SearchRequest
from sim.geo import haversine_m
from sim.plates import decode
from sim.random_streams import RandomStreams
from sim.records import Cameras, Vehicles

DAY_S = 86_400
CHANNELS = ("direct", "national_lookup", "proxy_honest", "proxy_vague", "proxy_disguised", "task_force",
            "fusion_relay", "multi_hop")
# a direct search reaches both direct and national_lookup; listed in full: the plan draws per channel in this order
PLANNED_CHANNELS = ("direct", "proxy_honest", "proxy_vague", "proxy_disguised", "task_force", "fusion_relay",
                    "multi_hop")


@dataclass(frozen=True)
class ChannelSpec:
    """How likely an outside agency tries a channel for a target, and the hand-off delay."""

    probability: float
    handoff_delay_s: float = 0.0


# Defaults below are assumptions unless a source is named: no public figure gives how often
# an agency turns to each channel. They are scenario data (``agencies:`` in a scenario file).
FEDERAL_CHANNELS: dict[str, ChannelSpec] = {
    "direct": ChannelSpec(0.7), "proxy_honest": ChannelSpec(0.3, 6 * 3600),
    "proxy_vague": ChannelSpec(0.35, 6 * 3600), "proxy_disguised": ChannelSpec(0.15, 6 * 3600),
    "task_force": ChannelSpec(0.25, 3600), "fusion_relay": ChannelSpec(0.25, 12 * 3600),
    "multi_hop": ChannelSpec(0.2, 24 * 3600)}
OUT_OF_STATE_CHANNELS: dict[str, ChannelSpec] = {
    "direct": ChannelSpec(0.9), "proxy_honest": ChannelSpec(0.2, 12 * 3600),
    "proxy_vague": ChannelSpec(0.3, 12 * 3600), "fusion_relay": ChannelSpec(0.15, 24 * 3600)}
# New targets each outside agency pursues in the scenario's area per 30 days (assumption,
# sized so that federal-beneficiary searches are 0.1-1% of all searches: FACTS.md, "How
# often": federal-tagged 0.15-0.84% a year in The Colony's log, 0.25% in California's).
TARGETS_PER_30_DAYS: dict[str, float] = {
    "ice-ero": 24, "hsi": 6, "cbp": 4, "fbi": 10, "dea": 8, "atf": 5, "usms": 8,
    "harris-county-tx-so": 4, "cobb-county-ga-so": 3, "las-vegas-nv-pd": 5}


@dataclass(frozen=True)
class InterestSpec:
    """Every behavioural parameter of the agencies: scenario data, rates not counts."""

    targets_per_30_days: dict[str, float] = field(default_factory=lambda: dict(TARGETS_PER_30_DAYS))
    federal_channels: dict[str, ChannelSpec] = field(default_factory=lambda: dict(FEDERAL_CHANNELS))
    out_of_state_channels: dict[str, ChannelSpec] = field(default_factory=lambda: dict(OUT_OF_STATE_CHANNELS))
    agency_channels: dict[str, dict[str, ChannelSpec]] = field(default_factory=dict)  # per agency, overrides
    follow_ups: int = 2  # more searches per attempt, a week apart (assumption)
    follow_up_interval_days: float = 7.0
    window_days: float = 30.0  # how far back a search for a target looks (assumption; Flock's default retention)
    proxies: tuple[str, ...] = ("san-francisco-ca-pd", "california-highway-patrol", "alameda-county-ca-so")
    task_force_host: str = "alameda-county-ca-so"
    fusion_centre: str = "ncric"
    multi_hop_chain: tuple[str, ...] = ("california-highway-patrol", "san-francisco-ca-pd")
    local_scale: float = 1.0  # scales every agency's own search volume
    local_window_days: tuple[float, ...] = (1, 7, 30)  # windows of local plate searches (assumption)
    hotlist_vehicle_share: float = 0.007  # vehicles on a hotlist (FACTS.md: 0.72% of detections hit)
    hotlist_follow_up_share: float = 0.005  # hits the camera owner follows with a lookup (assumption)
    reason_mix: ReasonMix = REASON_MIX  # how officers write reasons (agencies.reasons, with sources)
    declare_own_share: float = 0.8  # own searches that name the own agency as beneficiary (assumption)
    dynamics: DynamicsSpec = DynamicsSpec()  # adversary, audits, misconfiguration, insider (agencies.dynamics)

    def channels_for(self, slug: str, kind: str) -> dict[str, ChannelSpec]:
        if slug in self.agency_channels:
            return self.agency_channels[slug]
        return self.federal_channels if kind == "federal" else self.out_of_state_channels

    @property
    def attempt_span_days(self) -> float:
        """How long after a target's arrival its attempts can still come."""
        return 2.0 + self.follow_ups * self.follow_up_interval_days


@dataclass(frozen=True)
class PlannedSearch:
    time_s: int
    request: SearchRequest  # the declared face
    beneficiary: str  # true beneficiary (organization slug)
    beneficiary_kind: str  # local, state, federal, out_of_state
    channel: str  # "local" for legitimate work, else one of CHANNELS
    chain: tuple[str, ...]  # organizations the reads pass through, searcher first, beneficiary last
    handoff_delay_s: float
    target_vehicle: int  # the vehicle sought, -1 for area searches
    legit: bool
    wording: str = ""  # how the reason was written (agencies.reasons.WORDINGS); "" when not by the writer
    innocent_trap: bool = False  # a local reason with a word that trips naive keyword filters ("black ice")
    adversarial: bool = False  # an outside purpose re-spelt past keyword filters ("I.C.E.")


def _window(time_s: int, days: float) -> tuple[int, int]:
    """The last ``days`` up to and including ``time_s``: exactly ``days`` long, so a
    30-day limit admits a 30-day search (reads before the run's start are the warm-up's)."""
    end = int(time_s) + 1
    return end - int(round(days * DAY_S)), end


def plan_local(registry: dict[str, Agency], vehicles: Vehicles, cameras: Cameras, days: float,
               spec: InterestSpec, streams: RandomStreams) -> list[PlannedSearch]:
    """Every agency's own legitimate searches: cases arriving as a Poisson process."""
    out: list[PlannedSearch] = []
    n_vehicles = len(vehicles)
    in_state = [a.org.slug for a in registry.values() if true_kind(a.org) in ("local", "state")]
    mix = spec.reason_mix
    for slug, agency in sorted(registry.items()):
        rate = agency.searches_per_day * spec.local_scale
        if rate <= 0:
            continue
        rng = streams.generator(f"agencies/local/{slug}")
        count = int(rng.poisson(rate * days))
        times = np.sort(rng.uniform(0, days * DAY_S, count)).astype(np.int64)
        for k, t in enumerate(times):
            # many forms default "on behalf of" to the officer's own agency
            beneficiary, on_behalf = slug, (slug if rng.random() < spec.declare_own_share else None)
            if rng.random() < agency.assist_share:
                beneficiary = str(rng.choice([s for s in in_state if s != slug]))
                on_behalf = beneficiary if rng.random() < 0.4 else None
            written = write_reason(rng, mix, registry[beneficiary].org.name if beneficiary != slug else None)
            reason, offense, case = written.reason, written.offense_type, written.case_number
            vehicle = int(rng.integers(n_vehicles))
            kind = rng.random()
            start, end = _window(int(t), float(rng.choice(spec.local_window_days)))
            if kind < 0.8:
                query, stype = ReadQuery(plate=decode(vehicles.plate[vehicle]), start_s=start, end_s=end), "plate"
            elif kind < 0.9:
                text = list(decode(vehicles.plate[vehicle]))
                for pos in rng.choice(len(text), size=min(2, len(text)), replace=False):
                    text[pos] = "?"
                query, stype = ReadQuery(plate_pattern="".join(text), start_s=start, end_s=end), "partial"
            elif kind < 0.95:
                query = ReadQuery(make=int(vehicles.make[vehicle]), colour=int(vehicles.colour[vehicle]),
                                  body=int(vehicles.body[vehicle]), start_s=int(t) + 1 - DAY_S, end_s=int(t) + 1)
                stype = "fingerprint"
            else:
                c = int(rng.integers(len(cameras)))
                near = np.nonzero(haversine_m(cameras.lon[c], cameras.lat[c], cameras.lon, cameras.lat) < 400)[0]
                query = ReadQuery(cameras=tuple(int(x) for x in near), start_s=int(t) + 1 - 2 * 3600,
                                  end_s=int(t) + 1)
                stype, vehicle = "area", -1
            request = SearchRequest(f"{slug}-{k:06d}", slug, f"{slug}-user-{int(rng.integers(1, 60)):02d}", int(t),
                                    reason, stype, query, offense, case, on_behalf)
            out.append(PlannedSearch(int(t), request, beneficiary, true_kind(registry[beneficiary].org), "local",
                                     (slug, beneficiary) if beneficiary != slug else (slug,), 0.0, vehicle, True,
                                     written.wording, written.innocent_trap))
    return out


def plan_outside(registry: dict[str, Agency], vehicles: Vehicles, days: float, spec: InterestSpec,
                 streams: RandomStreams) -> list[PlannedSearch]:
    """Federal and out-of-state interest in targets, through every channel attempted.

    Targets arrive as a Poisson process at each agency's rate, over the measured period
    and the span before it from which their attempts still reach into it; attempts that
    fall outside the measured period are not made. So the searches per day do not depend
    on the run's length.
    """
    out: list[PlannedSearch] = []
    residents = np.nonzero(vehicles.plate_state == 0)[0]  # CA plates: people who live here
    end_s = days * DAY_S
    for slug, rate in sorted(spec.targets_per_30_days.items()):
        agency = registry.get(slug)
        if agency is None or rate <= 0:
            continue
        org = agency.org
        kind = true_kind(org)
        channels = spec.channels_for(slug, kind)
        rng = streams.generator(f"agencies/interest/{slug}")
        targets, arrivals = draw_targets(rng, residents, rate, days, spec)
        for t_index, (vehicle, first) in enumerate(zip(targets, arrivals, strict=True)):
            plate = decode(vehicles.plate[vehicle])
            for channel in PLANNED_CHANNELS:
                ch = channels.get(channel)
                draw = rng.random(6)  # always six draws per channel: the plan stays aligned
                if ch is None or draw[0] >= ch.probability:
                    continue
                for f in range(spec.follow_ups + 1):
                    t = int(first + draw[1] * 2 * DAY_S + f * spec.follow_up_interval_days * DAY_S)
                    if not 0 <= t < end_s:
                        continue
                    request, chain, adversarial = _declared(channel, org, plate, t, spec, registry, rng, draw,
                                                            f"{slug}-t{t_index:04d}-{channel}-{f}")
                    if request is None:
                        continue
                    out.append(PlannedSearch(t, request, slug, kind, channel, (*chain, slug), ch.handoff_delay_s,
                                             int(vehicle), False, adversarial=adversarial))
    return out


def draw_targets(rng: np.random.Generator, residents: np.ndarray, rate: float, days: float,
                 spec: InterestSpec) -> tuple[np.ndarray, np.ndarray]:
    """An outside agency's targets (vehicles) and their arrival times: the first draws of
    its stream, so a static and an adaptive agency pursue the same people at the same times."""
    lead_s = spec.attempt_span_days * DAY_S
    count = min(int(rng.poisson(rate * (days * DAY_S + lead_s) / (30 * DAY_S))), len(residents))
    targets = rng.choice(residents, size=count, replace=False)
    return targets, rng.uniform(-lead_s, days * DAY_S, count)


def declared(channel: str, org, plate: str, t: int, spec: InterestSpec, registry: dict[str, Agency],
             rng: np.random.Generator, draw: np.ndarray, request_id: str):
    """The declared face of one outside attempt (request or None, chain, adversarial)."""
    return _declared(channel, org, plate, t, spec, registry, rng, draw, request_id)


def _declared(channel: str, org, plate: str, t: int, spec: InterestSpec, registry: dict[str, Agency],
              rng: np.random.Generator, draw: np.ndarray, request_id: str):
    """The declared face of one outside attempt, and who handles the reads on the way."""
    start, end = _window(t, spec.window_days)
    query = ReadQuery(plate=plate, start_s=start, end_s=end)
    proxies = [p for p in spec.proxies if p in registry]
    proxy = proxies[int(draw[2] * len(proxies))] if proxies else None
    user = f"officer-{int(draw[3] * 90) + 10}"
    case = case_number(rng)
    if channel == "direct":
        reason = honest_reason(rng, org.slug, org.name, org.state)
        return SearchRequest(request_id, org.slug, f"{org.slug}-agent", t, reason, "plate", query, None,
                             case if draw[4] < 0.5 else None), (), False
    if channel.startswith("proxy_") and proxy:
        if channel == "proxy_honest":
            written = proxy_reason(rng, org.slug, org.name, org.state, spec.reason_mix)
            return SearchRequest(request_id, proxy, user, t, written.reason, "plate", query, None, case,
                                 org.slug if draw[5] < 0.6 else None), (proxy,), written.adversarial
        if channel == "proxy_vague":
            return SearchRequest(request_id, proxy, user, t, vague_reason(rng), "plate", query, None,
                                 case if draw[4] < 0.4 else None, proxy if draw[5] < 0.4 else None), (proxy,), False
        reason, offense = disguised_reason(rng)
        # a disguised search passes itself off as the proxy's own work
        return SearchRequest(request_id, proxy, user, t, reason, "plate", query, offense, case,
                             proxy if draw[5] < 0.8 else None), (proxy,), False
    if channel == "task_force" and spec.task_force_host in registry:
        reason, offense = TASK_FORCE_REASONS[int(draw[2] * len(TASK_FORCE_REASONS))]
        return SearchRequest(request_id, spec.task_force_host, f"tfo-{org.slug}", t, reason, "plate", query,
                             offense, case, spec.task_force_host if draw[5] < 0.8 else None), (spec.task_force_host,), False
    if channel == "fusion_relay" and spec.fusion_centre in registry:
        # a relay is written as the centre writes any search it runs for another agency
        written = write_reason(rng, spec.reason_mix, "outside agency")
        return SearchRequest(request_id, spec.fusion_centre, user, t, written.reason, "plate", query,
                             written.offense_type, written.case_number), (spec.fusion_centre,), False
    if channel == "multi_hop":
        chain = [s for s in spec.multi_hop_chain if s in registry]
        if len(chain) < 2:
            return None, (), False
        middle, last = chain[0], chain[-1]
        written = write_reason(rng, spec.reason_mix, registry[middle].org.name)
        return SearchRequest(request_id, last, user, t, written.reason, "plate", query, written.offense_type,
                             written.case_number, middle if draw[5] < 0.5 else None), (last, middle), False
    return None, (), False


@dataclass(frozen=True)
class Hotlist:
    """Plates the cameras alert on (stolen vehicles, wanted persons, Amber alerts)."""

    plates: np.ndarray  # int64 plate codes, sorted
    vehicle_of_plate: dict[int, int]
    follow_up_share: float


def plan_hotlist(vehicles: Vehicles, spec: InterestSpec, streams: RandomStreams) -> Hotlist:
    rng = streams.generator("agencies/hotlist")
    chosen = rng.choice(len(vehicles), size=int(round(spec.hotlist_vehicle_share * len(vehicles))), replace=False)
    plates = vehicles.plate[chosen]
    return Hotlist(np.sort(plates), {int(p): int(v) for p, v in zip(plates, chosen, strict=True)},
                   spec.hotlist_follow_up_share)


def hotlist_follow_up(hotlist: Hotlist, reads, row: int, owners: tuple[str, ...], number: int) -> PlannedSearch:
    """The camera owner's lookup after an alert: the plate over the last week."""
    owner = owners[int(reads.owner[row])]
    t = int(reads.time_s[row]) + 600
    plate = decode(int(reads.plate[row]))
    reason = ("hotlist hit follow up", "10851 VC", "stolen vehicle", "SVS hit")[number % 4]
    request = SearchRequest(f"{owner}-hot-{number:06d}", owner, f"{owner}-user-dispatch", t, reason, "plate",
                            ReadQuery(plate=plate, start_s=t + 1 - 7 * DAY_S, end_s=t + 1), "Stolen Vehicle",
                            f"HL{number:06d}", owner)
    vehicle = hotlist.vehicle_of_plate.get(int(reads.plate[row]), -1)
    return PlannedSearch(t, request, owner, "local", "hotlist", (owner,), 0.0, vehicle, True)
