"""Acoustic gunshot sensors (the "Raven" kind): placement, hearing, localisation, alerts.

Sensors sit on poles at a density per square kilometre. A shot is heard by the sensors
within ``detection_range_m``; each stamps its arrival time (GPS-synchronised clocks, with
``timing_noise_s`` of jitter), sound travelling at the speed for the air temperature.
The shot is located from the arrival-time differences by non-linear least squares
(``scipy.optimize.least_squares``) over (x, y, time of the shot); the localiser assumes a
temperature, which may differ from the true one. At least three sensors must hear the
shot, otherwise there is no fix: ``locate`` returns None rather than a guess. An alert
carries the estimated position and a 95% error radius from the fit's covariance; an
alert triggers an area search of the cameras near it (``area_search_cameras``).

Geometry is local: lon/lat are mapped to metres on a plane tangent at a reference point
(equirectangular), accurate to well under a metre across a city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from sim.random_streams import RandomStreams

EARTH_RADIUS_M = 6_371_008.8
CHI2_95_2DOF = 5.991  # 95% of a 2-D normal lies within sqrt(5.991) standard ellipse radii
MIN_SENSORS = 3
TIMING_NOISE_S = 0.005  # onset-detection jitter of a sensor (assumption)


def speed_of_sound_mps(temperature_c: float) -> float:
    """Speed of sound in dry air: 331.3 m/s at 0 C, growing with sqrt(absolute temperature)."""
    return 331.3 * float(np.sqrt(1.0 + temperature_c / 273.15))


def to_local_m(lon, lat, origin_lon: float, origin_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat (degrees) -> metres east and north of the origin."""
    k = np.pi / 180 * EARTH_RADIUS_M
    return ((np.asarray(lon, float) - origin_lon) * k * np.cos(np.radians(origin_lat)),
            (np.asarray(lat, float) - origin_lat) * k)


def to_lonlat(x_m, y_m, origin_lon: float, origin_lat: float) -> tuple[np.ndarray, np.ndarray]:
    k = np.pi / 180 * EARTH_RADIUS_M
    return (origin_lon + np.asarray(x_m, float) / (k * np.cos(np.radians(origin_lat))),
            origin_lat + np.asarray(y_m, float) / k)


@dataclass(frozen=True)
class AcousticSensors:
    """Sensor positions (lon/lat and local metres around ``origin``) and their hearing range."""

    lon: np.ndarray
    lat: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    origin_lon: float
    origin_lat: float
    detection_range_m: float = 1000.0

    def __len__(self) -> int:
        return len(self.lon)

    @classmethod
    def at(cls, lon, lat, origin_lon: float | None = None, origin_lat: float | None = None,
           detection_range_m: float = 1000.0) -> AcousticSensors:
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        o_lon = float(lon.mean()) if origin_lon is None else origin_lon
        o_lat = float(lat.mean()) if origin_lat is None else origin_lat
        x, y = to_local_m(lon, lat, o_lon, o_lat)
        return cls(lon, lat, x, y, o_lon, o_lat, detection_range_m)


