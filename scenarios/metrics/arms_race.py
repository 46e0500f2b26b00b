"""The arms race over time: weekly leakage and channel mix, the adversary's moves, audits,
sanctions and how long each channel of misuse went undetected.

Pure functions of the records. Weeks are counted from the start of the measured period
(the warm-up is never in them); a search belongs to the week of its time, and a read to
the week of the search that first delivered it.

Detection. An episode of misuse is one outside agency's pursuit of one target through one
channel (from its first served search), one insider case (one officer, one plate, from
the first search), or one misconfiguration (from the moment the setting was switched
on). It is detected at the first audit that flagged one of its searches (for a
misconfiguration: the audit that made the owner switch it off). ``median_days_to_detect``
is over the detected episodes; ``episodes`` and ``detected`` say how many there were.
"""

from __future__ import annotations

import numpy as np

from agencies.insider import INSIDER_CHANNEL
from agencies.records import DELIVERY_CHANNELS, KINDS, AgencyRecords, GroundTruth, SearchRecord
from lookup.sanctions import is_sanction_rule
from scenarios.metrics.leakage import first_deliveries, measured_deliveries, measured_searches
from scenarios.metrics.location import infer_home, night_number
from sim.records import RunRecords

DAY_S = 86_400
WEEK_S = 7 * DAY_S
OUTSIDE = ("federal", "out_of_state")
# channels whose weekly figures the report carries (outside channels, then the two new ones)
WEEKLY_CHANNELS = ("direct", "national_lookup", "proxy_honest", "proxy_vague", "proxy_disguised", "task_force",
                   "fusion_relay", "multi_hop", "misconfiguration")


def weeks(agencies: AgencyRecords) -> int:
    return max(1, int(np.ceil((agencies.measured_until_s - agencies.measured_from_s) / WEEK_S)))


def _week(agencies: AgencyRecords, time_s) -> np.ndarray:
    w = (np.asarray(time_s, np.float64) - agencies.measured_from_s) // WEEK_S
    return np.clip(w, 0, weeks(agencies) - 1).astype(np.int64)


def weekly_reads(agencies: AgencyRecords, kind: str) -> dict:
    """Distinct reads delivered to beneficiaries of ``kind`` per week, in all and by channel."""
    d = measured_deliveries(agencies)
    firsts = first_deliveries(d.take(d.kind == KINDS.index(kind)))
    n = weeks(agencies)
    times = np.array([s.plan.time_s for s in agencies.searches], np.int64)
    week = _week(agencies, times[firsts.search]) if len(firsts) else np.empty(0, np.int64)
    total = np.bincount(week, minlength=n)
    by_channel = {}
    for c in WEEKLY_CHANNELS:
        mine = firsts.channel == DELIVERY_CHANNELS.index(c)
        by_channel[c] = [int(x) for x in np.bincount(week[mine], minlength=n)]
    return {"weekly": [int(x) for x in total], "weekly_by_channel": by_channel}


def weekly_attempts(agencies: AgencyRecords) -> dict[str, list[int]]:
    """Outside agencies' searches per week by the channel they chose: the channel mix."""
    n = weeks(agencies)
    out = {c: [0] * n for c in WEEKLY_CHANNELS if c not in ("national_lookup", "misconfiguration")}
    for s in measured_searches(agencies):
        if s.plan.beneficiary_kind in OUTSIDE and s.plan.channel in out:
            out[s.plan.channel][int(_week(agencies, s.plan.time_s))] += 1
    return out


def adversary_report(agencies: AgencyRecords) -> dict:
    """The outside agencies' moves: channel switches between one target's consecutive
    attempts, and pursuits that stopped because the agency thought it had found the home."""
    dyn = agencies.dynamics
    strategy = dyn.adversary if dyn else "static"
    by_target: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for s in measured_searches(agencies):
        if s.plan.beneficiary_kind in OUTSIDE and not s.plan.legit:
            by_target.setdefault((s.plan.beneficiary, s.plan.target_vehicle), []).append((s.plan.time_s, s.plan.channel))
    switches = 0
    for attempts in by_target.values():
        chans = [c for _, c in sorted(attempts)]
        switches += sum(a != b for a, b in zip(chans, chans[1:], strict=False))
    stopped = sum(p.stopped_located for p in dyn.pursuits) if dyn else 0
    return {"strategy": strategy, "channel_switches": switches, "stopped_after_locating": stopped}


def _episodes(agencies: AgencyRecords) -> dict[str, dict[tuple, list[SearchRecord]]]:
    out: dict[str, dict[tuple, list[SearchRecord]]] = {}
    for s in measured_searches(agencies):
        p = s.plan
        if p.channel == INSIDER_CHANNEL:
            out.setdefault(INSIDER_CHANNEL, {}).setdefault((p.request.org, p.request.user, p.target_vehicle),
                                                           []).append(s)
        elif p.beneficiary_kind in OUTSIDE and not p.legit and s.served:
            out.setdefault(p.channel, {}).setdefault((p.beneficiary, p.target_vehicle), []).append(s)
    return out


