"""Report figures (matplotlib, Agg): pure functions of the report dictionaries, written as PNG.

``Figure`` objects are made directly (no pyplot): no global state, no display needed.
matplotlib is imported when a figure is drawn, not when the CLI starts (seconds saved).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

KIND_LABELS = (("federal", "federal", "#b2182b"), ("out_of_state", "out of state", "#ef8a62"))


def _new_figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def leakage_by_channel_png(report: dict, path: Path) -> Path:
    """Reads delivered to federal and out-of-state beneficiaries, by channel (horizontal bars)."""
    leakage = report["leakage"]
    channels = list(leakage["federal"]["by_channel"])
    y = np.arange(len(channels))
    fig = _new_figure(7.0, 0.45 * len(channels) + 1.4)
    ax = fig.add_subplot()
    height = 0.38
    for k, (kind, label, colour) in enumerate(KIND_LABELS):
        values = [leakage[kind]["by_channel"][c]["reads_delivered"] for c in channels]
        bars = ax.barh(y + (k - 0.5) * height, values, height, label=label, color=colour)
        ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in values], padding=2, fontsize=8)
    ax.set_yticks(y, channels)
    ax.invert_yaxis()
    ax.set_xlabel("reads delivered (repeats included)")
    ax.set_title(f"Reads that reached outside agencies, by channel, under {report['policy']}", fontsize=10)
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


def _figure(reports: dict | Sequence[dict], get) -> tuple[float, float, float]:
    """(mean, lo, hi): one report gives its value; replications give the 95% t-interval."""
    if isinstance(reports, dict):
        value = float(get(reports))
        return value, value, value
    from scenarios.intervals import mean_ci95  # scipy: only when there are replications

    interval = mean_ci95([get(r) for r in reports])
    return interval.mean, interval.lo, interval.hi


def compare_png(reports: dict[str, dict | Sequence[dict]], path: Path) -> Path:
    """Leakage against legitimate cost, one point per policy (error bars over replications)."""
    fig = _new_figure(6.4, 4.6)
    ax = fig.add_subplot()
    labels: dict[tuple[float, float], list[str]] = {}  # policies at the same point share one label
    for name, rep in reports.items():
        x, x_lo, x_hi = _figure(rep, lambda r: r["cost"]["legit_denied"])
        y, y_lo, y_hi = _figure(rep, lambda r: r["leakage"]["federal"]["reads_delivered"])
        ax.errorbar(x, y, xerr=[[x - x_lo], [x_hi - x]], yerr=[[y - y_lo], [y_hi - y]], fmt="o", capsize=3,
                    color="#b2182b")
        labels.setdefault((x, y), []).append(name)
    for (x, y), names in labels.items():
        ax.annotate(" = ".join(names), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set_xlabel("legitimate searches denied (cost)")
    ax.set_ylabel("reads delivered to federal agencies (leakage)")
    ax.set_title("Each policy on the same world and requests", fontsize=10)
    ax.margins(0.15)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


def report_plots(folder: Path, report: dict) -> list[tuple[str, str]]:
    """The run's figures, written in ``folder`` (the report's ``plots/``): (caption, path
    relative to the report)."""
    if "leakage" not in report:
        return []
    leakage_by_channel_png(report, folder / "leakage_by_channel.png")
    figures = [("Reads delivered to federal and out-of-state agencies, by channel", "plots/leakage_by_channel.png")]
    if "arms_race" in report:  # week by week, audits and sanctions marked (scenarios.plot_arms_race)
        from scenarios.plot_arms_race import arms_race_png

        arms_race_png(report, folder / "arms_race.png")
        figures.append(("The arms race: federal leakage and the channel mix week by week, audits and sanctions "
                        "marked", "plots/arms_race.png"))
    return figures


def plots_markdown(figures: list[tuple[str, str]]) -> str:
    if not figures:
        return ""
    return "\n## Figures\n\n" + "\n\n".join(f"![{caption}]({path})" for caption, path in figures) + "\n"
