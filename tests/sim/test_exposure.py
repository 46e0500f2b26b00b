"""Per-vehicle exposure figures (report ``reads.per_vehicle``) and their histogram."""

from __future__ import annotations

import numpy as np

from scenarios.plot_exposure import per_vehicle_metrics, plot_exposure
from sim.records import Cameras, Reads, RunRecords, Vehicles


def _records(vehicle_reads: list[int], n_vehicles: int, days: float) -> RunRecords:
    vehicle = np.repeat(np.arange(len(vehicle_reads)), vehicle_reads)
    n = len(vehicle)
    reads = Reads.from_columns({"time_s": np.arange(n), "camera": np.zeros(n), "owner": np.zeros(n),
                                "plate": vehicle + 1, "plate_state": np.zeros(n), "confidence": np.ones(n),
                                "make": np.zeros(n), "colour": np.zeros(n), "body": np.zeros(n), "vehicle": vehicle})
    z8, z = np.zeros(n_vehicles, np.uint8), np.zeros(n_vehicles, np.int32)
    vehicles = Vehicles(np.arange(n_vehicles) + 1, z8, z8, z8, z8, z, z, z.astype(np.int16), z.astype(bool),
                        np.zeros((n_vehicles, 8), np.uint8))
    cams = Cameras(("c",), np.zeros(1, np.int16), np.zeros(1), np.zeros(1), np.zeros(1, np.int32),
                   np.zeros(1, np.float32), np.zeros(1, bool), np.ones(1, np.uint64))
    return RunRecords(1, days, ("o",), cams, vehicles, reads, "x", 0, n)


def test_per_vehicle_figures_cover_the_whole_population_and_scale_to_30_days(tmp_path):
    # 4 of 10 vehicles read 1, 2, 3 and 10 times in 15 days
    records = _records([1, 2, 3, 10], 10, 15.0)
    m = per_vehicle_metrics(records)
    assert m["vehicles_read"] == 4
    assert m["mean_per_vehicle_per_day"] == round(16 / 10 / 15, 4)
    assert m["p50_30d"] == 5.0  # median of 2, 4, 6, 20
    assert m["p99_30d"] == round(float(np.percentile([2, 4, 6, 20], 99)), 2)
    path = plot_exposure(records, tmp_path / "exposure.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
