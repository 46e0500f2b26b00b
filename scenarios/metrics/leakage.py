"""What reached federal and out-of-state beneficiaries: distinct reads, vehicles, targets.

Pure functions of the records. Only searches made in the measured period count (not the
warm-up's). A read delivered by several searches counts once in ``reads_delivered`` and
every time in ``deliveries``; by channel and by owner, a read counts once, under the
channel that delivered it first.
"""

from __future__ import annotations

import numpy as np

from agencies.interest import CHANNELS
from agencies.process import row_channel
from agencies.records import (
    DELIVERY_CHANNELS,
    KINDS,
    AgencyRecords,
    Deliveries,
    GroundTruth,
    SearchRecord,
)
from scenarios.metrics.location import infer_home, night_number
from sim.records import RunRecords

OUTSIDE_KINDS = ("federal", "out_of_state")


def measured_searches(agencies: AgencyRecords) -> list[SearchRecord]:
    return [s for s in agencies.searches if agencies.measured(s.plan.time_s)]


def measured_deliveries(agencies: AgencyRecords) -> Deliveries:
    d = agencies.deliveries
    times = np.array([s.plan.time_s for s in agencies.searches], np.int64)
    if not len(times):
        return d
    t = times[d.search]
    return d.take(agencies.measured(t))


def first_deliveries(d: Deliveries) -> Deliveries:
    """One delivery per distinct read: the earliest (ties: the earlier search)."""
    if not len(d):
        return d
    order = np.lexsort((d.search, d.delivered_s, d.row))
    rows = d.row[order]
    first = np.ones(len(rows), bool)
    first[1:] = rows[1:] != rows[:-1]
    return d.take(order[first])


def _targets(searches: list[SearchRecord]) -> dict[tuple[str, int], list[SearchRecord]]:
    by_target: dict[tuple[str, int], list[SearchRecord]] = {}
    for s in searches:
        by_target.setdefault((s.plan.beneficiary, s.plan.target_vehicle), []).append(s)
    return by_target


def located_targets(records: RunRecords, agencies: AgencyRecords, truth: GroundTruth, kind: str) -> dict:
    """Targets of one beneficiary kind, and what their beneficiaries could infer."""
    searches = [s for s in measured_searches(agencies) if s.plan.beneficiary_kind == kind and s.plan.target_vehicle >= 0]
    by_target = _targets(searches)
    d = measured_deliveries(agencies)
    reads, cams, vehicles = records.reads, records.cameras, records.vehicles
    located = mislocated = 0
    hours, errors_m = [], []
    for (beneficiary, vehicle), own in sorted(by_target.items()):
        b = agencies.beneficiaries.index(beneficiary)
        mine = d.take(d.beneficiary == b)
        plate = vehicles.plate[vehicle]
        mine = mine.take(reads.plate[mine.row] == plate)  # what it can attribute: the plate text it asked for
        guess = infer_home(reads.camera[mine.row], night_number(reads.time_s[mine.row], truth.start_local_hour),
                           mine.delivered_s, cams.lon, cams.lat, float(truth.home_lon[vehicle]),
                           float(truth.home_lat[vehicle]))
        if guess.camera is None:
            continue
        errors_m.append(guess.error_m)
        if guess.correct:
            located += 1
            if guess.located_at_s is not None:
                hours.append((guess.located_at_s - min(s.plan.time_s for s in own)) / 3600.0)
        else:
            mislocated += 1
    return {"targets": len(by_target), "targets_located": located, "targets_mislocated": mislocated,
            "median_hours_to_locate": round(float(np.median(hours)), 2) if hours else None,
            # how close a guess gets, located or not: moves with camera density even
            # where few guesses fall inside the radius
            "median_guess_error_m": round(float(np.median(errors_m)), 1) if errors_m else None}


def leakage_by_kind(records: RunRecords, agencies: AgencyRecords, truth: GroundTruth, kind: str) -> dict:
    searches = [s for s in measured_searches(agencies) if s.plan.beneficiary_kind == kind]
    d = measured_deliveries(agencies)
    d = d.take(d.kind == KINDS.index(kind))
    firsts = first_deliveries(d)
    reads = records.reads
    channels = (*CHANNELS, "misconfiguration")  # reads got through a setting the vendor switched on
    misconfig = DELIVERY_CHANNELS.index("misconfiguration")
    by_channel = {c: {"searches_served": 0, "reads_delivered": 0, "deliveries": 0} for c in channels}
    for s in searches:
        served = {row_channel(s.plan, n.via) for n in s.networks if n.searched}
        if len(s.row_channel) and (s.row_channel == misconfig).any():
            served.add("misconfiguration")
        for c in served:
            by_channel[c]["searches_served"] += 1
    for counts, key in ((np.bincount(firsts.channel, minlength=len(DELIVERY_CHANNELS)), "reads_delivered"),
                        (np.bincount(d.channel, minlength=len(DELIVERY_CHANNELS)), "deliveries")):
        for c in channels:
            by_channel[c][key] = int(counts[DELIVERY_CHANNELS.index(c)])
    owner_counts = np.bincount(reads.owner[firsts.row], minlength=len(records.owners))
    return {
        "searches_served": sum(1 for s in searches if s.served),
        # outside purposes re-spelt past keyword filters ("I.C.E."): how many got through
        "adversarial_searches": sum(s.plan.adversarial for s in searches),
        "adversarial_served": sum(s.plan.adversarial and s.served for s in searches),
        "reads_delivered": int(len(firsts)),
        "deliveries": int(len(d)),
        "vehicles_exposed": int(len(np.unique(reads.vehicle[firsts.row]))),
        **located_targets(records, agencies, truth, kind),
        "by_channel": by_channel,
        "by_owner": {records.owners[o]: int(n) for o, n in enumerate(owner_counts) if n},
    }


def leakage(records: RunRecords, agencies: AgencyRecords, truth: GroundTruth) -> dict:
    return {kind: leakage_by_kind(records, agencies, truth, kind) for kind in OUTSIDE_KINDS}


def searches_summary(agencies: AgencyRecords) -> dict:
    searches = measured_searches(agencies)
    by_kind = dict.fromkeys(KINDS, 0)
    for s in searches:
        by_kind[s.plan.beneficiary_kind] += 1
    return {"total": len(searches), "by_true_beneficiary": by_kind}
