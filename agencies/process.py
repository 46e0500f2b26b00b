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

from agencies.interest import Hotlist, PlannedSearch, hotlist_follow_up
from agencies.records import (
    DELIVERY_CHANNELS,
    AgencyRecords,
    NetworkReached,
    SearchRecord,
    deliveries_of,
)
from lookup.search import Approver
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
        self.camera_keys, self.follow_up_key = camera_keys, follow_up_key
        self.measured_from_s, self.measured_until_s = measured_from_s, measured_until_s
        self.searches: list[SearchRecord] = []
        self.hotlist_hits = 0
        self.follow_ups = 0
        self._checked_batches = 0

    def search(self, plan: PlannedSearch) -> SearchRecord:
        outcome = self.service.search(plan.request, self.approvals(plan.request))
        via_of = {n.owner: n.via for n in outcome.networks}
        owner_of_row = self.store.column("owner", outcome.rows)
        channel_of_owner = np.array([_CHANNEL_INDEX[row_channel(plan, via_of.get(o, "own"))] for o in self.owners],
                                    np.uint8)
        record = SearchRecord(
            len(self.searches), plan,
            tuple(NetworkReached(n.owner, n.via, n.decision.effect, n.decision.rule_ref, n.searched, n.reads)
                  for n in outcome.networks),
            outcome.rows, plan.time_s + outcome.row_delay_s + plan.handoff_delay_s,
            channel_of_owner[owner_of_row] if len(owner_of_row) else np.empty(0, np.uint8), outcome.audit.seq)
        self.searches.append(record)
        return record

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
            pos = np.minimum(np.searchsorted(hot.plates, seg.plate), len(hot.plates) - 1)
            hit = np.flatnonzero((hot.plates[pos] == seg.plate) & (seg.time_s >= self.measured_from_s))
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
        queue = [(p.time_s, i, p) for i, p in enumerate(self.plans)]
        heapq.heapify(queue)
        counter = len(queue)
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
            t, _, plan = heapq.heappop(queue)
            if t > env.now:
                yield env.timeout(t - env.now)
            self.search(plan)

    def records(self, policy: str, beneficiaries: tuple[str, ...], sharing, audit) -> AgencyRecords:
        searches = tuple(self.searches)
        return AgencyRecords(policy, searches, deliveries_of(searches, beneficiaries), beneficiaries, audit,
                             sharing, self.hotlist_hits, self.follow_ups, self.measured_from_s,
                             self.measured_until_s)


def play_after_traffic(player: AgencyPlayer, start_s: float) -> None:
    """Play every search on a finished store, in a simpy environment of its own."""
    env = simpy.Environment(initial_time=start_s)
    env.process(player.process(env))
    env.run()

