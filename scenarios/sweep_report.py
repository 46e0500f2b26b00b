"""A sweep's report: report.md with PNG plots (matplotlib): the leakage/cost trade-off
frontier, each output against each varied parameter with interval bands, and
sensitivity bars for sobol and morris designs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from scenarios.sweep_file import Sweep  # noqa: E402
from scenarios.sweep_summary import parameter_curves  # noqa: E402

TABLE_ROWS = 80  # report.md lists this many (point, policy) rows; summary.json has them all


def frontier_axes(sweep: Sweep) -> tuple[str, str] | None:
    """(cost output, leakage output): the file's ``frontier``, else guessed from the names."""
    if sweep.model.frontier:
        return sweep.model.frontier.x, sweep.model.frontier.y
    outs = sweep.outputs
    cost = next((o for o in outs if "cost" in o), None)
    leak = next((o for o in outs if "leakage" in o and o != cost), None)
    if cost and leak:
        return cost, leak
    return (outs[0], outs[1]) if len(outs) >= 2 else None


def non_dominated(points: list[tuple[float, float]]) -> list[bool]:
    """Points no other point beats on both (lower cost and lower leakage are better)."""
    flags = []
    for i, (x, y) in enumerate(points):
        dominated = any(j != i and a <= x and b <= y and (a < x or b < y) for j, (a, b) in enumerate(points))
        flags.append(not dominated and math.isfinite(x) and math.isfinite(y))
    return flags


def _colours(policies) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {p: cycle[i % len(cycle)] for i, p in enumerate(policies)}


def _short(label: str) -> str:
    return Path(label).stem if label.endswith((".yaml", ".yml")) else label


def plot_frontier(sweep: Sweep, points: list[dict], path: Path) -> dict | None:
    axes = frontier_axes(sweep)
    if axes is None:
        return None
    xo, yo = axes
    xy = [(p["outputs"][xo]["mean"], p["outputs"][yo]["mean"]) for p in points]
    best = non_dominated(xy)
    colours = _colours(sweep.policies)
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for policy in sweep.policies:
        mine = [(p, f) for p, f in zip(points, best, strict=True) if p["policy"] == policy]
        xs = [p["outputs"][xo]["mean"] for p, _ in mine]
        ys = [p["outputs"][yo]["mean"] for p, _ in mine]
        xerr = [[p["outputs"][xo]["mean"] - p["outputs"][xo]["ci95"][0] for p, _ in mine],
                [p["outputs"][xo]["ci95"][1] - p["outputs"][xo]["mean"] for p, _ in mine]]
        yerr = [[p["outputs"][yo]["mean"] - p["outputs"][yo]["ci95"][0] for p, _ in mine],
                [p["outputs"][yo]["ci95"][1] - p["outputs"][yo]["mean"] for p, _ in mine]]
        ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, fmt="o", color=colours[policy], alpha=0.8, capsize=2,
                    label=_short(policy))
    if sweep.parameters and len(points) <= 40:  # say which point each marker is
        path0 = sweep.parameters[0].paths[0]
        for p, (x, y) in zip(points, xy, strict=True):
            if math.isfinite(x) and math.isfinite(y):
                ax.annotate(_value(p["point"][path0]), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=6)
    front = sorted((x, y) for (x, y), f in zip(xy, best, strict=True) if f)
    if front:
        ax.plot(*zip(*front, strict=True), "k--", lw=1, zorder=1)
        ax.scatter(*zip(*front, strict=True), s=160, facecolors="none", edgecolors="k", lw=1.5, zorder=3,
                   label="non-dominated")
    ax.set_xlabel(f"{xo} (legitimate cost; lower is better)")
    ax.set_ylabel(f"{yo} (leakage; lower is better)")
    label = f"; labels: {sweep.parameters[0].label}" if sweep.parameters and len(points) <= 40 else ""
    ax.set_title(f"Trade-off: each point and policy, mean with 95% interval{label}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return {"x": xo, "y": yo, "non_dominated": [
        {"policy": p["policy"], "point": p["point"]} for p, f in zip(points, best, strict=True) if f]}


