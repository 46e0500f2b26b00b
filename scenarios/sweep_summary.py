"""A sweep's figures: each output's mean and 95% interval per point and policy, paired
differences between policies (same seeds), and sobol or morris sensitivity (SALib).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from scenarios.intervals import mean_ci95, paired_difference
from scenarios.sweep_file import LinkedRange, Sweep


def _by_point(sweep: Sweep, rows: list[dict]) -> dict[tuple[int, str], list[dict]]:
    """Rows of each (point, policy), ordered by replication."""
    groups: dict[tuple[int, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["point"], row["policy"]), []).append(row)
    for group in groups.values():
        group.sort(key=lambda r: r["replication"])
    return groups


def _values(group: list[dict], output: str) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in (r[output] for r in group)]


def point_summaries(sweep: Sweep, rows: list[dict]) -> list[dict]:
    """One entry per (point, policy): outputs as {"mean", "ci95", "n"}; later policies also
    carry their paired difference from the first policy (same seeds, same world)."""
    groups = _by_point(sweep, rows)
    first = sweep.policies[0]
    out = []
    for i, point in enumerate(sweep.points):
        for policy in sweep.policies:
            group = groups.get((i, policy), [])
            entry = {"policy": policy, "point_index": i, "point": dict(point),
                     "outputs": {o: mean_ci95(_values(group, o)).as_dict() for o in sweep.outputs}}
            if policy != first:
                base = groups.get((i, first), [])
                entry["difference_from"] = first
                entry["paired_difference"] = {o: paired_difference(_values(base, o), _values(group, o)).as_dict()
                                              for o in sweep.outputs}
            out.append(entry)
    return out


def parameter_curves(sweep: Sweep, rows: list[dict]) -> dict:
    """For each parameter, output and policy: the value's runs pooled over the other
    parameters, as (x, mean, lo, hi) sorted by x (the plots' lines and bands)."""
    curves: dict = {}
    for param in sweep.parameters:
        path = param.paths[0]
        for output in sweep.outputs:
            for policy in sweep.policies:
                by_x: dict = {}
                for row in rows:
                    if row["policy"] == policy:
                        by_x.setdefault(row[path], []).append(row[output])
                pts = []
                for x in sorted(by_x, key=_sort_key):
                    iv = mean_ci95([None if v is None or v != v else v for v in by_x[x]])
                    pts.append((x, iv.mean, iv.lo, iv.hi, iv.n))
                curves[(param.label, output, policy)] = pts
    return curves


def _sort_key(x):
    return (0, x, "") if isinstance(x, int | float) and not isinstance(x, bool) else (1, 0, str(x))


def sensitivity(sweep: Sweep, rows: list[dict]) -> dict | None:
    """Sobol first-order and total indices, or morris mu* and sigma, per policy and output,
    on each point's mean over replications; intervals from SALib's bootstrap (95%)."""
    sample = sweep.model.sample
    if sample is None or sample.method == "lhs" or sweep.samples is None:
        return None
    from SALib import ProblemSpec
    groups = _by_point(sweep, rows)
    bounds = [list(r.range if isinstance(r, LinkedRange) else r) for r in sample.ranges.values()]
    names = [p.label for p in sweep.parameters]
    result: dict = {"method": sample.method, "bootstrap": sample.bootstrap, "by_policy": {}}
    for policy in sweep.policies:
        per_output = {}
        for output in sweep.outputs:
            y = np.array([mean_ci95(_values(groups.get((i, policy), []), output)).mean
                          for i in range(len(sweep.points))], dtype=np.float64)
            if not np.isfinite(y).all():
                per_output[output] = {"error": f"{int((~np.isfinite(y)).sum())} points have no value "
                                               "(e.g. nothing located); indices need a figure at every point"}
                continue
            problem = ProblemSpec({"names": names, "bounds": bounds})
            problem.set_samples(sweep.samples)
            problem.set_results(y)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if sample.method == "sobol":
                    problem.analyze_sobol(calc_second_order=False, num_resamples=sample.bootstrap,
                                          conf_level=0.95, seed=sweep.model.seed)
                else:
                    problem.analyze_morris(num_resamples=sample.bootstrap, conf_level=0.95,
                                           num_levels=sample.num_levels, seed=sweep.model.seed)
            a = problem.analysis
            per_output[output] = {name: _indices(sample.method, a, k) for k, name in enumerate(names)}
        result["by_policy"][policy] = per_output
    return result


def _interval(value, half) -> dict:
    v, h = float(value), float(half)
    return {"value": round(v, 4), "ci95": [round(v - h, 4), round(v + h, 4)]}


def _indices(method: str, a: dict, k: int) -> dict:
    if method == "sobol":
        return {"S1": _interval(a["S1"][k], a["S1_conf"][k]), "ST": _interval(a["ST"][k], a["ST_conf"][k])}
    return {"mu_star": _interval(a["mu_star"][k], a["mu_star_conf"][k]), "sigma": round(float(a["sigma"][k]), 4)}


def summary(sweep: Sweep, rows: list[dict], engine: str) -> dict:
    return {
        "sweep": sweep.source, "scenario": sweep.scenario_source, "days": sweep.model.days,
        "replications": sweep.model.replications, "seed": sweep.model.seed, "policies": list(sweep.policies),
        "parameters": {p.label: list(p.paths) for p in sweep.parameters},
        "design": "grid" if sweep.model.grid is not None else (sweep.model.sample.method if sweep.model.sample
                                                               else "baseline"),
        "runs": len(rows), "engine": engine,
        "points": point_summaries(sweep, rows),
        **({"sensitivity": s} if (s := sensitivity(sweep, rows)) else {}),
    }
