"""Tours: a vehicle's day as chains home -> places -> home between its anchor places.

Anchors are per vehicle: 0 home, 1 workplace, 2.. habitual places. A tour type is a fixed
sequence of anchors (home, work, home; home, place, home; home, place, place, home; ...),
so every leg a vehicle can drive is one of a few anchor pairs, known when the population
is made. That lets the traffic know, before any day is drawn, which of a vehicle's tours
pass a camera at all: the days then only expand those.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

HOME, WORK = 0, 1


@dataclass(frozen=True)
class TourTable:
    """Tour types for vehicles with ``k`` habitual places."""

    k: int
    stops: np.ndarray  # (T, 4) int8 anchor index of each stop, -1 after the tour ends
    legs: np.ndarray  # (T, 3) int16 leg index of each leg, -1 after the tour ends
    leg_anchors: np.ndarray  # (L, 2) int8 (from anchor, to anchor) of each leg

    @property
    def n_types(self) -> int:
        return len(self.stops)

    def commute(self, place: np.ndarray, chained: np.ndarray) -> np.ndarray:
        """home-work-home, or home-work-place-home when ``chained``."""
        return np.where(chained, 1 + place, 0)

    def errand(self, first: np.ndarray, second: np.ndarray, chained: np.ndarray) -> np.ndarray:
        """home-place-home, or home-place-place-home when ``chained`` (``second`` in
        0..k-2 picks one of the other places)."""
        return np.where(chained, 1 + 2 * self.k + first * (self.k - 1) + second, 1 + self.k + first)


@cache
def tour_table(k: int) -> TourTable:
    places = [2 + j for j in range(k)]
    tours = [[HOME, WORK, HOME]]
    tours += [[HOME, WORK, p, HOME] for p in places]
    tours += [[HOME, p, HOME] for p in places]
    tours += [[HOME, p, q, HOME] for p in places for q in places if q != p]
    leg_index: dict[tuple[int, int], int] = {}
    stops = np.full((len(tours), 4), -1, np.int8)
    legs = np.full((len(tours), 3), -1, np.int16)
    for t, tour in enumerate(tours):
        stops[t, :len(tour)] = tour
        for j, (a, b) in enumerate(zip(tour, tour[1:], strict=False)):
            legs[t, j] = leg_index.setdefault((a, b), len(leg_index))
    return TourTable(k, stops, legs, np.array(list(leg_index), np.int8).reshape(-1, 2))
