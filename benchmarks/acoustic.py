"""Gunshot localisation: solves per second, and error against sensor density (with a plot).

Figures:

- ``acoustic_solves_per_second``: ``cameras.acoustic.locate`` (scipy least squares with
  an analytic Jacobian) on shots heard at 4 sensors/km², against a baseline in the same
  run: ``scipy.optimize.minimize`` (Nelder-Mead) on the summed squared residuals from the
  sensors' centroid; median errors of both are reported;
- ``acoustic_median_error_m_at_<d>``: median localisation error at each density, against
  the error at the sparsest density, and the share of shots fixed; the plot
  (``acoustic_error_vs_density.png``) goes to ``ACOUSTIC_BENCH_DIR`` (default: a temp dir).

Run: ``python -m benchmarks acoustic``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from benchmarks import emit
from cameras.acoustic import (
    error_vs_density,
    hear,
    locate,
    location_error_m,
    place_sensors,
    plot_error_vs_density,
    random_events,
    speed_of_sound_mps,
    to_local_m,
)
from sim.random_streams import RandomStreams

CENTER = (-122.2711, 37.8044)
DENSITIES = [0.5, 1, 2, 4, 8, 16]


def _nelder_mead(arrivals, sensors, temperature_c=15.0):
    c = speed_of_sound_mps(temperature_c)
    sx, sy = sensors.x_m[arrivals.sensor], sensors.y_m[arrivals.sensor]
    rng_m = (arrivals.time_s - arrivals.time_s.min()) * c

    def cost(theta):
        return float(np.sum((rng_m - theta[2] - np.hypot(sx - theta[0], sy - theta[1])) ** 2))

    x0 = np.array([sx.mean(), sy.mean(), -np.hypot(sx - sx.mean(), sy - sy.mean()).min()])
    fit = minimize(cost, x0, method="Nelder-Mead", options={"xatol": 0.01, "fatol": 1e-6, "maxiter": 4000})
    return fit.x[:2]


def bench_solves(n: int = 300) -> None:
    streams = RandomStreams(11)
    sensors = place_sensors(*CENTER, 6000, 6000, 4.0, streams.generator("sensors"))
    rng = streams.generator("events")
    events = random_events(n, *CENTER, 3000, 3000, rng)
    heard = [hear(e, sensors, rng, p_blocked=0.2) for e in events]
    t0 = time.perf_counter()
    alerts = [locate(a, sensors) for a in heard]
    ours = time.perf_counter() - t0
    ours_err = [location_error_m(a, e) for a, e in zip(alerts, events, strict=True) if a is not None]
    t0 = time.perf_counter()
    base_xy = [_nelder_mead(a, sensors) for a in heard]
    base = time.perf_counter() - t0
    base_err = []
    for (x, y), e in zip(base_xy, events, strict=True):
        ex, ey = to_local_m(e.lon, e.lat, sensors.origin_lon, sensors.origin_lat)
        base_err.append(float(np.hypot(x - ex, y - ey)))
    emit("acoustic_solves_per_second", n / ours, "solves/s", baseline=n / base,
         baseline_what="scipy.optimize.minimize Nelder-Mead on squared residuals",
         median_error_m=round(float(np.median(ours_err)), 3), baseline_median_error_m=round(float(np.median(base_err)), 3),
         sensors_per_km2=4.0)


def bench_density() -> None:
    table = error_vs_density(DENSITIES, n_events=200, seed=3)
    out = Path(os.environ.get("ACOUSTIC_BENCH_DIR", Path(tempfile.gettempdir()) / "alprsim-bench"))
    out.mkdir(parents=True, exist_ok=True)
    png = plot_error_vs_density(table, out / "acoustic_error_vs_density.png")
    sparsest = table[0]["median_error_m"]
    for row in table:
        emit(f"acoustic_median_error_m_at_{row['density_per_km2']:g}", row["median_error_m"], "m",
             baseline=sparsest, baseline_what=f"median error at {table[0]['density_per_km2']:g}/km²",
             p90_error_m=round(row["p90_error_m"], 3), fix_rate=round(row["fix_rate"], 3), plot=str(png))


def main() -> None:
    bench_solves()
    bench_density()


if __name__ == "__main__":
    main()
