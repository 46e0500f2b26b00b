"""Coordinates: WGS84 lon/lat to local metres, distances and bearings (vectorised)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def local_xy_m(lon, lat, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection around (lon0, lat0): fine at city scale (< 0.1% error)."""
    x = np.radians(np.asarray(lon, dtype=np.float64) - lon0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    y = np.radians(np.asarray(lat, dtype=np.float64) - lat0) * EARTH_RADIUS_M
    return x, y


def bearing_deg(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Initial bearing, degrees clockwise from north, in [0, 360)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    y = np.sin(lon2 - lon1) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(lon2 - lon1)
    return (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0


def angle_diff_deg(a, b) -> np.ndarray:
    """Smallest absolute difference between two bearings, in [0, 180]."""
    d = np.abs(np.asarray(a) - np.asarray(b)) % 360.0
    return np.minimum(d, 360.0 - d)


def point_segment_distance_m(px, py, ax, ay, bx, by) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points to segments (local metres) and the fraction along each segment."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.where(length2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy)), t