def plot_outputs(sweep: Sweep, rows: list[dict], points: list[dict], path: Path) -> None:
    """Rows: outputs; columns: varied parameters. Grids: mean lines with 95% bands; samples:
    each point's mean with its interval."""
    params = sweep.parameters
    outs = sweep.outputs
    colours = _colours(sweep.policies)
    ncols = max(len(params), 1)
    fig, axes = plt.subplots(len(outs), ncols, figsize=(max(4.2 * ncols + 0.8, 7.0), 2.9 * len(outs) + 0.4),
                             squeeze=False)
    curves = parameter_curves(sweep, rows) if sweep.model.grid is not None else None
    for r, output in enumerate(outs):
        for c in range(ncols):
            ax = axes[r][c]
            if not params:
                _bars(ax, sweep, points, output, colours)
            elif curves is not None:
                for policy in sweep.policies:
                    pts = [p for p in curves[(params[c].label, output, policy)] if math.isfinite(p[1])]
                    if not pts:
                        continue
                    xs, means, los, his, _ = zip(*pts, strict=True)
                    numeric = all(isinstance(x, int | float) for x in xs)
                    xv = xs if numeric else list(range(len(xs)))
                    ax.plot(xv, means, "o-", color=colours[policy], label=_short(policy))
                    ax.fill_between(xv, los, his, color=colours[policy], alpha=0.2)
                    if not numeric:
                        ax.set_xticks(xv, [str(x) for x in xs], rotation=20, fontsize=7)
            else:
                path0 = params[c].paths[0]
                for policy in sweep.policies:
                    mine = [p for p in points if p["policy"] == policy and math.isfinite(p["outputs"][output]["mean"])]
                    xs = [p["point"][path0] for p in mine]
                    ms = [p["outputs"][output]["mean"] for p in mine]
                    err = [[m - p["outputs"][output]["ci95"][0] for m, p in zip(ms, mine, strict=True)],
                           [p["outputs"][output]["ci95"][1] - m for m, p in zip(ms, mine, strict=True)]]
                    ax.errorbar(xs, ms, yerr=err, fmt="o", ms=3, alpha=0.6, color=colours[policy],
                                label=_short(policy))
            if r == len(outs) - 1 and params:
                ax.set_xlabel(params[c].label, fontsize=8)
            ax.set_title(output, fontsize=8, loc="left")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{len(sweep.points)} points x {sweep.model.replications} replications: "
                 + ("mean, shaded 95% interval" if sweep.model.grid is not None else "each point's mean, 95% interval"), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _bars(ax, sweep: Sweep, points: list[dict], output: str, colours: dict) -> None:
    for k, policy in enumerate(sweep.policies):
        p = next(q for q in points if q["policy"] == policy)
        m, (lo, hi) = p["outputs"][output]["mean"], p["outputs"][output]["ci95"]
        ax.bar(k, m, color=colours[policy], yerr=[[m - lo], [hi - m]], capsize=3)
    ax.set_xticks(range(len(sweep.policies)), [_short(p) for p in sweep.policies], fontsize=7)