def place_sensors(center_lon: float, center_lat: float, width_m: float, height_m: float,
                  density_per_km2: float, rng: np.random.Generator, detection_range_m: float = 1000.0,
                  jitter: float = 0.35) -> AcousticSensors:
    """Sensors on a jittered grid over a width x height rectangle, ``density_per_km2`` of them.

    Deployments space sensors evenly (ShotSpotter-style arrays run about 6-8 per km2);
    ``jitter`` moves each off its grid point by up to that share of the spacing (poles
    are where they are)."""
    if density_per_km2 <= 0:
        raise ValueError(f"sensor density {density_per_km2!r} per km2 must be positive")
    spacing = 1000.0 / np.sqrt(density_per_km2)
    xs = np.arange(-width_m / 2 + spacing / 2, width_m / 2, spacing)
    ys = np.arange(-height_m / 2 + spacing / 2, height_m / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx.ravel() + rng.uniform(-jitter, jitter, gx.size) * spacing
    gy = gy.ravel() + rng.uniform(-jitter, jitter, gy.size) * spacing
    lon, lat = to_lonlat(gx, gy, center_lon, center_lat)
    return AcousticSensors(lon, lat, gx, gy, center_lon, center_lat, detection_range_m)


@dataclass(frozen=True)
class GunshotEvent:
    """A shot (ground truth, known to the simulator only)."""

    event_id: str
    time_s: float
    lon: float
    lat: float


@dataclass(frozen=True)
class Arrivals:
    """Which sensors heard an event, and when (their clocks)."""

    event_id: str
    sensor: np.ndarray  # int indices into the sensors
    time_s: np.ndarray  # float64


@dataclass(frozen=True)
class GunshotAlert:
    """What the system reports: estimated place and time of a shot, and how sure it is."""

    event_id: str
    time_s: float  # estimated time of the shot
    lon: float
    lat: float
    error_radius_m: float  # 95% radius around (lon, lat)
    sensors_used: int
    residual_rms_s: float


def hear(event: GunshotEvent, sensors: AcousticSensors, rng: np.random.Generator, temperature_c: float = 15.0,
         timing_noise_s: float = TIMING_NOISE_S, p_detect: float = 1.0, p_blocked: float = 0.0,
         blocked_delay_s: float = 0.05) -> Arrivals:
    """Arrival times at the sensors in range (each also misses with 1 - ``p_detect``).

    ``timing_noise_s``: jitter of the detected onset (normal). ``p_blocked``: chance that
    a building blocks the direct path, so the sensor hears an echo ``blocked_delay_s``
    late on average (exponential): the urban error that least squares suffers most."""
    x, y = to_local_m(event.lon, event.lat, sensors.origin_lon, sensors.origin_lat)
    distance = np.hypot(sensors.x_m - x, sensors.y_m - y)
    heard = (distance <= sensors.detection_range_m) & (rng.random(len(sensors)) < p_detect)
    idx = np.nonzero(heard)[0]
    times = event.time_s + distance[idx] / speed_of_sound_mps(temperature_c)
    if timing_noise_s > 0:
        times = times + rng.normal(0.0, timing_noise_s, len(idx))
    if p_blocked > 0:
        times = times + (rng.random(len(idx)) < p_blocked) * rng.exponential(blocked_delay_s, len(idx))
    return Arrivals(event.event_id, idx, times)


def _residuals(theta: np.ndarray, sx: np.ndarray, sy: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    # theta = (x, y, c * t0): range differences in metres keep the problem well scaled
    return range_m - theta[2] - np.hypot(sx - theta[0], sy - theta[1])


def _jacobian(theta: np.ndarray, sx: np.ndarray, sy: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    dx, dy = theta[0] - sx, theta[1] - sy
    d = np.maximum(np.hypot(dx, dy), 1e-9)
    return np.column_stack([-dx / d, -dy / d, -np.ones_like(d)])


def locate(arrivals: Arrivals, sensors: AcousticSensors, temperature_c: float = 15.0,
           timing_noise_s: float = TIMING_NOISE_S, max_error_radius_m: float = 1000.0) -> GunshotAlert | None:
    """Least-squares fix from arrival times; None with fewer than three sensors, or when the
    geometry cannot pin the shot down (error radius above ``max_error_radius_m``).

    ``temperature_c`` is what the system assumes; ``timing_noise_s`` its nominal jitter.
    With five or more sensors the fit is robust (soft L1) to a late echo."""
    n = len(arrivals.sensor)
    if n < MIN_SENSORS:
        return None
    robust = n >= 5
    c = speed_of_sound_mps(temperature_c)
    sx, sy = sensors.x_m[arrivals.sensor], sensors.y_m[arrivals.sensor]
    t_ref = float(arrivals.time_s.min())
    range_m = (arrivals.time_s - t_ref) * c
    first = int(np.argmin(arrivals.time_s))
    # start beside the first sensor to hear the shot; with exactly three sensors the
    # equations can have two roots, so also start from their centre and keep the root
    # nearer the first sensor (the likelier one)
    starts = [(sx[first] + 0.1 * (sx.mean() - sx[first]), sy[first] + 0.1 * (sy.mean() - sy[first]))]
    if n == MIN_SENSORS:
        starts.append((sx.mean(), sy.mean()))
    best = None
    for x0, y0 in starts:
        theta0 = np.array([x0, y0, -np.hypot(sx[first] - x0, sy[first] - y0)])
        if robust:  # down-weight late echoes (soft L1 beyond three sigmas)
            fit = least_squares(_residuals, theta0, jac=_jacobian, args=(sx, sy, range_m), method="trf",
                                loss="soft_l1", f_scale=3 * c * max(timing_noise_s, 1e-4), xtol=1e-10)
        else:
            fit = least_squares(_residuals, theta0, jac=_jacobian, args=(sx, sy, range_m), method="lm", xtol=1e-10)
        near = np.hypot(fit.x[0] - sx[first], fit.x[1] - sy[first])
        key = (round(fit.cost, 3), near)
        if best is None or key < best[0]:
            best = (key, fit)
    fit = best[1]
    rms_m = float(np.sqrt(np.mean(fit.fun ** 2)))
    sigma_m = c * timing_noise_s
    if n > MIN_SENSORS:  # with spare sensors, the misfit itself says how noisy the times were
        sigma_m = max(sigma_m, rms_m * np.sqrt(n / (n - MIN_SENSORS)))
    jtj = fit.jac.T @ fit.jac
    try:
        cov = np.linalg.inv(jtj)[:2, :2] * max(sigma_m, 0.01) ** 2
    except np.linalg.LinAlgError:
        return None
    radius = float(np.sqrt(CHI2_95_2DOF * max(np.linalg.eigvalsh(cov).max(), 0.0)))
    if not np.isfinite(radius) or radius > max_error_radius_m:
        return None
    lon, lat = to_lonlat(fit.x[0], fit.x[1], sensors.origin_lon, sensors.origin_lat)
    return GunshotAlert(arrivals.event_id, t_ref + fit.x[2] / c, float(lon), float(lat), radius, n, rms_m / c)


def location_error_m(alert: GunshotAlert, event: GunshotEvent) -> float:
    x, y = to_local_m(alert.lon, alert.lat, event.lon, event.lat)
    return float(np.hypot(x, y))


def area_search_cameras(alert: GunshotAlert, camera_lon: np.ndarray, camera_lat: np.ndarray,
                        radius_m: float) -> np.ndarray:
    """Indices of the cameras within ``radius_m`` of the alert's estimated position (the
    caller may widen ``radius_m`` by ``alert.error_radius_m``)."""
    x, y = to_local_m(camera_lon, camera_lat, alert.lon, alert.lat)
    return np.nonzero(np.hypot(x, y) <= radius_m)[0]


# ---------------------------------------------------------------------------------
# Experiments: how good are fixes at a given sensor density?


def random_events(n: int, center_lon: float, center_lat: float, width_m: float, height_m: float,
                  rng: np.random.Generator, duration_s: float = 86400.0) -> list[GunshotEvent]:
    x = rng.uniform(-width_m / 2, width_m / 2, n)
    y = rng.uniform(-height_m / 2, height_m / 2, n)
    lon, lat = to_lonlat(x, y, center_lon, center_lat)
    times = np.sort(rng.uniform(0, duration_s, n))
    return [GunshotEvent(f"shot-{k:05d}", float(t), float(a), float(b))
            for k, (t, a, b) in enumerate(zip(times, lon, lat, strict=True))]


def localisation_errors(density_per_km2: float, n_events: int = 200, seed: int = 0,
                        timing_noise_s: float = TIMING_NOISE_S, p_blocked: float = 0.2, temperature_c: float = 15.0,
                        assumed_temperature_c: float | None = None, detection_range_m: float = 1000.0,
                        side_m: float = 6000.0, center: tuple[float, float] = (-122.2711, 37.8044)) -> np.ndarray:
    """Localisation error (m) of each of ``n_events`` shots; NaN where there was no fix.

    Shots fall in the middle half of a ``side_m`` square of sensors (so that edge effects
    do not dominate). Streams are named by density, so each density is its own draw."""
    streams = RandomStreams(seed)
    sensors = place_sensors(*center, side_m, side_m, density_per_km2,
                            streams.generator(f"acoustic/sensors/{density_per_km2}"), detection_range_m)
    rng = streams.generator(f"acoustic/events/{density_per_km2}")
    events = random_events(n_events, *center, side_m / 2, side_m / 2, rng)
    assumed = temperature_c if assumed_temperature_c is None else assumed_temperature_c
    errors = np.full(n_events, np.nan)
    for k, event in enumerate(events):
        arrivals = hear(event, sensors, rng, temperature_c, timing_noise_s, p_blocked=p_blocked)
        alert = locate(arrivals, sensors, assumed, max(timing_noise_s, 1e-4))
        if alert is not None:
            errors[k] = location_error_m(alert, event)
    return errors


def error_vs_density(densities: list[float], n_events: int = 200, seed: int = 0, **kwargs) -> list[dict]:
    """Median and 90th-percentile error, and the share of shots fixed, per density."""
    table = []
    for density in densities:
        errors = localisation_errors(density, n_events, seed, **kwargs)
        fixed = errors[np.isfinite(errors)]
        table.append({"density_per_km2": float(density), "fix_rate": float(len(fixed) / n_events),
                      "median_error_m": float(np.median(fixed)) if len(fixed) else float("nan"),
                      "p90_error_m": float(np.percentile(fixed, 90)) if len(fixed) else float("nan")})
    return table


def plot_error_vs_density(table: list[dict], path, title: str = "Gunshot localisation error vs sensor density"):
    """Write a PNG of ``error_vs_density`` output (matplotlib, imported only here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = [r["density_per_km2"] for r in table]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    ax.plot(d, [r["median_error_m"] for r in table], "o-", label="median error")
    ax.plot(d, [r["p90_error_m"] for r in table], "s--", label="90th percentile")
    ax.set_xlabel("sensors per km²")
    ax.set_xscale("log", base=2)
    ax.set_ylabel("localisation error (m)")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    ax2.plot(d, [100 * r["fix_rate"] for r in table], "^:", color="grey", label="shots fixed (%)")
    ax2.set_ylabel("shots fixed (%)")
    ax2.set_ylim(0, 105)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(lines, [ln.get_label() for ln in lines], loc="center right")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
