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
    # each leg's entries, read once from the (large, randomly visited) pointer table
    leg_lo = np.empty(n, np.int64)
    leg_hi = np.empty(n, np.int64)
    total = 0
    for i in range(n):
        leg_lo[i] = seg_ptr[segment[i]]
        leg_hi[i] = seg_ptr[segment[i] + 1]
        total += leg_hi[i] - leg_lo[i]
    out_time = np.empty(total, np.int64)
    out_camera = np.empty(total, np.int32)
    out_vehicle = np.empty(total, np.int32)
    out_speed = np.empty(total, np.float32)
    # gather every leg's entries first, in a loop short enough that many of its cache
    # misses are in flight at once; the arithmetic then reads them in order
    offset = np.empty(total, np.float32)
    k = 0
    for i in range(n):
        for e in range(leg_lo[i], leg_hi[i]):
            out_camera[k] = camera[e]
            offset[k] = offset_s[e]
            out_speed[k] = speed_mps[e]
            k += 1
    k = 0
    for i in range(n):
        m = leg_hi[i] - leg_lo[i]
        if m == 0:
            continue
        depart = depart_s[i]
        slowdown = congestion[local_hour(depart, start_local_hour)]
        tour = _mix(_SEED ^ tour_key[i])
        for q in range(k, k + m):
            cam = out_camera[q]
            out_time[q] = np.int64(np.floor(depart + np.float64(offset[q]) * slowdown))
            out_vehicle[q] = vehicle[i]
            key = _mix(tour ^ camera_key[cam])
            bits = _mix(_mix(_mix(_SEED ^ key) ^ stream_key))
            noise = 1.0 + 0.08 * normal_table[np.int64(bits >> np.uint64(48))]
            speed = np.float64(out_speed[q]) / slowdown * noise
            out_speed[q] = np.float32(min(max(speed, 1.0), 60.0))
        k += m
    return out_time, out_camera, out_vehicle, out_speed


