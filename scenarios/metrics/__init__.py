"""Metrics: pure functions of a run's records (traffic, agencies, ground truth).

``policy_report`` assembles the figures of one run under a policy; each part names the
table it reads. Nothing here touches the world or the clock.
"""

from __future__ import annotations

from agencies.records import AgencyRecords, GroundTruth
from scenarios.metrics.arms_race import (
    adversary_report,
    audits_report,
    insider_report,
    timeline,
    weekly_reads,
)
from scenarios.metrics.audit_view import auditor_scores, true_purpose, visibility
from scenarios.metrics.cost import cost
from scenarios.metrics.leakage import (
    first_deliveries,
    leakage,
    measured_deliveries,
    measured_searches,
    searches_summary,
)
from sim.records import RunRecords

__all__ = ["first_deliveries", "leakage", "measured_deliveries", "measured_searches", "policy_report",
           "true_purpose"]


def policy_report(records: RunRecords, agencies: AgencyRecords, truth: GroundTruth) -> dict:
    """The policy's figures: searches, leakage by beneficiary and channel, visibility, cost."""
    measured_reads = max(len(records.measured_reads()), 1)
    check = agencies.audit.verify()
    leaked = leakage(records, agencies, truth)
    for kind, block in leaked.items():  # the arms race over weeks (scenarios.metrics.arms_race)
        block.update(weekly_reads(agencies, kind))
    return {
        "policy": agencies.policy,
        "searches": searches_summary(agencies),
        "leakage": leaked,
        "adversary": adversary_report(agencies),
        "audits": audits_report(agencies),
        "insider": insider_report(records, agencies, truth),
        "arms_race": timeline(agencies),
        "visibility": visibility(agencies, truth),
        "cost": cost(records, agencies),
        "hotlist": {"hits": agencies.hotlist_hits, "follow_ups": agencies.hotlist_follow_ups,
                    "hits_per_read": round(agencies.hotlist_hits / measured_reads, 5)},
        "auditors": auditor_scores(agencies, truth),
        "audit": {"rows": len(agencies.audit), "chain_verified": bool(check.ok), "head_sha256": agencies.audit.head_hash},
    }
