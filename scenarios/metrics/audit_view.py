"""What a records requester would see: the run's audit log in the published layouts,
read back through the forensic importers and classifier.

Visibility is measured on each searched owner's network audit (the export that shows
other agencies' searches of its cameras; federal organizations carry "[Federal]"); the
auditors' precision and recall on the portal search audit (the searching agency's own
list), against the simulator's ground truth.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from agencies.reasons import VAGUE_REASONS
from agencies.records import AgencyRecords, GroundTruth, SearchRecord
from forensics.auditlogs import read_records
from forensics.classifier import classify, classify_records, precision_recall
from lookup.audit_export import network_audit_csv, search_audit_csv
from scenarios.metrics.leakage import measured_searches

REVEALING = ("federal", "immigration", "out_of_state")


def true_purpose(s: SearchRecord, truth: GroundTruth) -> str:
    """The label a perfect auditor would give, known only to the simulator.

    Outside beneficiaries by their kind (immigration agencies apart); in-state work done
    for another agency is ``assist_other``; an agency's own work is ``own_case`` unless
    the officer wrote a reason with no purpose in it (``vague``) or none (``missing``).
    """
    plan = s.plan
    if plan.beneficiary_kind == "federal":
        return "immigration" if plan.beneficiary in truth.immigration_agencies else "federal"
    if plan.beneficiary_kind == "out_of_state":
        return "out_of_state"
    if plan.beneficiary != plan.request.org:
        return "assist_other"
    reason = plan.request.reason.strip()
    if not reason and not plan.request.offense_type:
        return "missing"
    return "vague" if (not reason or reason in VAGUE_REASONS) and not plan.request.case_number \
        and not plan.request.offense_type else "own_case"


def _read_back(text_writer, folder: Path, name: str) -> list:
    path = folder / name
    text_writer(path)
    return list(read_records(path))


def visibility(agencies: AgencyRecords, truth: GroundTruth) -> dict:
    """Share of served federal-beneficiary searches that some searched owner's published
    network audit shows as federal, immigration or out-of-state."""
    served = [s for s in measured_searches(agencies) if s.plan.beneficiary_kind == "federal" and s.served]
    if not served:
        return {"federal_served_visible_in_audit": None, "federal_served": 0}
    rows = agencies.audit.rows()
    wanted = {s.audit_seq for s in served}
    subset = [r for r in rows if r.seq in wanted]
    owners = sorted({n.owner for s in served for n in s.networks if n.searched})
    visible: set[int] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for owner in owners:
            published = [r for r in subset if (e := r.entry_for(owner)) is not None and e.searched]
            back = _read_back(lambda p, o=owner, rs=published: network_audit_csv(rs, o, start=truth.start, path=p),
                              Path(tmp), f"network_audit_{owner}.csv")
            for row, verdict in zip(published, classify_records(back), strict=True):
                if verdict.label in REVEALING:
                    visible.add(row.seq)
    return {"federal_served_visible_in_audit": round(len(visible & wanted) / len(served), 4),
            "federal_served": len(served)}


def auditor_scores(agencies: AgencyRecords, truth: GroundTruth) -> dict:
    """Precision and recall of the forensic classifier on the exported portal search audit."""
    searches = measured_searches(agencies)
    by_request = {s.plan.request.request_id: s for s in searches}
    rows = [r for r in agencies.audit.rows() if r.request_id in by_request]
    with tempfile.TemporaryDirectory() as tmp:
        back = _read_back(lambda p: search_audit_csv(rows, start=truth.start, path=p), Path(tmp), "search_audit.csv")
    # each portal is one agency's list of its own searches: the reader knows whose log it is
    portal_of = {r.request_id: r.org_name for r in rows}
    predicted = [classify(r.reason, r.case_number, r.offense_type, r.org, "CA", searcher=portal_of[r.id]).label
                 for r in back]
    actual = [true_purpose(by_request[r.id], truth) for r in back]
    scores = precision_recall(predicted, actual)
    clean = {label: {k: (None if v != v else round(float(v), 4)) for k, v in stats.items()}
             for label, stats in scores.items()}
    return {"searches": len(actual), "by_label": clean, "layout": "portal search audit, re-imported"}
