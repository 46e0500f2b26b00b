"""Insider misuse: an officer of a camera owner tracking a person for personal reasons.

Cases arrive per owner agency as a Poisson process (``InsiderSpec.cases_per_30_days``);
each is one officer (a user of the agency's own pool, so a suspension also stops that
officer's legitimate work) searching one resident's plate at ``searches_per_day`` for
``duration_days``, under the reason officers wrote in Milwaukee and Joplin
("investigation", FACTS.md). Draws come from ``agencies/insider/<owner>``.
"""

from __future__ import annotations

import numpy as np

from agencies.interest import DAY_S, PlannedSearch
from agencies.registry import Agency
from lookup.requests import ReadQuery, SearchRequest
from sim.plates import decode

INSIDER_CHANNEL = "insider"


def plan_insider(registry: dict[str, Agency], owners: tuple[str, ...], vehicles, days: float, spec,
                 streams) -> list[PlannedSearch]:
    """Every insider case's searches in the measured period (``spec``: an InsiderSpec)."""
    if spec.cases_per_30_days <= 0:
        return []
    residents = np.nonzero(vehicles.plate_state == 0)[0]
    end_s = days * DAY_S
    out = []
    for owner in owners:
        if owner not in registry:
            continue
        rng = streams.generator(f"agencies/insider/{owner}")
        span = days + spec.duration_days  # cases that began before the run still search in it
        for case in range(int(rng.poisson(spec.cases_per_30_days * span / 30))):
            begin = rng.uniform(-spec.duration_days, days) * DAY_S
            user = f"{owner}-user-{int(rng.integers(1, 60)):02d}"
            vehicle = int(rng.choice(residents))
            plate = decode(vehicles.plate[vehicle])
            count = int(rng.poisson(spec.searches_per_day * spec.duration_days))
            times = np.sort(rng.uniform(begin, begin + spec.duration_days * DAY_S, count)).astype(np.int64)
            for k, t in enumerate(times):
                if not 0 <= t < end_s:
                    continue
                start = int(t) + 1 - int(round(spec.window_days * DAY_S))
                request = SearchRequest(f"{owner}-insider-{case:03d}-{k:04d}", owner, user, int(t), spec.reason,
                                        "plate", ReadQuery(plate=plate, start_s=start, end_s=int(t) + 1))
                out.append(PlannedSearch(int(t), request, owner, "local", INSIDER_CHANNEL, (owner,), 0.0, vehicle,
                                         False, wording="vague"))
    return out
