"""Why searches happen: local investigations, and outside interest with its channels.

Each planned search has two faces: the ``SearchRequest`` the service sees, and the truth
(true beneficiary, channel, the chain the reads travel back along, the vehicle sought).

Outside agencies (federal, out-of-state) pursue each target through several channels,
each attempted with its own probability, at times and with wording drawn once from
named streams. Attempts are planned before the run and do not depend on what earlier
attempts got: under common random numbers every policy faces the very same requests, so
a difference between policies is the policy's alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agencies.reasons import (
    REASON_MIX,
    TASK_FORCE_REASONS,
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
PLANNED_CHANNELS = tuple(c for c in CHANNELS if c != "national_lookup")  # a direct search reaches both


@dataclass(frozen=True)
class ChannelSpec:
    """How likely an outside agency tries a channel for a target, and the hand-off delay."""

    probability: float
    handoff_delay_s: float = 0.0


@dataclass(frozen=True)
class InterestSpec:
    targets: dict[str, int] = field(default_factory=lambda: {
        "ice-ero": 24, "hsi": 6, "cbp": 4, "fbi": 10, "dea": 8, "atf": 5, "usms": 8,
        "harris-county-tx-so": 4, "cobb-county-ga-so": 3, "las-vegas-nv-pd": 5})
    federal_channels: dict[str, ChannelSpec] = field(default_factory=lambda: {
        "direct": ChannelSpec(0.7), "proxy_honest": ChannelSpec(0.3, 6 * 3600),
        "proxy_vague": ChannelSpec(0.35, 6 * 3600), "proxy_disguised": ChannelSpec(0.15, 6 * 3600),
        "task_force": ChannelSpec(0.25, 3600), "fusion_relay": ChannelSpec(0.25, 12 * 3600),
        "multi_hop": ChannelSpec(0.2, 24 * 3600)})
    out_of_state_channels: dict[str, ChannelSpec] = field(default_factory=lambda: {
        "direct": ChannelSpec(0.9), "proxy_honest": ChannelSpec(0.2, 12 * 3600),
        "proxy_vague": ChannelSpec(0.3, 12 * 3600), "fusion_relay": ChannelSpec(0.15, 24 * 3600)})
    follow_ups: int = 2  # more searches per attempt, a week apart
    window_days: float = 30.0  # how far back a search for a target looks
    proxies: tuple[str, ...] = ("san-francisco-ca-pd", "california-highway-patrol", "alameda-county-ca-so")
    task_force_host: str = "alameda-county-ca-so"
    fusion_centre: str = "ncric"
    multi_hop_chain: tuple[str, ...] = ("california-highway-patrol", "san-francisco-ca-pd")
    local_scale: float = 1.0  # scales every agency's own search volume
    hotlist_vehicle_share: float = 0.007  # vehicles on a hotlist (FACTS.md: 0.72% of detections hit)
    hotlist_follow_up_share: float = 0.005  # hits the camera owner follows with a lookup
    local_case_number_share: float = 0.75
    declare_own_share: float = 0.8  # own searches that name the own agency as beneficiary


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


def _window(time_s: int, days: float) -> tuple[int, int]:
    return max(0, int(time_s - days * DAY_S)), int(time_s) + 1


def plan_local(registry: dict[str, Agency], vehicles: Vehicles, cameras: Cameras, days: float,
               spec: InterestSpec, streams: RandomStreams) -> list[PlannedSearch]:
    """Every agency's own legitimate searches: cases arriving as a Poisson process."""
    out: list[PlannedSearch] = []
    n_vehicles = len(vehicles)
    in_state = [a.org.slug for a in registry.values() if true_kind(a.org) in ("local", "state")]
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
            written = write_reason(rng, REASON_MIX, registry[beneficiary].org.name if beneficiary != slug else None)
            reason, offense, case = written.reason, written.offense_type, written.case_number
            vehicle = int(rng.integers(n_vehicles))
            kind = rng.random()
            start, end = _window(int(t), float(rng.choice((1, 7, 30))))
            if kind < 0.8:
                query, stype = ReadQuery(plate=decode(vehicles.plate[vehicle]), start_s=start, end_s=end), "plate"
            elif kind < 0.9:
                text = list(decode(vehicles.plate[vehicle]))
                for pos in rng.choice(len(text), size=min(2, len(text)), replace=False):
                    text[pos] = "?"
                query, stype = ReadQuery(plate_pattern="".join(text), start_s=start, end_s=end), "partial"
            elif kind < 0.95:
                query = ReadQuery(make=int(vehicles.make[vehicle]), colour=int(vehicles.colour[vehicle]),
                                  body=int(vehicles.body[vehicle]), start_s=max(0, int(t) - DAY_S), end_s=int(t) + 1)
                stype = "fingerprint"
            else:
                c = int(rng.integers(len(cameras)))
                near = np.nonzero(haversine_m(cameras.lon[c], cameras.lat[c], cameras.lon, cameras.lat) < 400)[0]
                query = ReadQuery(cameras=tuple(int(x) for x in near), start_s=max(0, int(t) - 2 * 3600),
                                  end_s=int(t) + 1)
                stype, vehicle = "area", -1
            request = SearchRequest(f"{slug}-{k:06d}", slug, f"{slug}-user-{int(rng.integers(1, 60)):02d}", int(t),
                                    reason, stype, query, offense, case, on_behalf)
            out.append(PlannedSearch(int(t), request, beneficiary, true_kind(registry[beneficiary].org), "local",
                                     (slug, beneficiary) if beneficiary != slug else (slug,), 0.0, vehicle, True))
    return out


