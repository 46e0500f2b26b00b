"""Agencies in the run, and the metrics of what reached whom.

``agency_process`` plays the planned searches against the in-process lookup service at
their times; each search's reads travel back along its chain after the approval and
hand-off delays. ``leakage_report`` is a pure function of the run's records.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

from agencies.interest import CHANNELS, Hotlist, PlannedSearch, hotlist_follow_up
from agencies.reasons import VAGUE_REASONS
from agencies.registry import Agency, sharing_for, true_kind
from forensics.classifier import classify, precision_recall
from lookup.access import keyed_approvals
from lookup.policy import PolicyPack
from lookup.search import LookupService
from scenarios.files import ScenarioError
from sim.geo import haversine_m
from sim.plates import encode
from sim.random_streams import combine_keys, keyed_uniforms
from sim.records import RunRecords
from sim.traffic import DAY_S

NIGHT_FROM_HOUR, NIGHT_UNTIL_HOUR = 20, 6
LOCATE_RADIUS_M = 500.0
KINDS = ("local", "state", "federal", "out_of_state")


@dataclass(frozen=True)
class SearchRecord:
    """What one planned search got: which networks, which reads, when they arrived."""

    plan: int  # index into the plans
    rows: np.ndarray  # read rows (indices into RunRecords.reads)
    delivered_s: np.ndarray  # when each row reached the true beneficiary
    via: np.ndarray  # per row: how its network was reached (own, share, state, national_lookup)
    searched: tuple[tuple[str, str], ...]  # (owner, via) of the networks actually searched
    decisions: tuple[tuple[str, str, str], ...]  # (owner, effect, rule) of every network reached
    audit_seq: int

    @property
    def served(self) -> bool:
        return bool(self.searched)


class _Agencies:
    """The service and the tallies that the agency processes of one run share."""

    def __init__(self, ctx, plans: list[PlannedSearch], registry: dict[str, Agency], pack: PolicyPack,
                 hotlist: Hotlist | None, own_policies: dict | None, sharing: dict | None, lookup=None):
        world = ctx.world
        self.ctx, self.plans, self.hotlist = ctx, plans, hotlist
        self.owners = world.owners
        devices = {o: int((world.cameras.owner == i).sum()) for i, o in enumerate(self.owners)}
        try:
            graph = sharing_for(registry, self.owners, pack, overrides=sharing)
        except ValueError as exc:
            raise ScenarioError(f"{world.spec.source}: sharing: {exc}") from None
        # the in-process service, or a client of a real one (``alprsim run --service``)
        self.service = lookup or LookupService(ctx.store, self.owners, devices, graph, pack, own_policies)
        # owners answer approval requests with the draw the HTTP service uses too
        self.approvals = keyed_approvals(world.spec.seed)
        self.follow_up_key = ctx.streams.stream_key("agencies/hotlist")
        self.records: list[SearchRecord] = []
        self.hotlist_hits = 0
        self.follow_ups = 0
        self.checked_segments = 0
        ctx.extra.update(plans=plans, searches=self.records, audit=getattr(self.service, "audit", None), sharing=graph,
                         home_lon=world.net.node_lon[world.traffic.vehicles.home_node],
                         home_lat=world.net.node_lat[world.traffic.vehicles.home_node],
                         start_local_hour=world.start_local_hour, hotlist={"hits": 0, "follow_ups": 0})

    def search(self, index: int) -> None:
        plan = self.plans[index]
        outcome = self.service.search(plan.request, self.approvals(plan.request))
        via_of = {n.owner: n.via for n in outcome.networks}
        row_owner = self.ctx.store.column("owner", outcome.rows)
        self.records.append(SearchRecord(
            index, outcome.rows, plan.time_s + outcome.row_delay_s + plan.handoff_delay_s,
            np.array([via_of.get(self.owners[o], "own") for o in row_owner], dtype=object),
            tuple((n.owner, n.via) for n in outcome.networks if n.searched),
            tuple((n.owner, n.decision.effect, n.decision.rule_ref) for n in outcome.networks),
            outcome.audit.seq))

    def hotlist_follow_ups(self, now_s: float) -> list[int]:
        """Plan the owners' follow-up lookups of hotlist hits among reads already made."""
        store, hot = self.ctx.store, self.hotlist
        new: list[int] = []
        while self.checked_segments < store.batch_count and store.batch(self.checked_segments)[1] < now_s:
            seg, _ = store.batch(self.checked_segments)
            self.checked_segments += 1
            # hot.plates is sorted: one binary search per read
            pos = np.minimum(np.searchsorted(hot.plates, seg.plate), len(hot.plates) - 1)
            hit = np.flatnonzero(hot.plates[pos] == seg.plate)
            self.hotlist_hits += len(hit)
            if not len(hit):
                continue
            keys = combine_keys(self.ctx.world.cameras.key[seg.camera[hit]], seg.vehicle[hit].astype(np.uint64),
                                seg.time_s[hit].astype(np.uint64))
            chosen = hit[keyed_uniforms(keys, self.follow_up_key, 1)[:, 0] < hot.follow_up_share]
            for row in chosen:
                new.append(len(self.plans))
                self.plans.append(hotlist_follow_up(hot, seg, int(row), self.owners, len(self.plans)))
        self.follow_ups += len(new)
        self.ctx.extra["hotlist"] = {"hits": self.hotlist_hits, "follow_ups": self.follow_ups}
        return new


