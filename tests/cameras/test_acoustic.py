"""Acoustic gunshot location: exact without noise, better with denser sensors, no fix
from fewer than three sensors, and area searches around an alert."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cameras.acoustic import (
    AcousticSensors,
    Arrivals,
    GunshotAlert,
    GunshotEvent,
    area_search_cameras,
    error_vs_density,
    hear,
    localisation_errors,
    locate,
    location_error_m,
    place_sensors,
    plot_error_vs_density,
    speed_of_sound_mps,
    to_lonlat,
)

OAKLAND = (-122.2711, 37.8044)


def test_speed_of_sound_rises_with_temperature():
    assert speed_of_sound_mps(0.0) == pytest.approx(331.3)
    assert speed_of_sound_mps(20.0) == pytest.approx(343.2, abs=0.2)
    assert speed_of_sound_mps(35.0) > speed_of_sound_mps(20.0) > speed_of_sound_mps(-10.0)


def _event(x_m: float, y_m: float, t: float = 100.0) -> GunshotEvent:
    lon, lat = to_lonlat(x_m, y_m, *OAKLAND)
    return GunshotEvent("shot-1", t, float(lon), float(lat))


def test_without_timing_noise_the_fix_is_exact():
    sensors = place_sensors(*OAKLAND, 4000, 4000, 4.0, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    for x, y in [(0, 0), (313, -870), (-1200, 455), (650, 650)]:
        event = _event(x, y)
        alert = locate(hear(event, sensors, rng, timing_noise_s=0.0), sensors, timing_noise_s=1e-4)
        assert alert is not None and alert.sensors_used >= 3
        assert location_error_m(alert, event) < 0.01
        assert alert.time_s == pytest.approx(event.time_s, abs=1e-6)


def test_three_sensors_are_enough_and_pick_the_right_root():
    sensors = AcousticSensors.at(*to_lonlat(np.array([0.0, 600.0, -300.0]), np.array([0.0, 100.0, 500.0]), *OAKLAND),
                                 *OAKLAND, detection_range_m=2000)
    event = _event(120.0, 180.0)
    alert = locate(hear(event, sensors, np.random.default_rng(0), timing_noise_s=0.0), sensors, timing_noise_s=1e-4)
    assert alert is not None and alert.sensors_used == 3
    assert location_error_m(alert, event) < 0.01


def test_fewer_than_three_sensors_give_no_fix_not_a_wrong_one():
    sensors = place_sensors(*OAKLAND, 3000, 3000, 4.0, np.random.default_rng(1))
    event = _event(0, 0)
    heard = hear(event, sensors, np.random.default_rng(3))
    for keep in (0, 1, 2):
        assert locate(Arrivals(heard.event_id, heard.sensor[:keep], heard.time_s[:keep]), sensors) is None
    sparse = place_sensors(*OAKLAND, 3000, 3000, 0.05, np.random.default_rng(1))  # one sensor in 20 km2
    assert locate(hear(event, sparse, np.random.default_rng(3)), sparse) is None


def test_localisation_error_shrinks_as_sensors_get_denser():
    table = error_vs_density([1.0, 4.0, 16.0], n_events=60, seed=5)
    medians = [r["median_error_m"] for r in table]
    p90 = [r["p90_error_m"] for r in table]
    assert medians[0] > medians[1] > medians[2]
    assert p90[0] > p90[2]
    assert table[0]["fix_rate"] <= table[1]["fix_rate"] <= table[2]["fix_rate"] == 1.0


def test_error_is_near_zero_without_timing_noise_at_every_density():
    for density in (1.0, 4.0):
        errors = localisation_errors(density, n_events=30, seed=2, timing_noise_s=0.0, p_blocked=0.0)
        fixed = errors[np.isfinite(errors)]
        assert len(fixed) > 0 and fixed.max() < 0.01


def test_a_wrong_temperature_moves_the_fix():
    matched = localisation_errors(4.0, n_events=40, seed=4, timing_noise_s=0.0, p_blocked=0.0,
                                  temperature_c=30.0)
    assumed_cold = localisation_errors(4.0, n_events=40, seed=4, timing_noise_s=0.0, p_blocked=0.0,
                                       temperature_c=30.0, assumed_temperature_c=0.0)
    assert np.nanmedian(assumed_cold) > 1.0 > np.nanmedian(matched)


def test_the_error_radius_usually_covers_the_shot():
    sensors = place_sensors(*OAKLAND, 5000, 5000, 4.0, np.random.default_rng(7))
    rng = np.random.default_rng(8)
    covered = total = 0
    for _ in range(80):
        event = _event(*rng.uniform(-1200, 1200, 2))
        alert = locate(hear(event, sensors, rng, timing_noise_s=0.005), sensors, timing_noise_s=0.005)
        if alert is not None:
            total += 1
            covered += location_error_m(alert, event) <= alert.error_radius_m
    assert total >= 70 and covered / total >= 0.85


def test_area_search_finds_the_cameras_near_the_alert():
    alert = GunshotAlert("shot-1", 0.0, OAKLAND[0], OAKLAND[1], 12.0, 5, 0.001)
    offsets = np.array([[0, 0], [150, 0], [0, -290], [310, 0], [-1000, 1000]], float)
    lon, lat = to_lonlat(offsets[:, 0], offsets[:, 1], *OAKLAND)
    assert area_search_cameras(alert, lon, lat, 300.0).tolist() == [0, 1, 2]
    assert area_search_cameras(alert, lon, lat, 10.0).tolist() == [0]
    assert area_search_cameras(alert, lon[:0], lat[:0], 300.0).tolist() == []


def test_alerts_and_events_are_frozen_records():
    alert = GunshotAlert("shot-1", 0.0, OAKLAND[0], OAKLAND[1], 12.0, 5, 0.001)
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.lon = 0.0  # type: ignore[misc]


def test_sensor_density_sets_the_number_of_sensors():
    sensors = place_sensors(*OAKLAND, 4000, 4000, 4.0, np.random.default_rng(1))
    assert len(sensors) == pytest.approx(64, abs=8)
    with pytest.raises(ValueError, match="density"):
        place_sensors(*OAKLAND, 4000, 4000, 0.0, np.random.default_rng(1))


def test_the_density_plot_is_written(tmp_path):
    table = [{"density_per_km2": d, "fix_rate": 1.0, "median_error_m": 4.0 / d, "p90_error_m": 9.0 / d}
             for d in (1.0, 2.0, 4.0)]
    path = plot_error_vs_density(table, tmp_path / "plot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
