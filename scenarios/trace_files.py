"""A trace a person can follow: ``searches.parquet`` and ``deliveries.parquet``.

One row per search (declared face beside true face, networks reached and searched, the
rules that decided, distinct reads delivered) and one row per delivery (search, read
row, beneficiary, when). ``reads_delivered`` in report.json equals the number of
distinct ``row`` values in deliveries.parquet for that beneficiary kind among measured
searches.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from agencies.records import DELIVERY_CHANNELS, KINDS, AgencyRecords


def searches_table(agencies: AgencyRecords) -> pa.Table:
    rows = []
    for s in agencies.searches:
        p, r = s.plan, s.plan.request
        rows.append({
            "search": s.index, "id": r.request_id, "time_s": int(p.time_s), "measured": bool(agencies.measured(p.time_s)),
            "org": r.org, "user": r.user, "reason": r.reason, "case_number": r.case_number,
            "offense_type": r.offense_type, "on_behalf_of": r.on_behalf_of, "search_type": r.search_type,
            "plate": r.query.plate or r.query.plate_pattern,
            "beneficiary": p.beneficiary, "beneficiary_kind": p.beneficiary_kind, "channel": p.channel,
            "chain": " > ".join(p.chain), "target_vehicle": int(p.target_vehicle), "legit": bool(p.legit),
            "networks_reached": len(s.networks), "networks_searched": sum(n.searched for n in s.networks),
            "decisions": "; ".join(f"{n.owner}:{n.effect}:{n.rule}" for n in s.networks),
            "served": s.served, "reads_delivered": int(len(np.unique(s.rows))), "audit_seq": s.audit_seq,
        })
    return pa.Table.from_pylist(rows) if rows else pa.table({"search": pa.array([], pa.int64())})


def deliveries_table(agencies: AgencyRecords) -> pa.Table:
    d = agencies.deliveries
    times = np.array([s.plan.time_s for s in agencies.searches], np.int64)
    t = times[d.search] if len(d) else np.empty(0, np.int64)
    ids = np.array([s.plan.request.request_id for s in agencies.searches] or [""], dtype=object)
    return pa.table({
        "search": pa.array(d.search), "search_id": pa.array(ids[d.search].tolist(), pa.string()),
        "row": pa.array(d.row),
        "beneficiary": pa.DictionaryArray.from_arrays(pa.array(d.beneficiary), pa.array(agencies.beneficiaries)),
        "beneficiary_kind": pa.DictionaryArray.from_arrays(pa.array(d.kind.astype(np.int32)), pa.array(KINDS)),
        "channel": pa.DictionaryArray.from_arrays(pa.array(d.channel.astype(np.int32)), pa.array(DELIVERY_CHANNELS)),
        "delivered_s": pa.array(d.delivered_s),
        "measured": pa.array(agencies.measured(t)),
    })