def agency_process(plans: list[PlannedSearch], registry: dict[str, Agency], pack: PolicyPack,
                   hotlist: Hotlist | None = None, own_policies: dict | None = None, sharing: dict | None = None,
                   lookup=None):
    """A simpy process factory: plays ``plans`` (sorted by time) against the service, and
    every hour plans the camera owners' follow-ups of hotlist hits."""
    plans = list(plans)
    planned = len(plans)

    def process(env: simpy.Environment, ctx) -> Generator:
        agencies = _Agencies(ctx, plans, registry, pack, hotlist, own_policies, sharing, lookup)
        queue: list[tuple[float, int]] = [(plans[i].time_s, i) for i in range(planned)]
        heapq.heapify(queue)
        next_check = 3600.0 if hotlist is not None else np.inf
        while queue or next_check < ctx.days * DAY_S:
            next_search = queue[0][0] if queue else np.inf
            if next_check <= next_search:
                if next_check > env.now:
                    yield env.timeout(next_check - env.now)
                for i in agencies.hotlist_follow_ups(env.now):
                    heapq.heappush(queue, (plans[i].time_s, i))
                next_check += 3600.0
                continue
            _, i = heapq.heappop(queue)
            if plans[i].time_s > env.now:
                yield env.timeout(plans[i].time_s - env.now)
            agencies.search(i)

    return process


def _is_night(time_s: np.ndarray, start_local_hour: float) -> np.ndarray:
    hour = (time_s / 3600.0 + start_local_hour) % 24
    return (hour >= NIGHT_FROM_HOUR) | (hour < NIGHT_UNTIL_HOUR)


def reveals_outside_purpose(plan: PlannedSearch, registry: dict[str, Agency]) -> bool:
    """Would the owner's audit row show this search as federal or out-of-state?"""
    req = plan.request
    requester = registry[req.org].org
    if true_kind(requester) in ("federal", "out_of_state"):
        return True
    declared = registry.get(req.on_behalf_of or "")
    if declared and true_kind(declared.org) in ("federal", "out_of_state"):
        return True
    verdict = classify(req.reason, req.case_number or "", req.offense_type or "", requester.name, "CA")
    return verdict.label in ("federal", "immigration", "out_of_state")


