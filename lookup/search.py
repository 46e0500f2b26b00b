"""One search, as the service performs it: fan out, decide per network, fetch, log.

``LookupService.search`` is the one core that the simulator and the HTTP API both call:
it reaches every network the sharing graph allows, evaluates each owner's layers on the
declared face of the request (``lookup.policy.evaluate_many``), returns the allowed
reads, and appends one hash-chained audit row naming every network's decision and rule.
Denied is a value, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lookup.audit import AuditLog, AuditRow, NetworkEntry
from lookup.policy import (
    Context,
    Decision,
    Network,
    Policy,
    PolicyPack,
    SlidingWindowCounter,
    evaluate_many,
    rate_keys_to_record,
)
from lookup.requests import SearchRequest
from lookup.sharing import SharingGraph
from lookup.store import PatternError, ReadStore

# Draws the owner's answer to a request that needs approval: (owner slug, decision) -> granted.
Approver = Callable[[str, Decision], bool]


def _as_layers(own: Policy | tuple[Policy, ...] | None) -> tuple[Policy, ...]:
    if own is None:
        return ()
    return tuple(own) if isinstance(own, tuple | list) else (own,)


def refuse_all(owner: str, decision: Decision) -> bool:
    """With no one to approve, a request that needs approval is not searched."""
    return False


@dataclass(frozen=True)
class NetworkOutcome:
    owner: str
    via: str
    decision: Decision
    searched: bool  # allowed, or approval granted
    delay_s: float  # approval delay before the reads are handed over
    reads: int


@dataclass(frozen=True)
class SearchOutcome:
    request: SearchRequest
    networks: tuple[NetworkOutcome, ...]
    rows: np.ndarray  # store row ids returned, sorted
    row_delay_s: np.ndarray  # per returned row: the approval delay of its network
    audit: AuditRow
    error: str | None = None  # a query the store cannot run (e.g. a bad pattern): nothing returned

    @property
    def served(self) -> bool:
        return len(self.rows) > 0 or any(n.searched for n in self.networks)

    @property
    def denied_everywhere(self) -> bool:
        return not any(n.searched for n in self.networks)

    def decision_for(self, owner: str) -> Decision | None:
        return next((n.decision for n in self.networks if n.owner == owner), None)


class LookupService:
    """The shared-lookup service in process: store, sharing graph, policies, audit log."""

    def __init__(self, store: ReadStore, owners: tuple[str, ...], devices: dict[str, int], graph: SharingGraph,
                 pack: PolicyPack, own_policies: dict[str, Policy | tuple[Policy, ...]] | None = None,
                 audit: AuditLog | None = None):
        self.store = store
        self.owners = owners  # store owner index -> slug
        self.devices = devices
        self.graph = graph
        self.pack = pack
        self.own_policies = own_policies or {}
        self.audit = audit if audit is not None else AuditLog()
        self.rates = SlidingWindowCounter()
        # an owner's own policy (one, or several layers) applies after the pack's layers
        self._layers = {o: (*pack.layers, *_as_layers(self.own_policies.get(o))) for o in graph.owners}
        self._owner_index = {slug: i for i, slug in enumerate(owners)}
        # a pack decided by a Cedar or Rego file brings its own evaluator (lookup.policy_external)
        self._evaluate = getattr(pack, "evaluate_many", None) or evaluate_many

    def search(self, request: SearchRequest, approve: Approver = refuse_all) -> SearchOutcome:
        requester = self.graph.orgs.get(request.org)
        if requester is None:
            raise KeyError(f"search {request.request_id!r}: organization {request.org!r} is not registered")
        reach = self.graph.reachable(request.org)
        context = Context(now_s=request.time_s, rates=self.rates, lookup_org=self._lookup_org)
        networks = [Network(self.graph.orgs[o], self._layers[o], via) for o, via in reach]
        decisions = self._evaluate(request, requester, networks, context)
        granted: list[tuple[str, str, Decision, bool, float]] = []
        for (owner, via), d in zip(reach, decisions, strict=True):
            if d.effect == "allow":
                granted.append((owner, via, d, True, 0.0))
            elif d.effect == "require_approval":
                ok = approve(owner, d)
                granted.append((owner, via, d, ok, float(d.delay_s or 0.0) if ok else 0.0))
            else:
                granted.append((owner, via, d, False, 0.0))
        searched_owners = [self._owner_index[o] for o, _, _, ok, _ in granted if ok and o in self._owner_index]
        error = None
        rows = np.empty(0, np.int64)
        if searched_owners:
            try:
                rows = self.store.find(request.query, np.asarray(searched_owners), now_s=request.time_s)
            except PatternError as exc:
                error = str(exc)
        owner_of_row = self.store.column("owner", rows)
        counts = np.bincount(owner_of_row, minlength=len(self.owners))
        delay_by_owner = np.zeros(len(self.owners))
        outcomes = []
        for owner, via, d, ok, delay in granted:
            idx = self._owner_index.get(owner)
            n = int(counts[idx]) if ok and idx is not None else 0
            if idx is not None:
                delay_by_owner[idx] = delay
            outcomes.append(NetworkOutcome(owner, via, d, ok, delay, n))
        self.rates.record(rate_keys_to_record(decisions, [o.searched for o in outcomes]), request.time_s)
        row = self.audit.append(request, requester, [
            NetworkEntry.from_decision(o.owner, self.devices.get(o.owner, 0), o.decision, o.searched, o.reads)
            for o in outcomes], reads_returned=len(rows))
        return SearchOutcome(request, tuple(outcomes), rows, delay_by_owner[owner_of_row], row, error)

    def _lookup_org(self, text: str):
        return self.graph.orgs.get(text)
