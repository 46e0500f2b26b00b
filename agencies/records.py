"""What the agencies of one run did: searches with both faces, and the reads delivered.

``AgencyRecords`` is the agencies' part of a run's records. Metrics read it (never the
world or the clock): each search keeps its declared face (the ``SearchRequest`` the
service saw) beside its true face (beneficiary, channel, chain, target), the networks
it reached with each decision, and the reads it returned; ``Deliveries`` has one row per
(search, read) that reached a true beneficiary, in columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agencies.audits import AuditRun
from agencies.interest import CHANNELS, PlannedSearch
from lookup.audit import AuditLog
from lookup.sanctions import Sanction
from lookup.sharing import SharingGraph

KINDS = ("local", "state", "federal", "out_of_state")
# channels a delivery is counted under: the outside channels, then in-state work, then
# the two channels of the arms race (appended: the earlier indices stay as they were)
DELIVERY_CHANNELS = (*CHANNELS, "local", "hotlist", "gunshot", "misconfiguration", "insider")


@dataclass(frozen=True)
class NetworkReached:
    """One owner network a search fanned out to, and what its policy decided."""

    owner: str
    via: str  # own, share, state, national_lookup
    effect: str  # allow, deny, require_approval, ...
    rule: str  # the rule that decided
    searched: bool  # allowed, or approval granted
    reads: int


@dataclass(frozen=True)
class SearchRecord:
    """One search as played: the plan (declared face and truth) and what it got."""

    index: int  # position in AgencyRecords.searches
    plan: PlannedSearch
    networks: tuple[NetworkReached, ...]
    rows: np.ndarray  # int64 read rows returned, sorted
    delivered_s: np.ndarray  # per row: when it reached the true beneficiary
    row_channel: np.ndarray  # uint8 per row: index into DELIVERY_CHANNELS
    audit_seq: int

    @property
    def served(self) -> bool:
        return any(n.searched for n in self.networks)

    @property
    def denied_somewhere(self) -> bool:
        return any(not n.searched for n in self.networks)


@dataclass(frozen=True)
class Deliveries:
    """Every (search, read) delivery to a true beneficiary, columnar."""

    search: np.ndarray  # int32 index into AgencyRecords.searches
    row: np.ndarray  # int64 read row
    beneficiary: np.ndarray  # int32 index into AgencyRecords.beneficiaries
    kind: np.ndarray  # uint8 index into KINDS
    channel: np.ndarray  # uint8 index into DELIVERY_CHANNELS
    delivered_s: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.row)

    def take(self, index) -> Deliveries:
        return Deliveries(self.search[index], self.row[index], self.beneficiary[index], self.kind[index],
                          self.channel[index], self.delivered_s[index])


def deliveries_of(searches: tuple[SearchRecord, ...], beneficiaries: tuple[str, ...]) -> Deliveries:
    """The delivery table of a run's searches, in search order then row order."""
    index = {slug: i for i, slug in enumerate(beneficiaries)}
    counts = np.array([len(s.rows) for s in searches], np.int64)
    if not counts.sum():
        empty = np.empty(0)
        return Deliveries(empty.astype(np.int32), empty.astype(np.int64), empty.astype(np.int32),
                          empty.astype(np.uint8), empty.astype(np.uint8), empty.astype(np.float64))
    return Deliveries(
        search=np.repeat(np.arange(len(searches), dtype=np.int32), counts),
        row=np.concatenate([s.rows for s in searches]).astype(np.int64),
        beneficiary=np.repeat(np.array([index[s.plan.beneficiary] for s in searches], np.int32), counts),
        kind=np.repeat(np.array([KINDS.index(s.plan.beneficiary_kind) for s in searches], np.uint8), counts),
        channel=np.concatenate([s.row_channel for s in searches]).astype(np.uint8),
        delivered_s=np.concatenate([s.delivered_s for s in searches]).astype(np.float64),
    )


@dataclass(frozen=True)
class Misconfiguration:
    """One misconfiguration as it played: when it opened, when and how it closed."""

    owner: str
    sharing: str
    start_s: float
    end_s: float | None  # None: still open at the end of the run
    closed_by_audit: bool


@dataclass(frozen=True)
class Pursuit:
    """One outside agency's pursuit of one target, as an adaptive agency played it."""

    agency: str
    vehicle: int
    channels: tuple[str, ...]  # the channel of each attempt, in order
    stopped_located: bool  # it stopped because its own guess pointed at a home


@dataclass(frozen=True)
class Dynamics:
    """The arms race's records of one run."""

    adversary: str  # static or adaptive
    pursuits: tuple[Pursuit, ...]  # adaptive pursuits (empty for a static adversary)
    audits: tuple[AuditRun, ...]
    sanctions: tuple[Sanction, ...]
    misconfigurations: tuple[Misconfiguration, ...]


@dataclass(frozen=True)
class AgencyRecords:
    """The agencies' part of a run's records."""

    policy: str
    searches: tuple[SearchRecord, ...]
    deliveries: Deliveries
    beneficiaries: tuple[str, ...]  # organizations, by Deliveries.beneficiary index
    audit: AuditLog
    sharing: SharingGraph
    hotlist_hits: int
    hotlist_follow_ups: int
    measured_from_s: int  # searches before this (the warm-up) are not measured
    measured_until_s: int
    dynamics: Dynamics | None = None  # the arms race: adversary, audits, sanctions, misconfiguration

    def measured(self, time_s):
        """Whether search times (a number or an array) fall in the measured period."""
        return (time_s >= self.measured_from_s) & (time_s < self.measured_until_s)


@dataclass(frozen=True)
class GroundTruth:
    """What only the simulator knows, beside the records: where each vehicle lives, the
    local clock, and which agencies enforce immigration law."""

    home_lon: np.ndarray  # per vehicle
    home_lat: np.ndarray
    start_local_hour: float  # local clock hour at time 0
    immigration_agencies: frozenset[str]
    start: object  # datetime of time 0, for the exported layouts
