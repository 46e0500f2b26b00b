"""Where a beneficiary would place a target's home, from the reads it received.

The beneficiary knows the plate text it searched for and nothing else: it looks at the
delivered reads whose recognised text is that plate (misreads of other cars included,
the target's own misread reads excluded), keeps the night-time ones, and guesses the
home at the camera that read that text on the most distinct nights (at least two; ties
go to the camera with more such reads, then the one that got there first). The metric
compares the guess with the truth: within ``LOCATE_RADIUS_M`` of the real home is
"located", anywhere else "mislocated" (a bystander's street put at risk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.geo import haversine_m

NIGHT_FROM_HOUR, NIGHT_UNTIL_HOUR = 20, 6
LOCATE_RADIUS_M = 500.0
MIN_NIGHTS = 2


@dataclass(frozen=True)
class Inference:
    camera: int | None  # the camera the beneficiary would take for the home, or None
    correct: bool  # within LOCATE_RADIUS_M of the true home
    located_at_s: float | None  # when the guess first pointed within the radius (delivery time)
    error_m: float | None = None  # how far the final guess lies from the true home


def night_number(time_s: np.ndarray, start_local_hour: float) -> np.ndarray:
    """The night each time belongs to (a night runs from noon to noon), or -1 by day."""
    local_h = np.asarray(time_s, dtype=np.float64) / 3600.0 + start_local_hour
    hour = local_h % 24
    night = (hour >= NIGHT_FROM_HOUR) | (hour < NIGHT_UNTIL_HOUR)
    return np.where(night, np.floor((local_h - 12) / 24), -1).astype(np.int64)


def infer_home(camera: np.ndarray, night: np.ndarray, delivered_s: np.ndarray, cam_lon: np.ndarray,
               cam_lat: np.ndarray, home_lon: float, home_lat: float) -> Inference:
    """The guess from one target's matching night reads (cameras, nights, delivery times).

    Reads are taken in delivery order; after each one the current guess is checked, so
    ``located_at_s`` is the first moment the beneficiary's guess was right.
    """
    keep = night >= 0
    camera, night, delivered_s = camera[keep], night[keep], delivered_s[keep]
    if not len(camera):
        return Inference(None, False, None)
    order = np.lexsort((night, camera, delivered_s))
    nights: dict[int, set[int]] = {}
    reads: dict[int, int] = {}
    first: dict[int, int] = {}
    best: int | None = None
    located_at = None
    distance_cache: dict[int, float] = {}

    def distance_m(c: int) -> float:
        if c not in distance_cache:
            distance_cache[c] = float(haversine_m(cam_lon[c], cam_lat[c], home_lon, home_lat))
        return distance_cache[c]

    def near(c: int) -> bool:
        return distance_m(c) <= LOCATE_RADIUS_M

    for step, i in enumerate(order):
        c = int(camera[i])
        nights.setdefault(c, set()).add(int(night[i]))
        reads[c] = reads.get(c, 0) + 1
        first.setdefault(c, step)
        if len(nights[c]) < MIN_NIGHTS:
            continue
        if best is None or (len(nights[c]), reads[c], -first[c]) > (len(nights[best]), reads[best], -first[best]):
            best = c
        if located_at is None and best is not None and near(best):
            located_at = float(delivered_s[i])
    if best is None:
        return Inference(None, False, None)
    return Inference(best, near(best), located_at, distance_m(best))
