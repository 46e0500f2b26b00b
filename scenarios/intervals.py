"""Figures over replications: the mean with a 95% t-interval, and paired differences.

Every figure over several seeds is reported as ``{"mean", "ci95": [lo, hi], "n"}``.
Paired differences (policy B minus policy A on the same seed) use the same interval on
the per-seed differences: under common random numbers they are far tighter than the
difference of two unpaired means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    mean: float
    lo: float
    hi: float
    n: int

    def as_dict(self, digits: int = 4) -> dict:
        return {"mean": round(self.mean, digits), "ci95": [round(self.lo, digits), round(self.hi, digits)],
                "n": self.n}


def mean_ci95(values: Sequence[float]) -> Interval:
    """Mean and two-sided 95% t-interval; one value gives a zero-width interval at it.

    Missing values (None, NaN) are left out and ``n`` counts what remains.
    """
    x = np.array([v for v in values if v is not None], dtype=np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if len(x) == 1 or float(x.std()) == 0.0:
        return Interval(mean, mean, mean, len(x))
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return Interval(mean, mean - half, mean + half, len(x))


def paired_difference(first: Sequence[float], second: Sequence[float]) -> Interval:
    """``second - first`` seed by seed, with the t-interval of the differences."""
    if len(first) != len(second):
        raise ValueError(f"paired figures need the same seeds: {len(first)} vs {len(second)} values")
    diffs = [None if a is None or b is None else float(b) - float(a) for a, b in zip(first, second, strict=True)]
    return mean_ci95(diffs)