def _located(records: RunRecords, rows: np.ndarray, delivered: np.ndarray, vehicle: int, extra: dict) -> float | None:
    """When the target's home became known: a camera within 500 m of it read the vehicle
    at night on two distinct nights. Monotone: more delivered reads never delay it."""
    reads = records.reads
    mine = reads.vehicle[rows] == vehicle
    rows, delivered = rows[mine], delivered[mine]
    night = _is_night(reads.time_s[rows], extra["start_local_hour"])
    rows, delivered = rows[night], delivered[night]
    if len(rows) < 2:
        return None
    cams = reads.camera[rows]
    near = haversine_m(records.cameras.lon[cams], records.cameras.lat[cams], extra["home_lon"][vehicle],
                       extra["home_lat"][vehicle]) <= LOCATE_RADIUS_M
    best = None
    night_no = ((reads.time_s[rows] / 3600.0 + extra["start_local_hour"] - 12) // 24).astype(np.int64)
    for cam in np.unique(cams[near]):
        m = near & (cams == cam)
        order = np.argsort(delivered[m], kind="stable")
        seen: set[int] = set()
        for n, d in zip(night_no[m][order], delivered[m][order], strict=True):
            seen.add(int(n))
            if len(seen) >= 2:
                best = d if best is None else min(best, d)
                break
    return None if best is None else float(best)


def _channel(plan: PlannedSearch, via: str) -> str:
    """The channel a network's reads count under: an outside agency's own search is
    ``direct`` or ``national_lookup`` by how the network was reached."""
    if plan.channel != "direct":
        return plan.channel
    return "national_lookup" if via == "national_lookup" else "direct"


def leakage_report(records: RunRecords, registry: dict[str, Agency], policy: str) -> dict:
    """The policy's figures: searches, leakage by beneficiary and channel, visibility, cost."""
    extra = records.extra
    plans: list[PlannedSearch] = extra["plans"]
    searches: list[SearchRecord] = extra["searches"]
    reads = records.reads
    by_kind = dict.fromkeys(KINDS, 0)
    for s in searches:
        by_kind[plans[s.plan].beneficiary_kind] += 1
    report = {"policy": policy, "searches": {"total": len(searches), "by_true_beneficiary": by_kind}}
    leakage = {}
    for kind in ("federal", "out_of_state"):
        mine = [s for s in searches if plans[s.plan].beneficiary_kind == kind]
        by_channel = {c: {"searches_served": 0, "reads_delivered": 0} for c in CHANNELS}
        rows_all = []
        for s in mine:
            plan = plans[s.plan]
            if not s.served:
                continue
            channels = np.array([_channel(plan, v) for v in s.via], dtype=object)
            for c in {_channel(plan, v) for _, v in s.searched}:
                by_channel[c]["searches_served"] += 1
            for c in set(channels):
                by_channel[c]["reads_delivered"] += int((channels == c).sum())
            rows_all.append(s.rows)
        rows = np.concatenate(rows_all) if rows_all else np.empty(0, np.int64)
        by_target: dict[tuple[str, int], list[SearchRecord]] = {}
        for s in mine:
            by_target.setdefault((plans[s.plan].beneficiary, plans[s.plan].target_vehicle), []).append(s)
        targets = sorted(by_target)
        hours = []
        for target in targets:
            own = by_target[target]
            r = np.concatenate([s.rows for s in own])
            d = np.concatenate([s.delivered_s for s in own])
            when = _located(records, r, d, target[1], extra)
            if when is not None:
                hours.append((when - min(plans[s.plan].time_s for s in own)) / 3600.0)
        by_owner: dict[str, int] = {}
        for o, n in zip(*np.unique(reads.owner[rows], return_counts=True), strict=True):
            by_owner[records.owners[o]] = int(n)
        leakage[kind] = {
            "searches_served": sum(1 for s in mine if s.served),
            "reads_delivered": int(len(rows)),
            "vehicles_exposed": int(len(np.unique(reads.vehicle[rows]))),
            "targets": len(targets),
            "targets_located": len(hours),
            "median_hours_to_locate": round(float(np.median(hours)), 2) if hours else None,
            "by_channel": by_channel,
            "by_owner": by_owner,
        }
    report["leakage"] = leakage
    served_federal = [s for s in searches if plans[s.plan].beneficiary_kind == "federal" and s.served]
    visible = sum(reveals_outside_purpose(plans[s.plan], registry) for s in served_federal)
    report["visibility"] = {
        "federal_served_visible_in_audit": round(visible / len(served_federal), 4) if served_federal else None,
        "federal_served": len(served_federal)}
    report["cost"] = _cost(records, plans, searches)
    report["hotlist"] = dict(extra.get("hotlist", {}))
    if report["hotlist"]:
        report["hotlist"]["hits_per_read"] = round(report["hotlist"]["hits"] / max(len(reads), 1), 5)
    report["auditors"] = auditor_scores(records, registry)
    audit = extra.get("audit")
    if audit is not None:
        check = audit.verify()
        report["audit"] = {"rows": len(audit), "chain_verified": bool(check.ok), "head_sha256": audit.head_hash}
    return report


def _cost(records: RunRecords, plans: list[PlannedSearch], searches: list[SearchRecord]) -> dict:
    reads = records.reads
    legit = [s for s in searches if plans[s.plan].legit]
    denied = sum(1 for s in legit if not s.served)
    partly = sum(1 for s in legit if s.served and any(e != "allow" for _, e, _ in s.decisions))
    no_hit = bystanders = false_hits = gunshot_searches = gunshot_bystanders = 0
    for s in searches:
        plan = plans[s.plan]
        vehicles = reads.vehicle[s.rows]
        if plan.legit and plan.target_vehicle >= 0 and not (vehicles == plan.target_vehicle).any():
            no_hit += 1
        if plan.target_vehicle >= 0:
            bystanders += int((vehicles != plan.target_vehicle).sum())
            if plan.request.query.plate:
                code = encode(plan.request.query.plate)
                false_hits += int(((reads.plate[s.rows] == code) & (vehicles != plan.target_vehicle)).sum())
        else:
            bystanders += int(len(vehicles))
        if plan.channel == "gunshot":
            gunshot_searches += 1
            gunshot_bystanders += int(len(vehicles))
    return {"legit_searches": len(legit), "legit_denied": denied, "legit_partly_denied": partly,
            "legit_without_hit": no_hit, "bystander_reads_delivered": bystanders,
            "misread_false_hits": false_hits, "gunshot_area_searches": gunshot_searches,
            "gunshot_bystander_reads": gunshot_bystanders}


def true_purpose(plan: PlannedSearch, registry: dict[str, Agency]) -> str:
    """The label a perfect auditor would give, known only to the simulator.

    Outside beneficiaries by their kind (immigration agencies apart); in-state work done
    for another agency is ``assist_other``; an agency's own work is ``own_case`` unless
    the officer wrote a reason with no purpose in it (``vague``) or none (``missing``).
    """
    if plan.beneficiary_kind == "federal":
        return "immigration" if "immigration" in registry[plan.beneficiary].org.tags else "federal"
    if plan.beneficiary_kind == "out_of_state":
        return "out_of_state"
    if plan.beneficiary != plan.request.org:
        return "assist_other"
    reason = plan.request.reason.strip()
    if not reason:
        return "missing"
    return "vague" if reason in VAGUE_REASONS and not plan.request.case_number else "own_case"


def auditor_scores(records: RunRecords, registry: dict[str, Agency]) -> dict:
    """Precision and recall of the forensic classifier on the run's own audit log."""
    plans: list[PlannedSearch] = records.extra["plans"]
    searches: list[SearchRecord] = records.extra["searches"]
    truth, predicted = [], []
    for s in searches:
        req = plans[s.plan].request
        verdict = classify(req.reason, req.case_number or "", req.offense_type or "", registry[req.org].org.name, "CA")
        predicted.append(verdict.label)
        truth.append(true_purpose(plans[s.plan], registry))
    scores = precision_recall(predicted, truth)
    clean = {label: {k: (None if v != v else round(float(v), 4)) for k, v in stats.items()}
             for label, stats in scores.items()}
    return {"searches": len(truth), "by_label": clean}
