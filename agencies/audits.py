"""Owners' audits of their own logs, the sanctions that follow, and misconfiguration events.

At each audit an owner exports its network audit for the period since the last one, in the
published layout (``lookup.audit_export``), reads it back through the forensic importer,
samples a share of the rows, and flags rows by the forensic classifier's label or by one
user searching one plate again and again with no purpose (``repeated_plate``). The
decision (``audit_decisions``) sees only the exported records: no ground truth reaches it.
Flags lead to sanctions against the requesting organization or user (``lookup.sanctions``).
An exported row from an organization the owner never meant to share with makes it check
its settings: a misconfiguration the vendor switched on is then switched off.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy

from agencies.dynamics import AuditSpec, MisconfigurationEvent
from forensics.auditlogs import AuditRecord, read_records
from forensics.classifier import classify
from lookup.audit_export import FEDERAL_TAG, network_audit_csv
from lookup.sanctions import Sanction
from lookup.sharing import SharingGraph

DAY_S = 86_400


@dataclass(frozen=True)
class Flag:
    """One exported row the auditor flagged, and why."""

    index: int  # position in the exported records
    flag: str  # a classifier label or "repeated_plate"
    org_name: str  # as the export shows it
    user: str


def _org_name(label: str) -> str:
    return label.replace(FEDERAL_TAG, "").strip()


def audit_decisions(records: list[AuditRecord], spec: AuditSpec, sampled: np.ndarray, owner_state: str = "CA"
                    ) -> list[Flag]:
    """The rows an auditor flags among the sampled exported records (and nothing else)."""
    flags: list[Flag] = []
    vague_by_key: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(records):
        if not sampled[i]:
            continue
        label = classify(r.reason, r.case_number, r.offense_type, r.org, owner_state).label
        if label in spec.actions:
            flags.append(Flag(i, label, _org_name(r.org), r.user))
        elif label in ("vague", "missing") and r.plate:
            vague_by_key.setdefault((r.org, r.user, r.plate), []).append(i)
    if "repeated_plate" in spec.actions:
        for (org, user, _), rows in vague_by_key.items():
            if len(rows) >= spec.repeat_threshold:
                flags += [Flag(i, "repeated_plate", _org_name(org), user) for i in rows]
    return sorted(flags, key=lambda f: f.index)


@dataclass(frozen=True)
class AuditRun:
    """One audit by one owner: what it read, what it flagged, what it did."""

    owner: str
    time_s: float
    rows: int  # rows of the period's export
    sampled: int
    flagged_seqs: tuple[int, ...]  # audit-log rows flagged (for the metrics; the auditor saw only the export)
    flags: tuple[str, ...]  # the flag of each, in the same order
    sanctions: tuple[Sanction, ...]
    closed_misconfiguration: tuple[str, ...]  # sharing settings it found switched on and switched off


def sanctions_from(flags: list[Flag], records: list[AuditRecord], spec: AuditSpec, owner: str, now_s: float,
                   slug_of_name: dict[str, str], prefix: str) -> list[Sanction]:
    """One sanction per (action, organization[, user]) among the flags, with its evidence."""
    groups: dict[tuple[str, str, str | None], list[Flag]] = {}
    for f in flags:
        action = spec.actions[f.flag]
        org = slug_of_name.get(f.org_name)
        if org is None:
            continue  # a name the owner cannot tie to a registered organization
        if org == owner and action != "suspend_user":
            action = "suspend_user"  # an owner does not revoke its own access: it suspends its officer
        groups.setdefault((action, org, f.user if action == "suspend_user" else None), []).append(f)
    out = []
    for k, ((action, org, user), group) in enumerate(sorted(groups.items(), key=lambda kv: kv[0][:2] + (kv[0][2] or "",))):
        kinds = sorted({f.flag for f in group})
        evidence = tuple(f"{records[f.index].time} | {records[f.index].org} | {records[f.index].user} | "
                         f"{records[f.index].reason!r} | {records[f.index].plate}" for f in group)
        out.append(Sanction(f"{prefix}-{k}", owner, action, org, user, now_s, now_s + spec.sanction_days * DAY_S,
                            ", ".join(f"{label} x{sum(f.flag == label for f in group)}" for label in kinds),
                            evidence))
    return out


class OwnerAuditor:
    """An owner's audits in a run: a simpy process over the service's growing log."""

    def __init__(self, owner: str, spec: AuditSpec, player, slug_of_name: dict[str, str], intended: SharingGraph,
                 start, rng: np.random.Generator):
        self.owner, self.spec, self.player = owner, spec, player
        self.slug_of_name, self.intended, self.start, self.rng = slug_of_name, intended, start, rng
        self.runs: list[AuditRun] = []
        self._next_seq = 0

    def expected_requester(self, slug: str | None) -> bool:
        """Whether the owner's own sharing settings let this organization search it."""
        return slug is not None and any(o == self.owner for o, _ in self.intended.reachable(slug))

    def audit(self, now_s: float) -> AuditRun:
        log = self.player.service.audit
        rows = [log[i] for i in range(self._next_seq, len(log))]
        self._next_seq = len(log)
        rows = [r for r in rows if (e := r.entry_for(self.owner)) is not None and e.searched]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"network_audit_{self.owner}.csv"
            network_audit_csv(rows, self.owner, start=self.start, path=path)
            records = list(read_records(path)) if rows else []
        sampled = self.rng.random(len(records)) < self.spec.sample_share
        flags = audit_decisions(records, self.spec, sampled)
        table = self.player.sanctions
        prefix = f"{self.owner}-audit{len(self.runs) + 1}"
        new = [s for s in sanctions_from(flags, records, self.spec, self.owner, now_s, self.slug_of_name, prefix)
               if not any(o.owner == s.owner and o.action == s.action and o.org == s.org and o.user == s.user
                          and o.active(now_s) for o in table.sanctions)]
        for s in new:
            table.add(s)
        unexpected = any(sampled[i] and not self.expected_requester(self.slug_of_name.get(_org_name(r.org)))
                         for i, r in enumerate(records))
        closed = self.player.close_misconfigurations(self.owner, now_s) if unexpected else ()
        run = AuditRun(self.owner, now_s, len(records), int(sampled.sum()), tuple(rows[f.index].seq for f in flags),
                       tuple(f.flag for f in flags), tuple(new), closed)
        self.runs.append(run)
        return run

    def process(self, env: simpy.Environment, until_s: float) -> Generator:
        step = self.spec.cadence_days * DAY_S
        t = step
        while t <= until_s:
            yield env.timeout(t - env.now)
            self.audit(env.now)
            t += step


def misconfiguration_process(env: simpy.Environment, player, event: MisconfigurationEvent) -> Generator:
    """The vendor switches the setting on at ``start_day`` and off at ``end_day`` (if an
    audit has not already made the owner switch it off)."""
    yield env.timeout(max(event.start_day * DAY_S - env.now, 0))
    player.open_misconfiguration(event, env.now)
    if event.end_day is not None:
        yield env.timeout(max(event.end_day * DAY_S - env.now, 0))
        player.end_misconfiguration(event, env.now, by_audit=False)