def plot_sensitivity(sweep: Sweep, sens: dict, path: Path) -> None:
    names = [p.label for p in sweep.parameters]
    outs = sweep.outputs
    pols = sweep.policies
    colours = _colours(pols)
    fig, axes = plt.subplots(len(outs), 1, figsize=(max(6, 1.4 * len(names) * len(pols) + 2), 3.2 * len(outs)),
                             squeeze=False)
    sobol = sens["method"] == "sobol"
    width = 0.8 / len(pols)
    for r, output in enumerate(outs):
        ax = axes[r][0]
        for k, policy in enumerate(pols):
            block = sens["by_policy"][policy].get(output, {})
            if "error" in block:
                continue
            xs = [i + (k - (len(pols) - 1) / 2) * width for i in range(len(names))]
            key = "ST" if sobol else "mu_star"
            vals = [block[n][key]["value"] for n in names]
            err = [block[n][key]["ci95"][1] - block[n][key]["value"] for n in names]
            ax.bar(xs, vals, width * 0.9, yerr=err, capsize=2, color=colours[policy], alpha=0.45 if sobol else 0.9,
                   label=f"{_short(policy)} {'total (ST)' if sobol else 'mu*'}")
            if sobol:
                s1 = [block[n]["S1"]["value"] for n in names]
                e1 = [block[n]["S1"]["ci95"][1] - block[n]["S1"]["value"] for n in names]
                ax.bar(xs, s1, width * 0.5, yerr=e1, capsize=2, color=colours[policy], label=f"{_short(policy)} first order (S1)")
        ax.set_xticks(range(len(names)), names, fontsize=7, rotation=10)
        ax.set_ylabel(output, fontsize=8)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7)
    fig.suptitle(("Sobol indices (bars: 95% bootstrap interval)" if sobol
                  else "Morris mu* (bars: 95% bootstrap interval)"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _fmt(iv: dict, replications: int) -> str:
    """``mean [lo, hi]``, with ``n`` when some replications had no value."""
    m, (lo, hi) = iv["mean"], iv["ci95"]
    if m is None or (isinstance(m, float) and math.isnan(m)):
        return "–"
    return f"{m:,.3g} [{lo:,.3g}, {hi:,.3g}]" + (f" n={iv['n']}" if iv["n"] < replications else "")


def write_report(out_dir: Path, sweep: Sweep, rows: list[dict], summary: dict) -> list[Path]:
    """summary.json, the PNG plots and report.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    points = summary["points"]
    written = []
    frontier = plot_frontier(sweep, points, out_dir / "frontier.png")
    if frontier:
        summary["frontier"] = frontier
        written.append(out_dir / "frontier.png")
    plot_outputs(sweep, rows, points, out_dir / "outputs.png")
    written.append(out_dir / "outputs.png")
    if "sensitivity" in summary:
        plot_sensitivity(sweep, summary["sensitivity"], out_dir / "sensitivity.png")
        written.append(out_dir / "sensitivity.png")
    (out_dir / "summary.json").write_text(json.dumps(_json_safe(summary), indent=2, default=str, allow_nan=False)
                                          + "\n")
    (out_dir / "report.md").write_text(render_markdown(sweep, summary))
    return [out_dir / "summary.json", out_dir / "report.md", *written]


def _json_safe(value):
    """NaN (no value: e.g. nothing located at any seed) as JSON null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def render_markdown(sweep: Sweep, summary: dict) -> str:
    m = sweep.model
    lines = [f"# alprsim sweep: {Path(sweep.source).name}", "",
             f"Scenario `{sweep.scenario_source}`, {m.days if m.days is not None else 'scenario'} days; "
             f"{len(sweep.points)} points x {m.replications} replications (seeds {m.seed}..{m.seed + m.replications - 1},"
             f" the same at every point) x {len(sweep.policies)} policies = {summary['runs']} runs; design "
             f"{summary['design']}; engine {summary['engine']}.", "",
             "Each figure is the mean over replications with its 95% t-interval `[lo, hi]`: if the sweep were "
             "rerun with other seeds, intervals built this way would cover the true mean 19 times in 20. "
             "Policies at one point share the world, traffic and requests (common random numbers); compare them "
             "with the paired differences in `summary.json`, which are tighter than two overlapping intervals suggest. "
             "`n=k`: only k replications had a value (e.g. nothing located in the others).", ""]
    if "frontier" in summary:
        f = summary["frontier"]
        lines += ["## Trade-off", "", "![frontier](frontier.png)", "",
                  f"x: `{f['x']}`, y: `{f['y']}`; circled points are non-dominated (no other point and policy has "
                  "both less leakage and less cost):", ""]
        lines += [f"- `{_short(p['policy'])}` at " + (", ".join(f"{k} = {v}" for k, v in p["point"].items()) or
                                                     "the scenario") for p in f["non_dominated"]]
        lines.append("")
    lines += ["## Outputs against the varied parameters", "", "![outputs](outputs.png)", ""]
    header = [p.label for p in sweep.parameters]
    lines += ["| " + " | ".join(["policy", *header, *(f"`{o}`" for o in sweep.outputs)]) + " |",
              "|" + "---|" * (1 + len(header)) + "---:|" * len(sweep.outputs)]
    for p in summary["points"][:TABLE_ROWS]:
        values = [_value(p["point"].get(q.paths[0], "")) for q in sweep.parameters]
        lines.append("| " + " | ".join([f"`{_short(p['policy'])}`", *values,
                                        *(_fmt(p["outputs"][o], m.replications) for o in sweep.outputs)]) + " |")
    if len(summary["points"]) > TABLE_ROWS:
        lines.append(f"\n({len(summary['points']) - TABLE_ROWS} more rows in summary.json.)")
    sens = summary.get("sensitivity")
    if sens:
        key = "ST" if sens["method"] == "sobol" else "mu_star"
        lines += ["", f"## Sensitivity ({sens['method']})", "", "![sensitivity](sensitivity.png)", "",
                  "| policy | output | parameter | " + ("S1 | ST |" if key == "ST" else "mu* | sigma |"),
                  "|---|---|---|---:|---:|"]
        for policy, by_out in sens["by_policy"].items():
            for output, block in by_out.items():
                if "error" in block:
                    lines.append(f"| `{_short(policy)}` | `{output}` | – | {block['error']} | |")
                    continue
                for name, ix in block.items():
                    if key == "ST":
                        cells = [_iv(ix["S1"]), _iv(ix["ST"])]
                    else:
                        cells = [_iv(ix["mu_star"]), f"{ix['sigma']:.3g}"]
                    lines.append(f"| `{_short(policy)}` | `{output}` | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _iv(block: dict) -> str:
    return f"{block['value']:.3g} [{block['ci95'][0]:.3g}, {block['ci95'][1]:.3g}]"