def plan_outside(registry: dict[str, Agency], vehicles: Vehicles, days: float, spec: InterestSpec,
                 streams: RandomStreams) -> list[PlannedSearch]:
    """Federal and out-of-state interest in targets, through every channel attempted."""
    out: list[PlannedSearch] = []
    residents = np.nonzero(vehicles.plate_state == 0)[0]  # CA plates: people who live here
    for slug, count in sorted(spec.targets.items()):
        agency = registry.get(slug)
        if agency is None or count <= 0:
            continue
        org = agency.org
        kind = true_kind(org)
        channels = spec.federal_channels if kind == "federal" else spec.out_of_state_channels
        rng = streams.generator(f"agencies/interest/{slug}")
        targets = rng.choice(residents, size=min(count, len(residents)), replace=False)
        for t_index, vehicle in enumerate(targets):
            plate = decode(vehicles.plate[vehicle])
            first = float(rng.uniform(0.15, 0.7) * days * DAY_S)
            for channel in PLANNED_CHANNELS:
                ch = channels.get(channel)
                draw = rng.random(6)  # always six draws per channel: the plan stays aligned
                if ch is None or draw[0] >= ch.probability:
                    continue
                for f in range(spec.follow_ups + 1):
                    t = int(min(first + draw[1] * 2 * DAY_S + f * 7 * DAY_S, days * DAY_S - 1))
                    request, chain = _declared(channel, org, plate, t, spec, registry, rng, draw,
                                               f"{slug}-t{t_index:03d}-{channel}-{f}")
                    if request is None:
                        continue
                    out.append(PlannedSearch(t, request, slug, kind, channel, (*chain, slug), ch.handoff_delay_s,
                                             int(vehicle), False))
    return out


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
                             case if draw[4] < 0.5 else None), ()
    if channel.startswith("proxy_") and proxy:
        if channel == "proxy_honest":
            reason = proxy_reason(rng, org.slug, org.name, org.state, REASON_MIX).reason
            return SearchRequest(request_id, proxy, user, t, reason, "plate", query, None, case,
                                 org.slug if draw[5] < 0.6 else None), (proxy,)
        if channel == "proxy_vague":
            return SearchRequest(request_id, proxy, user, t, vague_reason(rng), "plate", query, None,
                                 case if draw[4] < 0.4 else None, proxy if draw[5] < 0.4 else None), (proxy,)
        reason, offense = disguised_reason(rng)
        # a disguised search passes itself off as the proxy's own work
        return SearchRequest(request_id, proxy, user, t, reason, "plate", query, offense, case,
                             proxy if draw[5] < 0.8 else None), (proxy,)
    if channel == "task_force" and spec.task_force_host in registry:
        reason, offense = TASK_FORCE_REASONS[int(draw[2] * len(TASK_FORCE_REASONS))]
        return SearchRequest(request_id, spec.task_force_host, f"tfo-{org.slug}", t, reason, "plate", query,
                             offense, case, spec.task_force_host if draw[5] < 0.8 else None), (spec.task_force_host,)
    if channel == "fusion_relay" and spec.fusion_centre in registry:
        # a relay is written as the centre writes any search it runs for another agency
        written = write_reason(rng, REASON_MIX, "outside agency")
        return SearchRequest(request_id, spec.fusion_centre, user, t, written.reason, "plate", query,
                             written.offense_type, written.case_number), (spec.fusion_centre,)
    if channel == "multi_hop":
        chain = [s for s in spec.multi_hop_chain if s in registry]
        if len(chain) < 2:
            return None, ()
        middle, last = chain[0], chain[-1]
        written = write_reason(rng, REASON_MIX, registry[middle].org.name)
        return SearchRequest(request_id, last, user, t, written.reason, "plate", query, written.offense_type,
                             written.case_number, middle if draw[5] < 0.5 else None), (last, middle)
    return None, ()


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
                            ReadQuery(plate=plate, start_s=max(0, t - 7 * DAY_S), end_s=t + 1), "Stolen Vehicle",
                            f"HL{number:06d}", owner)
    vehicle = hotlist.vehicle_of_plate.get(int(reads.plate[row]), -1)
    return PlannedSearch(t, request, owner, "local", "hotlist", (owner,), 0.0, vehicle, True)
