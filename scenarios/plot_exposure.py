"""Per-vehicle exposure: how many times each vehicle was read, as a histogram (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.records import RunRecords

EXPOSURE_DAYS = 30  # per-vehicle figures are given over 30 days, scaled for shorter runs


def _measured_vehicles(records: RunRecords) -> np.ndarray:
    """The true vehicle of each read of the measured period (not a warm-up's): a view when
    the measured reads are one block of rows (``RunRecords.measured_rows``)."""
    measured = getattr(records, "measured_rows", None)
    return records.reads.vehicle[measured()] if measured else records.reads.vehicle


def reads_per_vehicle_30d(records: RunRecords) -> np.ndarray:
    """Reads of each vehicle that was read at least once (true vehicle), scaled to 30 days."""
    counts = np.bincount(_measured_vehicles(records), minlength=len(records.vehicles))
    return counts[counts > 0] * (EXPOSURE_DAYS / records.days)


def per_vehicle_metrics(records: RunRecords) -> dict:
    """``reads.per_vehicle``: who is read, and how often, over the whole population."""
    per_read = reads_per_vehicle_30d(records)
    n = max(len(records.vehicles), 1)
    p50, p90, p99 = np.percentile(per_read, [50, 90, 99]) if len(per_read) else (0.0, 0.0, 0.0)
    return {"vehicles_read": int(len(per_read)),
            "mean_per_vehicle_per_day": round(len(_measured_vehicles(records)) / n / records.days, 4),
            "p50_30d": round(float(p50), 2), "p90_30d": round(float(p90), 2), "p99_30d": round(float(p99), 2)}


def plot_exposure(records: RunRecords, path: Path) -> Path:
    """Histogram of reads per read vehicle over 30 days (log-spaced bins, log counts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_read = reads_per_vehicle_30d(records)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if len(per_read):
        top = max(float(per_read.max()), 2.0)
        # whole reads: bins centred on integers, widening on the log scale
        bins = np.unique(np.floor(np.geomspace(1.0, top + 1.0, 45))) - 0.5
        bins = np.r_[min(bins[0], float(per_read.min()) - 0.5), bins[1:], top + 0.5]
        ax.hist(per_read, bins=bins, color="#3b6ea5")
        ax.set_xscale("log")
        ax.set_yscale("log")
        for q, style in ((50, "--"), (90, "-."), (99, ":")):
            v = float(np.percentile(per_read, q))
            ax.axvline(v, color="#b04040", linestyle=style, linewidth=1, label=f"p{q}: {v:,.1f}")
        ax.legend(frameon=False)
    ax.set_xlabel(f"reads per vehicle over {EXPOSURE_DAYS} days (vehicles read at least once)")
    ax.set_ylabel("vehicles")
    n = len(records.vehicles)
    ax.set_title(f"Per-vehicle exposure: {len(per_read):,} of {n:,} vehicles read", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
