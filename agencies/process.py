"""The agencies in a run: a simpy process that plays the planned searches at their times.

Each search goes to the lookup service (in process, or a client of a running one); its
reads travel back along the chain to the true beneficiary after the approval and hand-off
delays. Every hour the camera owners follow up hotlist alerts among the reads made so
far. The process needs only the service and the store's reads: it runs beside the
traffic (against a service that sees reads arrive), or after it on the finished store
(reads at or before a search's time are the same either way; retention is applied at
query time), which is how ``compare`` replays one world's traffic under many policies.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator

import numpy as np
import simpy

from agencies.adversary import Campaign
from agencies.audits import misconfiguration_process
from agencies.dynamics import MisconfigurationEvent
from agencies.hotlist_check import PlateFilter
from agencies.interest import Hotlist, PlannedSearch, hotlist_follow_up
from agencies.locating import infer_home, night_number
from agencies.records import (
    DELIVERY_CHANNELS,
    AgencyRecords,
    Dynamics,
    Misconfiguration,
    NetworkReached,
    Pursuit,
    SearchRecord,
    deliveries_of,
)
from lookup.sanctions import SanctionTable
from lookup.search import Approver
from sim.plates import encode
from sim.random_streams import combine_keys, keyed_uniforms

HOUR_S = 3600.0
_CHANNEL_INDEX = {c: i for i, c in enumerate(DELIVERY_CHANNELS)}


def row_channel(plan: PlannedSearch, via: str) -> str:
    """The channel a network's reads count under: an outside agency's own search is
    ``direct`` or ``national_lookup`` by how the network was reached."""
    if plan.channel != "direct":
        return plan.channel
    return "national_lookup" if via == "national_lookup" else "direct"


class AgencyPlayer:
    """Plays one run's searches against a service and keeps what each got."""

    def __init__(self, plans: list[PlannedSearch], service, store, owners: tuple[str, ...], approvals: Approver,
                 hotlist: Hotlist | None, camera_keys: np.ndarray, follow_up_key: np.uint64,
                 measured_from_s: int, measured_until_s: int):
        self.plans = list(plans)
        self.service, self.store, self.owners = service, store, owners
        self.approvals, self.hotlist = approvals, hotlist
        self._hot_filter = PlateFilter.of(hotlist.plates) if hotlist is not None else None
        self.camera_keys, self.follow_up_key = camera_keys, follow_up_key
        self.measured_from_s, self.measured_until_s = measured_from_s, measured_until_s
        self.searches: list[SearchRecord] = []
        self.hotlist_hits = 0
        self.follow_ups = 0
        self._checked_batches = 0
        # the arms race (agencies.adversary, agencies.audits): set by ``arm``
        self.campaigns: list[Campaign] = []
        self.sanctions = SanctionTable()
        self.auditors: list = []
        self.misconfigurations: list[MisconfigurationEvent] = []
        self._misconfig_open: dict[int, tuple[MisconfigurationEvent, float]] = {}  # event index -> (event, since)
        self._misconfig_done: list[Misconfiguration] = []
        self._base_graph = None
        self.adversary = "static"
        self._locate_context = None

    def arm(self, adversary: str, campaigns: list[Campaign], auditors: list, misconfigurations,
            locate_context=None) -> None:
        """Adaptive pursuits (they replace the planned outside attempts), owners' audits and
        misconfiguration events; ``locate_context``: (camera lon, lat, local hour at time 0)."""
        self.adversary, self.campaigns, self.auditors = adversary, list(campaigns), list(auditors)
        self.misconfigurations = list(misconfigurations)
        self._locate_context = locate_context
        # the planned outside attempts stay in ``plans`` (hotlist follow-ups are numbered
        # after them) but are not played: the pursuits make their own

    # --- misconfiguration: the vendor changes the owner's sharing ------------------------

    def _apply_graph(self) -> None:
        graph = self._base_graph
        extra_national = {e.owner for e, _ in self._misconfig_open.values() if e.sharing == "national_lookup"}
        extra_state = {e.owner for e, _ in self._misconfig_open.values() if e.sharing == "state"}
        self.service.graph = type(graph)(graph.orgs, graph.owners, graph.shares, graph.state_share | extra_state,
                                         graph.national_lookup | extra_national)

    def open_misconfiguration(self, event: MisconfigurationEvent, now_s: float) -> None:
        if self._base_graph is None:
            self._base_graph = self.service.graph
        self._misconfig_open[self.misconfigurations.index(event)] = (event, now_s)
        self._apply_graph()

    def end_misconfiguration(self, event: MisconfigurationEvent, now_s: float, by_audit: bool) -> None:
        key = self.misconfigurations.index(event)
        if key not in self._misconfig_open:
            return
        _, since = self._misconfig_open.pop(key)
        self._misconfig_done.append(Misconfiguration(event.owner, event.sharing, since, now_s, by_audit))
        self._apply_graph()

    def close_misconfigurations(self, owner: str, now_s: float) -> tuple[str, ...]:
        """An audit made ``owner`` check its settings: what was switched on is switched off."""
        closed = [e for e, _ in list(self._misconfig_open.values()) if e.owner == owner]
        for event in closed:
            self.end_misconfiguration(event, now_s, by_audit=True)
        return tuple(e.sharing for e in closed)

    def _misconfigured(self, owner: str, via: str) -> bool:
        return any(e.owner == owner and e.sharing == via for e, _ in self._misconfig_open.values())

    # --- adaptive pursuits ---------------------------------------------------------------

    def _located(self, campaign: Campaign, now_s: float) -> bool:
        """The agency's own guess from the reads it has received by ``now_s`` (no truth)."""
        if self._locate_context is None or not campaign.received_rows:
            return False
        rows = np.concatenate(campaign.received_rows)
        at = np.concatenate(campaign.received_at)
        keep = at <= now_s
        rows, at = rows[keep], at[keep]
        plate = self.store.column("plate", rows)
        wanted = encode(campaign.target.plate)
        mine = plate == wanted
        rows, at = rows[mine], at[mine]
        if not len(rows):
            return False
        lon, lat, start_hour = self._locate_context
        guess = infer_home(self.store.column("camera", rows), night_number(self.store.column("time_s", rows),
                           start_hour), at, lon, lat, float("nan"), float("nan"))
        return guess.camera is not None

    def search(self, plan: PlannedSearch) -> SearchRecord:
        outcome = self.service.search(plan.request, self.approvals(plan.request))
        via_of = {n.owner: n.via for n in outcome.networks}
        owner_of_row = self.store.column("owner", outcome.rows)
        channel_of_owner = np.array([_CHANNEL_INDEX[self._row_channel(plan, o, via_of.get(o, "own"))]
                                     for o in self.owners], np.uint8)
        record = SearchRecord(
            len(self.searches), plan,
            tuple(NetworkReached(n.owner, n.via, n.decision.effect, n.decision.rule_ref, n.searched, n.reads)
                  for n in outcome.networks),
            outcome.rows, plan.time_s + outcome.row_delay_s + plan.handoff_delay_s,
            channel_of_owner[owner_of_row] if len(owner_of_row) else np.empty(0, np.uint8), outcome.audit.seq)
        self.searches.append(record)
        return record

    def _row_channel(self, plan: PlannedSearch, owner: str, via: str) -> str:
        """As ``row_channel``, but reads an outside search got only through a misconfigured
        setting count under ``misconfiguration``."""
        if self._misconfig_open and not plan.legit and plan.channel != "insider" and self._misconfigured(owner, via):
            return "misconfiguration"
        return row_channel(plan, via)

    def hotlist_follow_ups(self, now_s: float) -> list[PlannedSearch]:
        """The owners' follow-up lookups of hotlist hits among reads made since the last
        check (reads of the measured period only: nobody acts during the warm-up)."""
        store, hot = self.store, self.hotlist
        new: list[PlannedSearch] = []
        while self._checked_batches < store.batch_count and store.batch(self._checked_batches)[1] < now_s:
            seg, _ = store.batch(self._checked_batches)
            self._checked_batches += 1
            if not len(seg) or seg.time_s[-1] < self.measured_from_s:
                continue
            hit = self._hot_filter.hits(seg.plate, seg.time_s, self.measured_from_s)
            self.hotlist_hits += len(hit)
            if not len(hit):
                continue
            keys = combine_keys(self.camera_keys[seg.camera[hit]], seg.vehicle[hit].astype(np.uint64),
                                seg.time_s[hit].astype(np.uint64))
            chosen = hit[keyed_uniforms(keys, self.follow_up_key, 1)[:, 0] < hot.follow_up_share]
            for row in chosen:
                plan = hotlist_follow_up(hot, seg, int(row), self.owners, len(self.plans))
                self.plans.append(plan)
                new.append(plan)
        self.follow_ups += len(new)
        return new

    def process(self, env: simpy.Environment) -> Generator:
        """Searches in time order; every hour of the measured period, the hotlist check."""
        queue: list = [(p.time_s, i, p) for i, p in enumerate(self.plans)
                       if not (self.campaigns and _outside_attempt(p))]
        counter = len(queue)
        for campaign in self.campaigns:  # adaptive pursuits: one attempt at a time
            queue.append((campaign.first_attempt_s, counter, campaign))
            counter += 1
        heapq.heapify(queue)
        next_check = self.measured_from_s + HOUR_S if self.hotlist is not None else np.inf
        while queue or next_check < self.measured_until_s:
            next_search = queue[0][0] if queue else np.inf
            if next_check <= next_search:
                if next_check > env.now:
                    yield env.timeout(next_check - env.now)
                for plan in self.hotlist_follow_ups(env.now):
                    heapq.heappush(queue, (plan.time_s, counter, plan))
                    counter += 1
                next_check += HOUR_S
                continue
            t, _, item = heapq.heappop(queue)
            if isinstance(item, Campaign):
                if t >= self.measured_until_s:
                    continue
                if t < self.measured_from_s:  # before the run: not made, as a static plan drops it
                    item.attempts += 1
                else:
                    if t > env.now:
                        yield env.timeout(t - env.now)
                    plan = item.attempt(int(t), self._located)
                    if plan is None:
                        continue
                    record = self.search(plan)
                    item.observe(plan, record.rows, record.delivered_s,
                                 tuple((n.searched, n.rule) for n in record.networks))
                if item.attempts < item.budget:
                    heapq.heappush(queue, (t + item.interval_s, counter, item))
                    counter += 1
                continue
            if t > env.now:
                yield env.timeout(t - env.now)
            self.search(item)

    def records(self, policy: str, beneficiaries: tuple[str, ...], sharing, audit) -> AgencyRecords:
        searches = tuple(self.searches)
        open_now = [Misconfiguration(e.owner, e.sharing, since, None, False) for e, since in self._misconfig_open.values()]
        dynamics = Dynamics(
            self.adversary,
            tuple(Pursuit(c.target.agency, c.target.vehicle, tuple(c.channels_used), c.stopped_located)
                  for c in self.campaigns),
            tuple(run for a in self.auditors for run in a.runs),
            tuple(self.sanctions.sanctions),
            tuple(sorted(self._misconfig_done + open_now, key=lambda m: (m.start_s, m.owner))))
        return AgencyRecords(policy, searches, deliveries_of(searches, beneficiaries), beneficiaries, audit,
                             sharing, self.hotlist_hits, self.follow_ups, self.measured_from_s,
                             self.measured_until_s, dynamics)


OUTSIDE_KINDS = ("federal", "out_of_state")


def _outside_attempt(plan: PlannedSearch) -> bool:
    """A planned attempt of an outside agency (an adaptive one makes its own instead)."""
    return not plan.legit and plan.beneficiary_kind in OUTSIDE_KINDS


def play_after_traffic(player: AgencyPlayer, start_s: float) -> None:
    """Play every search on a finished store, in a simpy environment of its own, beside
    the owners' audits and the misconfiguration events (when ``arm`` set them)."""
    env = simpy.Environment(initial_time=start_s)
    for event in player.misconfigurations:
        env.process(misconfiguration_process(env, player, event))
    for auditor in player.auditors:
        env.process(auditor.process(env, player.measured_until_s))
    env.process(player.process(env))
    env.run()

