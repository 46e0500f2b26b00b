"""Capture with the confusion-table misread model in one compiled pass (numba).

The same draws and the same arithmetic as ``cameras.capture.capture`` followed by
``ConfusionMisreadModel.observe`` (a test holds the two equal, byte for byte): each pass's
key, capture, character errors and substitutions, no-read, confidence and fingerprint
errors are computed while the pass is in cache, instead of a dozen numpy passes over the
batch with their temporaries. Float widths follow numpy's: speeds are float32, so the
speed loss is float32 arithmetic; character uniforms are float32 on a 2**-16 grid.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.plates import BASE, PLATE_LEN
from sim.random_streams import _mix

_SEED = np.uint64(0x243F6A8885A308D3)  # combine_keys' starting value
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_U53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, inline="always")
def _base(key, stream):
    return _mix(_mix(_SEED ^ key) ^ stream)


@numba.njit(cache=True, inline="always")
def _u64(word):
    return np.float64(word >> np.uint64(11)) * _U53


@numba.njit(cache=True, inline="always")
def _u16(word, half):
    h = (word >> np.uint64(16 * half)) & np.uint64(0xFFFF)
    return (np.float32(h) + np.float32(0.5)) * np.float32(1.0 / 65536.0)


@numba.njit(cache=True, inline="always")
def _noisy(true, u_err, u_pick, p_err, k):
    if u_err < p_err:
        return np.uint8((np.int64(true) + 1 + np.int64(u_pick * (k - 1))) % k)
    return np.uint8(true)


@numba.njit(cache=True, nogil=True)
def capture_kernel(time_s, camera, vehicle, speed, camera_key, plate_symbols, make, colour, body,
                   rates, night_hours, start_local_hour, streams, p_no_read, p_char_error, confusion_cdf,
                   categories, powers):
    """Indices of the passes that became reads, with their plate codes, confidences and
    observed make, colour and body; and the number of no-reads.

    ``rates``: p_capture_day, p_capture_night, make, colour and body error, fast speed,
    capture loss per m/s (float64); ``night_hours``: (from, until); ``streams``: the
    capture, misread/char, misread/substitute, misread/read and fingerprint keys.
    """
    n = time_s.size
    out_index = np.empty(n, np.int64)
    out_plate = np.empty(n, np.int64)
    out_conf = np.empty(n, np.float32)
    out_make = np.empty(n, np.uint8)
    out_colour = np.empty(n, np.uint8)
    out_body = np.empty(n, np.uint8)
    # each pass's vehicle rows, gathered in a short loop first (many cache misses in
    # flight at once), so that the long loop below reads them in order
    symbols = np.empty((n, PLATE_LEN), np.uint8)
    attrs = np.empty((n, 3), np.uint8)
    for i in range(n):
        v = vehicle[i]
        for j in range(PLATE_LEN):
            symbols[i, j] = plate_symbols[v, j]
        attrs[i, 0] = make[v]
        attrs[i, 1] = colour[v]
        attrs[i, 2] = body[v]
    m = 0
    no_reads = 0
    for i in range(n):
        t = time_s[i]
        key = _mix(_mix(_mix(_SEED ^ camera_key[camera[i]]) ^ np.uint64(vehicle[i])) ^ np.uint64(t))
        hour = (t / 3600.0 + start_local_hour) % 24
        night = hour >= night_hours[0] or hour < night_hours[1]
        s = speed[i]
        over = s - np.float32(rates[5])
        if over < np.float32(0.0):
            over = np.float32(0.0)
        loss = np.float32(rates[6]) * over
        p = (rates[1] if night else rates[0]) - np.float64(loss)
        p = min(max(p, 0.0), 1.0)
        if not _u64(_mix(_base(key, streams[0]))) < p:
            continue
        cond = (2 if night else 0) + (1 if s > np.float32(20.0) else 0)
        base = _base(key, streams[1])
        w0 = _mix(base ^ _GOLDEN)
        w1 = _mix(base ^ (np.uint64(2) * _GOLDEN))
        v = vehicle[i]
        errors = 0
        code = np.int64(0)
        cdf_u = np.float32(-1.0)
        for j in range(PLATE_LEN):
            sym = symbols[i, j]
            uc = _u16(w0, j) if j < 4 else _u16(w1, j - 4)
            if sym != 0 and uc < p_char_error[cond, sym]:
                errors += 1
                if cdf_u < 0:
                    cdf_u = _u16(_mix(_base(key, streams[2])), 0)
                read = 0
                for b in range(BASE):
                    if cdf_u > confusion_cdf[cond, sym, b]:
                        read += 1
                sym = min(read, BASE - 1)
            code += np.int64(sym) * powers[j]
        base = _base(key, streams[3])
        u0 = _u64(_mix(base ^ _GOLDEN))
        u1 = _u64(_mix(base ^ (np.uint64(2) * _GOLDEN)))
        if u0 < p_no_read[cond]:
            no_reads += 1
            continue
        level = 0.97 - 0.05 * (1.0 if cond >= 2 else 0.0) - 0.02 * (cond % 2)
        conf = level - 0.06 * u1 - 0.12 * errors * np.sqrt(u1)
        out_conf[m] = np.float32(min(max(conf, 0.05), 0.999))
        base = _base(key, streams[4])
        out_make[m] = _noisy(attrs[i, 0], _u64(_mix(base ^ _GOLDEN)), _u64(_mix(base ^ (np.uint64(2) * _GOLDEN))),
                             rates[2], categories[0])
        out_colour[m] = _noisy(attrs[i, 1], _u64(_mix(base ^ (np.uint64(3) * _GOLDEN))),
                               _u64(_mix(base ^ (np.uint64(4) * _GOLDEN))), rates[3], categories[1])
        out_body[m] = _noisy(attrs[i, 2], _u64(_mix(base ^ (np.uint64(5) * _GOLDEN))),
                             _u64(_mix(base ^ (np.uint64(6) * _GOLDEN))), rates[4], categories[2])
        out_index[m] = i
        out_plate[m] = code
        m += 1
    return (out_index[:m], out_plate[:m], out_conf[:m], out_make[:m], out_colour[:m], out_body[:m],
            no_reads)
