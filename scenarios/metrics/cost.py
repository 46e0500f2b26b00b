"""What each policy costs: legitimate searches denied or without a hit, bystanders exposed.

Counts are over searches made in the measured period; reads are distinct reads.
"""

from __future__ import annotations

import numpy as np

from agencies.records import AgencyRecords, SearchRecord
from scenarios.metrics.leakage import measured_searches
from sim.records import RunRecords


def _distinct(parts: list[np.ndarray], n_rows: int) -> int:
    """Distinct read rows among ``parts`` (row ids below ``n_rows``): marks, not a sort."""
    seen = np.zeros(n_rows, bool)
    for rows in parts:
        seen[rows] = True
    return int(np.count_nonzero(seen))


def _bystander_rows(records: RunRecords, s: SearchRecord) -> np.ndarray:
    """Rows a search returned that are not of the vehicle it sought (all, for area searches)."""
    if s.plan.target_vehicle < 0:
        return s.rows
    return s.rows[records.reads.vehicle[s.rows] != s.plan.target_vehicle]


def cost(records: RunRecords, agencies: AgencyRecords) -> dict:
    reads = records.reads
    searches = measured_searches(agencies)
    legit = [s for s in searches if s.plan.legit]
    denied = sum(1 for s in legit if not s.served)
    partly = sum(1 for s in legit if s.served and s.denied_somewhere)
    no_hit = sum(1 for s in legit if s.plan.target_vehicle >= 0
                 and not (reads.vehicle[s.rows] == s.plan.target_vehicle).any())
    legit_bystanders = [_bystander_rows(records, s) for s in legit]
    outside_bystanders = [_bystander_rows(records, s) for s in searches if not s.plan.legit]
    gunshot = [s for s in searches if s.plan.channel == "gunshot"]
    false_hits = []
    for s in searches:
        plate = s.plan.request.query.plate
        if plate and s.plan.target_vehicle >= 0 and len(s.rows):
            wanted = records.vehicles.plate[s.plan.target_vehicle]
            wrong = (reads.plate[s.rows] == wanted) & (reads.vehicle[s.rows] != s.plan.target_vehicle)
            false_hits.append(s.rows[wrong])
    legit_block = {"searches": len(legit), "denied": denied, "partly_denied": partly, "without_hit": no_hit,
                   "bystander_reads": _distinct(legit_bystanders, len(reads)),
                   # reasons with a word that trips keyword filters ("black ice"): what a filter costs
                   "innocent_trap_searches": sum(s.plan.innocent_trap for s in legit),
                   "innocent_trap_denied": sum(s.plan.innocent_trap and s.denied_somewhere for s in legit)}
    return {
        "legit": legit_block,
        "outside_bystanders": _distinct(outside_bystanders, len(reads)),
        "gunshot_bystanders": _distinct([s.rows for s in gunshot], len(reads)),
        "misread_false_hits": _distinct(false_hits, len(reads)),
        # the earlier flat keys, same meanings (reads now distinct)
        "legit_searches": len(legit), "legit_denied": denied, "legit_partly_denied": partly,
        "legit_without_hit": no_hit,
        "bystander_reads_delivered": _distinct(legit_bystanders + outside_bystanders, len(reads)),
        "gunshot_area_searches": len(gunshot), "gunshot_bystander_reads": _distinct([s.rows for s in gunshot], len(reads)),
    }