def audits_report(agencies: AgencyRecords) -> dict:
    """The owners' audits: what they flagged (true: a search that was not legitimate),
    sanctions and their legitimate cost, and the median days to detection by channel."""
    figures, _ = _audits(agencies)
    return figures


def detection_report(agencies: AgencyRecords) -> dict:
    """Episodes of misuse and how many were detected, by channel; sanctions by action."""
    return _audits(agencies)[1]


def _audits(agencies: AgencyRecords) -> tuple[dict, dict]:
    dyn = agencies.dynamics
    runs = dyn.audits if dyn else ()
    sanctions = dyn.sanctions if dyn else ()
    by_seq = {s.audit_seq: s for s in agencies.searches}
    flagged_at: dict[int, float] = {}
    for run in runs:
        for seq in run.flagged_seqs:
            flagged_at.setdefault(seq, run.time_s)
    true_flags = sum(1 for seq in flagged_at if not by_seq[seq].plan.legit)
    legit = [s for s in measured_searches(agencies) if s.plan.legit]
    hit = sum(1 for s in legit if any(not n.searched and is_sanction_rule(n.rule) for n in s.networks))
    days: dict[str, list[float]] = {}
    episodes: dict[str, int] = {}
    for channel, groups in _episodes(agencies).items():
        episodes[channel] = len(groups)
        for searches in groups.values():
            first = min(s.plan.time_s for s in searches)
            found = [flagged_at[s.audit_seq] for s in searches if s.audit_seq in flagged_at]
            if found:
                days.setdefault(channel, []).append((min(found) - first) / DAY_S)
    for m in (dyn.misconfigurations if dyn else ()):
        episodes["misconfiguration"] = episodes.get("misconfiguration", 0) + 1
        if m.closed_by_audit and m.end_s is not None:
            days.setdefault("misconfiguration", []).append((m.end_s - m.start_s) / DAY_S)
    channels = sorted(episodes)
    figures = {
        "runs": len(runs),
        "rows_flagged": len(flagged_at),
        "true_flags": true_flags,
        "false_flags": len(flagged_at) - true_flags,
        "sanctions": len(sanctions),
        "legit_searches_sanctioned": hit,
        "median_days_to_detect": {c: round(float(np.median(days[c])), 2) if c in days else None for c in channels},
    }
    detection = {
        "episodes": {c: episodes[c] for c in channels},
        "detected": {c: len(days.get(c, ())) for c in channels},
        "sanctions_by_action": {a: sum(s.action == a for s in sanctions) for a in sorted({s.action for s in sanctions})},
    }
    return figures, detection


def insider_report(records: RunRecords, agencies: AgencyRecords, truth: GroundTruth) -> dict:
    """Insider cases: searches, and whether the officer could place the person's home."""
    cases = _episodes(agencies).get(INSIDER_CHANNEL, {})
    d = measured_deliveries(agencies)
    reads, cams = records.reads, records.cameras
    located = mislocated = 0
    for searches in cases.values():
        index = np.isin(d.search, [s.index for s in searches])
        mine = d.take(index)
        vehicle = searches[0].plan.target_vehicle
        mine = mine.take(reads.plate[mine.row] == records.vehicles.plate[vehicle])
        guess = infer_home(reads.camera[mine.row], night_number(reads.time_s[mine.row], truth.start_local_hour),
                           mine.delivered_s, cams.lon, cams.lat, float(truth.home_lon[vehicle]),
                           float(truth.home_lat[vehicle]))
        if guess.camera is not None:
            located += guess.correct
            mislocated += not guess.correct
    return {"cases": len(cases), "searches": sum(len(v) for v in cases.values()), "located": int(located),
            "mislocated": int(mislocated)}


def timeline(agencies: AgencyRecords) -> dict:
    """What the arms-race plot draws: weekly attempts, audits and sanctions (days)."""
    dyn = agencies.dynamics
    return {
        "weeks": weeks(agencies),
        "pursuits": len(dyn.pursuits) if dyn else 0,
        "detection": detection_report(agencies),
        "attempts_weekly_by_channel": weekly_attempts(agencies),
        "audit_days": sorted({round(r.time_s / DAY_S, 2) for r in (dyn.audits if dyn else ())}),
        "sanction_days": [round(s.start_s / DAY_S, 2) for s in (dyn.sanctions if dyn else ())],
        "misconfigurations": [{"owner": m.owner, "sharing": m.sharing, "start_day": round(m.start_s / DAY_S, 2),
                               "end_day": None if m.end_s is None else round(m.end_s / DAY_S, 2),
                               "closed_by_audit": m.closed_by_audit} for m in (dyn.misconfigurations if dyn else ())],
    }
