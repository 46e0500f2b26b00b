"""Acoustic sensors in a run: gunshots, located fixes, and the area searches they trigger.

Raven-like sensors stand over each owner's camera area at a density per km²; gunshots
happen at random places and times; a fix from three or more sensors becomes an alert,
and the owner searches every camera within ``search_radius_m`` (widened by the fix's
error radius) over the minutes around it. Every read such a search returns belongs to a
bystander: they count in the cost metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agencies.interest import PlannedSearch
from cameras.acoustic import (
    GunshotEvent,
    area_search_cameras,
    hear,
    locate,
    place_sensors,
    to_local_m,
    to_lonlat,
)
from lookup.requests import ReadQuery, SearchRequest
from scenarios.builder import World
from sim.random_streams import RandomStreams

DAY_S = 86_400


@dataclass(frozen=True)
class GunshotSpec:
    shots_per_day: dict[str, float]  # owner slug -> gunshots a day in its camera area
    sensors_per_km2: float = 6.0  # ShotSpotter-style arrays run about 6-8 per km2
    search_radius_m: float = 400.0
    window_s: int = 15 * 60  # reads this long before and after the estimated shot


def plan_gunshot_searches(world: World, spec: GunshotSpec, streams: RandomStreams) -> tuple[list[PlannedSearch], dict]:
    """The owners' area searches after located gunshots, and a summary of the fixes."""
    cams = world.cameras
    out: list[PlannedSearch] = []
    summary = {"shots": 0, "located": 0, "median_error_m": None}
    errors = []
    for owner, rate in sorted(spec.shots_per_day.items()):
        if owner not in world.owners or rate <= 0:
            continue
        mine = np.nonzero(cams.owner == world.owners.index(owner))[0]
        if not len(mine):
            continue
        rng = streams.generator(f"gunshots/{owner}")
        lon0, lat0 = float(cams.lon[mine].mean()), float(cams.lat[mine].mean())
        x, y = to_local_m(cams.lon[mine], cams.lat[mine], lon0, lat0)
        width, height = float(np.ptp(x)) + 1000.0, float(np.ptp(y)) + 1000.0
        sensors = place_sensors(lon0, lat0, width, height, spec.sensors_per_km2, rng)
        count = int(rng.poisson(rate * world.spec.days))
        times = np.sort(rng.uniform(0, world.spec.days * DAY_S, count))
        ex, ey = rng.uniform(-width / 2, width / 2, count), rng.uniform(-height / 2, height / 2, count)
        for k, t in enumerate(times):
            elon, elat = _lonlat(ex[k], ey[k], lon0, lat0)
            event = GunshotEvent(f"{owner}-shot-{k:04d}", float(t), elon, elat)
            alert = locate(hear(event, sensors, rng), sensors)
            summary["shots"] += 1
            if alert is None:
                continue
            summary["located"] += 1
            dx, dy = to_local_m(alert.lon, alert.lat, elon, elat)
            errors.append(float(np.hypot(dx, dy)))
            near = area_search_cameras(alert, cams.lon, cams.lat, spec.search_radius_m + alert.error_radius_m)
            if not len(near):
                continue
            at = int(alert.time_s) + 120  # the alert reaches an officer within minutes
            query = ReadQuery(cameras=tuple(int(c) for c in near), start_s=int(alert.time_s) - spec.window_s,
                              end_s=int(alert.time_s) + spec.window_s)
            request = SearchRequest(f"{owner}-gunshot-{k:04d}", owner, f"{owner}-user-rtcc", at,
                                    "246 PC shots fired, acoustic alert", "area", query, "Shooting",
                                    f"SF{k:05d}", owner)
            out.append(PlannedSearch(at, request, owner, "local", "gunshot", (owner,), 0.0, -1, True))
    if errors:
        summary["median_error_m"] = round(float(np.median(errors)), 1)
    return out, summary


def _lonlat(x_m: float, y_m: float, lon0: float, lat0: float) -> tuple[float, float]:
    lon, lat = to_lonlat(np.array([x_m]), np.array([y_m]), lon0, lat0)
    return float(lon[0]), float(lat[0])