@numba.njit(cache=True, inline="always")
def search_right(cum, x, lo, hi):
    """``lo + np.searchsorted(cum[lo:hi], x, side="right")``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def group_tours_kernel(lo, kind, commuter, u_commute, counts, u_errand, weekday, skip, chained_share, cum_w, w,
                       heavy, through_kind, tour_camera, camera_only):
    """One group's tours of a day, commutes first then errands (vehicle order), as
    ``sim.traffic.day_tours`` lays them out; with ``camera_only``, only the tours that
    pass a camera (``tour_camera``), in the same order."""
    n = kind.size
    k = cum_w.size
    total = 0
    for i in range(n):
        total += 1 + counts[i]
    out_vehicle = np.empty(total, np.int64)
    out_type = np.empty(total, np.int64)
    out_ordinal = np.empty(total, np.int64)
    m = 0
    share = max(chained_share, 1e-12)
    for i in range(n):
        through = kind[i] == through_kind
        u = u_commute[i]
        if not (commuter[i] and kind[i] != heavy and (through or (weekday and u >= skip))):
            continue
        rest = (u - (0.0 if through else skip)) / (1.0 if through else 1 - skip)
        chained = rest < chained_share and not through
        place = min(search_right(cum_w, rest / share, 0, cum_w.size), k - 1)
        t = 1 + place if chained else 0
        if camera_only and not tour_camera[lo + i, t]:
            continue
        out_vehicle[m] = lo + i
        out_type[m] = t
        out_ordinal[m] = 0
        m += 1
    e = 0
    other = max(1 - chained_share, 1e-12)
    for i in range(n):
        for ordinal in range(1, counts[i] + 1):
            u = u_errand[e]
            e += 1
            chained = u < chained_share and k > 1
            x = u / share if chained else (u - chained_share) / other
            first = min(search_right(cum_w, x, 0, cum_w.size), k - 1)
            if chained:
                within = (x - (cum_w[first] - w[first])) / w[first]
                second = min(np.int64(within * (k - 1)), max(k - 2, 0))
                t = 1 + 2 * k + first * (k - 1) + second
            else:
                t = 1 + k + first
            if camera_only and not tour_camera[lo + i, t]:
                continue
            out_vehicle[m] = lo + i
            out_type[m] = t
            out_ordinal[m] = ordinal
            m += 1
    return out_vehicle[:m], out_type[:m], out_ordinal[:m]


@numba.njit(cache=True, inline="always")
def zone_pair(zone_block, zone_local, zone_block_size, origin, dest):
    """The pair id of (origin, dest) zones of one component (``sim.paths.ZonePaths.pair``)."""
    return zone_block[origin] + np.int64(zone_local[origin]) * zone_block_size[origin] + zone_local[dest]


@numba.njit(cache=True, nogil=True)
def tour_legs_kernel(vehicle, tour_type, keys, start_h, dwell_first, dwell_later, work_s, stops, legs,
                     anchor_zone, leg_segment, zone_block, zone_local, zone_block_size, pair_time_s, congestion,
                     start_local_hour, day0, leg_camera, camera_only):
    """The legs of the given tours, first legs of every tour, then second legs, then
    third (as ``sim.traffic.tour_legs`` lays them out): vehicle, zone pair, departure,
    tour key + leg number, checkpoint segment. ``start_h``: departure hour of each tour;
    ``dwell_first``/``dwell_later``: errand dwell after the first / a later stop (s);
    ``work_s``: time at work (s). With ``camera_only``, the legs that pass no checkpoint
    (``leg_camera``) are left out, the others in the same order (departure times still
    chain through every leg)."""
    # tour by tour (a vehicle's rows are fetched once for all its legs), the j-th leg into
    # the j-th block; the blocks are then put end to end
    n = vehicle.size
    out_vehicle = np.empty(3 * n, np.int32)
    out_pair = np.empty(3 * n, np.int64)
    out_depart = np.empty(3 * n, np.float64)
    out_key = np.empty(3 * n, np.uint64)
    out_segment = np.empty(3 * n, np.int64)
    count = np.zeros(3, np.int64)
    # the vehicles' rows first, in a short loop (many cache misses in flight at once)
    zone = np.empty((n, 4), np.int64)
    seg = np.empty((n, 3), np.int64)
    passes = np.zeros((n, 3), np.bool_)
    for i in range(n):
        t = tour_type[i]
        v = vehicle[i]
        for j in range(4):
            a = stops[t, j]
            if a >= 0:
                zone[i, j] = anchor_zone[v, a]
        for j in range(3):
            leg = legs[t, j]
            if leg >= 0:
                seg[i, j] = leg_segment[v, leg]
                passes[i, j] = leg_camera[v, leg]
    for i in range(n):
        t = tour_type[i]
        v = vehicle[i]
        start = day0 + start_h[i] * 3600
        for j in range(3):
            b = stops[t, j + 1]
            if b < 0:
                break
            origin = zone[i, j]
            dest = zone[i, j + 1]
            pair = zone_pair(zone_block, zone_local, zone_block_size, origin, dest)
            if not camera_only or passes[i, j]:
                at = j * n + count[j]
                out_vehicle[at] = v
                out_pair[at] = pair
                out_depart[at] = start
                out_key[at] = keys[i] + np.uint64(j)
                out_segment[at] = seg[i, j]
                count[j] += 1
            if j == 2:
                break
            if b == 1:
                dwell = work_s[i]
            else:
                dwell = dwell_first[i] if j == 0 else dwell_later[i]
            slowdown = congestion[local_hour(start, start_local_hour)]
            start = start + np.float64(pair_time_s[pair]) * slowdown + dwell
    total = count[0] + count[1] + count[2]
    vehicle_ = np.empty(total, np.int32)
    pair_ = np.empty(total, np.int64)
    depart_ = np.empty(total, np.float64)
    key_ = np.empty(total, np.uint64)
    segment_ = np.empty(total, np.int64)
    at = 0
    for j in range(3):
        for k in range(j * n, j * n + count[j]):
            vehicle_[at] = out_vehicle[k]
            pair_[at] = out_pair[k]
            depart_[at] = out_depart[k]
            key_[at] = out_key[k]
            segment_[at] = out_segment[k]
            at += 1
    return vehicle_, pair_, depart_, key_, segment_


@numba.njit(cache=True, nogil=True)
def vehicle_legs_kernel(anchor_zone, leg_anchors, tour_legs, zone_block, zone_local, zone_block_size, seg_key,
                        bucket_seg, seg_ptr, u_bits, bucket_bits, home_route_key, v_lo, v_hi, leg_segment, leg_camera,
                        tour_camera):
    """For vehicles ``v_lo:v_hi`` and each leg their tours can have: the checkpoint segment
    of the habitual route (``sim.traffic.leg_segments``: one route key for every leg from or
    to home, anchor 0) and whether it holds any checkpoint; and which tour types pass a
    camera (``tour_camera`` zeroed by the caller). Vehicles are independent, so blocks of
    them can run on threads of their own."""
    n_legs = leg_anchors.shape[0]
    last = seg_key.size - 1
    top = (np.int64(1) << u_bits) - 1
    for v in range(v_lo, v_hi):
        for leg in range(n_legs):
            origin = anchor_zone[v, leg_anchors[leg, 0]]
            dest = anchor_zone[v, leg_anchors[leg, 1]]
            pair = zone_pair(zone_block, zone_local, zone_block_size, origin, dest)
            route = home_route_key if leg_anchors[leg, 0] == 0 or leg_anchors[leg, 1] == 0 else np.uint64(pair)
            key = _mix(_mix(_SEED ^ np.uint64(v)) ^ route)
            u = np.float64(key >> np.uint64(11)) * (1.0 / 9007199254740992.0)
            grid = min(np.int64(u * 2.0**u_bits), top)
            query = (pair << 33) | grid
            seg = np.int64(bucket_seg[(pair << bucket_bits) | (grid >> (u_bits - bucket_bits))])
            while seg < last and seg_key[seg + 1] <= query:
                seg += 1
            leg_segment[v, leg] = seg
            leg_camera[v, leg] = seg_ptr[seg + 1] > seg_ptr[seg]
        for t in range(tour_legs.shape[0]):
            for j in range(tour_legs.shape[1]):
                leg = tour_legs[t, j]
                if leg >= 0 and leg_camera[v, leg]:
                    tour_camera[v, t] = True
