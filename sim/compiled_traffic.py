"""The per-leg and per-pass loops of the traffic as compiled code (numba).

Each kernel does what the numpy expression it replaces did, draw for draw and rounding
for rounding (tests hold them equal to numpy references), but in one pass over the legs
instead of a dozen passes with their temporaries.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.random_streams import _mix

_SEED = np.uint64(0x243F6A8885A308D3)  # combine_keys' starting value


@numba.njit(cache=True, inline="always")
def local_hour(time_s, start_local_hour):
    # + 24,000 h: warm-up days run at negative times; truncation must not cross zero
    return np.int64(time_s * (1 / 3600.0) + (start_local_hour + 24_000.0)) % 24


@numba.njit(cache=True, nogil=True)
def expand_kernel(seg_ptr, segment, depart_s, tour_key, vehicle, offset_s, camera, speed_mps, camera_key,
                  congestion, start_local_hour, stream_key, normal_table):
    """(time_s, camera, vehicle, speed_mps) of every checkpoint the legs pass, in leg order
    then path order; the speed noise is keyed by (tour, camera)."""
    n = segment.size
    total = 0
    for i in range(n):
        total += seg_ptr[segment[i] + 1] - seg_ptr[segment[i]]
    out_time = np.empty(total, np.int64)
    out_camera = np.empty(total, np.int32)
    out_vehicle = np.empty(total, np.int32)
    out_speed = np.empty(total, np.float32)
    k = 0
    for i in range(n):
        lo, hi = seg_ptr[segment[i]], seg_ptr[segment[i] + 1]
        if hi == lo:
            continue
        depart = depart_s[i]
        slowdown = congestion[local_hour(depart, start_local_hour)]
        for e in range(lo, hi):
            cam = camera[e]
            out_time[k] = np.int64(np.floor(depart + np.float64(offset_s[e]) * slowdown))
            out_camera[k] = cam
            out_vehicle[k] = vehicle[i]
            key = _mix(_mix(_SEED ^ tour_key[i]) ^ camera_key[cam])
            bits = _mix(_mix(_mix(_SEED ^ key) ^ stream_key))
            noise = 1.0 + 0.08 * normal_table[np.int64(bits >> np.uint64(48))]
            speed = np.float64(speed_mps[e]) / slowdown * noise
            out_speed[k] = np.float32(min(max(speed, 1.0), 60.0))
            k += 1
    return out_time, out_camera, out_vehicle, out_speed
