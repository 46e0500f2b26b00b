"""Reports over several seeds: every numeric figure as its mean with a 95% interval.

``summarise`` walks the reports of one policy (one per seed) and replaces each number
with ``{"mean", "ci95": [lo, hi], "n"}``; ``paired_differences`` does the same for the
seed-by-seed differences between two policies (common random numbers: same world,
traffic and requests per seed). Text, the seed and the records hash are not figures.
"""

from __future__ import annotations

from typing import Any

from scenarios.intervals import mean_ci95, paired_difference

NOT_FIGURES = {"seed", "records_sha256", "head_sha256", "timings_s", "calibration", "camera_import", "service"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _walk(reports: list[dict], combine) -> dict:
    first = reports[0]
    out: dict = {}
    for key, value in first.items():
        if key in NOT_FIGURES:
            continue
        values = [r.get(key) for r in reports]
        if isinstance(value, dict):
            out[key] = _walk([v if isinstance(v, dict) else {} for v in values], combine)
        elif _is_number(value) or (value is None and any(_is_number(v) for v in values)):
            out[key] = combine(values)
        elif isinstance(value, list) and value and all(_is_number(x) for x in value) \
                and all(isinstance(v, list) and len(v) == len(value) for v in values):
            out[key] = [combine([v[i] for v in values]) for i in range(len(value))]  # a series: week by week
        elif all(v == value for v in values):
            out[key] = value
    return out


def summarise(reports: list[dict]) -> dict:
    """One policy's reports (one per seed) as one report of intervals."""
    if len(reports) == 1:
        return reports[0]
    out = _walk(reports, lambda values: mean_ci95(values).as_dict())
    out["replications"] = len(reports)
    out["seeds"] = [r["seed"] for r in reports]
    return out


def paired_differences(base: list[dict], other: list[dict]) -> dict:
    """``other - base``, seed by seed, for every figure of searches, leakage, visibility and cost."""
    if [r["seed"] for r in base] != [r["seed"] for r in other]:
        raise ValueError("paired differences need the same seeds in both policies")

    def walk(a: list[dict], b: list[dict]) -> dict:
        out: dict = {}
        for key, value in a[0].items():
            xs, ys = [r.get(key) for r in a], [r.get(key) for r in b]
            if isinstance(value, dict):
                out[key] = walk([x or {} for x in xs], [y or {} for y in ys])
            elif _is_number(value) or any(_is_number(x) for x in xs):
                out[key] = paired_difference(xs, ys).as_dict()
        return out

    keys = ("searches", "leakage", "visibility", "cost", "adversary", "audits", "insider")
    return walk([{k: r[k] for k in keys if k in r} for r in base], [{k: r[k] for k in keys if k in r} for r in other])
