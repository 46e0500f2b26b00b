"""The arms-race figures (matplotlib, Agg): leakage and channel mix week by week, with the
owners' audits and sanctions marked. Pure functions of report dictionaries (one run's, a
summary over seeds, or each seed's), written as PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scenarios.plots import _new_figure, _save

CHANNEL_COLOURS = {
    "direct": "#b2182b", "national_lookup": "#d6604d", "proxy_honest": "#f4a582", "proxy_vague": "#92c5de",
    "proxy_disguised": "#4393c3", "task_force": "#2166ac", "fusion_relay": "#5aae61", "multi_hop": "#9970ab",
    "misconfiguration": "#000000",
}


def _value(v) -> float:
    """A figure of a run, or the mean of a summary over seeds."""
    if isinstance(v, dict):
        return float(v.get("mean") or 0.0)
    return float(v or 0.0)


def _series(values: Sequence) -> np.ndarray:
    return np.array([_value(v) for v in values], np.float64)


def _mark_events(ax, timeline: dict) -> None:
    for day in timeline.get("audit_days", []):
        ax.axvline(_value(day) / 7.0, color="#444444", linestyle="--", linewidth=0.8)
    for m in timeline.get("misconfigurations", []) or []:
        if not isinstance(m, dict):
            continue
        end = m["end_day"] if m.get("end_day") is not None else timeline["weeks"] * 7
        ax.axvspan(_value(m["start_day"]) / 7.0, _value(end) / 7.0, color="#fee08b", alpha=0.35, linewidth=0, zorder=0)  # behind the bars


def arms_race_png(report: dict, path: Path) -> Path:
    """Federal leakage by channel per week, the outside agencies' channel mix per week,
    and sanctions per week; audits as dashed lines, misconfigurations shaded."""
    timeline = report["arms_race"]
    n = int(_value(timeline["weeks"]))
    x = np.arange(n) + 0.5  # bars at the middle of their week
    fig = _new_figure(8.0, 8.2)
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 3, 1.4]})
    fed = report["leakage"]["federal"]
    bottom = np.zeros(n)
    for channel, values in fed["weekly_by_channel"].items():
        v = _series(values)
        if v.any():
            axes[0].bar(x, v, 0.85, bottom=bottom, color=CHANNEL_COLOURS.get(channel), label=channel)
            bottom += v
    axes[0].plot(x, _series(fed["weekly"]), "k.", markersize=4)
    axes[0].set_ylabel("distinct reads to federal\nagencies per week")
    axes[0].legend(fontsize=7, frameon=False, ncol=3, loc="upper left")
    axes[0].set_ylim(top=max(float(bottom.max()), 1.0) * 1.3)  # room for the legend
    mix = timeline["attempts_weekly_by_channel"]
    totals = np.maximum(sum(_series(v) for v in mix.values()), 1e-9)
    bottom = np.zeros(n)
    for channel, values in mix.items():
        share = _series(values) / totals
        if share.any():
            axes[1].bar(x, share, 0.85, bottom=bottom, color=CHANNEL_COLOURS.get(channel), label=channel)
            bottom += share
    axes[1].set_ylabel("outside agencies' searches\nby channel (share)")
    axes[1].legend(fontsize=7, frameon=False, ncol=4, loc="upper left", bbox_to_anchor=(0, 1.16))
    axes[1].set_ylim(0, 1)
    sanctions = np.zeros(n)
    for day in timeline.get("sanction_days", []):
        sanctions[min(int(_value(day) // 7), n - 1)] += 1
    axes[2].bar(x, sanctions, 0.85, color="#762a83")
    axes[2].set_ylabel("sanctions")
    axes[2].set_xlabel("week of the measured period (dashed: audits; shaded: misconfiguration)")
    for ax in axes:
        _mark_events(ax, timeline)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, n)
    step = max(1, n // 13)
    axes[2].set_xticks(np.arange(0, n, step) + 0.5, [str(k + 1) for k in range(0, n, step)])
    adversary = report.get("adversary", {}).get("strategy", "static")
    axes[0].set_title(f"The arms race under {report['policy']}: {adversary} adversary", fontsize=10)
    return _save(fig, path)


def arms_race_compare_png(per_seed: dict[str, Sequence[dict]], path: Path) -> Path:
    """Federal distinct reads per week, one line per variant (mean over seeds, 95% band)."""
    from scenarios.intervals import mean_ci95

    fig = _new_figure(8.0, 4.6)
    ax = fig.add_subplot()
    colours = ("#b2182b", "#2166ac", "#5aae61", "#9970ab", "#e08214", "#000000", "#d6604d", "#4393c3")
    for k, (label, reports) in enumerate(per_seed.items()):
        series = [r["leakage"]["federal"].get("weekly") for r in reports]
        series = [s for s in series if s]
        if not series:
            continue
        n = min(len(s) for s in series)
        x = np.arange(n) + 0.5
        colour = colours[k % len(colours)]
        if len(series) > 1:
            cis = [mean_ci95([s[w] for s in series]) for w in range(n)]
            mean = np.array([c.mean for c in cis])
            ax.fill_between(x, [c.lo for c in cis], [c.hi for c in cis], color=colour, alpha=0.15, linewidth=0)
        else:
            mean = np.array(series[0][:n], np.float64)
        ax.plot(x, mean, "-o", color=colour, markersize=3, label=label)
        for day in reports[0].get("arms_race", {}).get("audit_days", []):
            ax.axvline(day / 7.0, color=colour, linestyle=":", linewidth=0.7)
    ax.set_xlabel("week of the measured period (dotted: audits)")
    ax.set_ylabel("distinct reads delivered to federal agencies")
    ax.set_title("Federal leakage week by week (mean over seeds, 95% band)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(bottom=0)
    return _save(fig, path)
