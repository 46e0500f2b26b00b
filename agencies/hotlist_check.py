"""The hotlist check of every read: a join of read plate codes with the hotlist's.

A hotlist holds thousands of plates and the measured period tens of millions of reads,
almost none of which hit. A binary search per read costs a dozen unpredictable branches;
here each read first looks at one bit of a small filter (a multiplicative hash of the
plate code, so nearby codes spread out), and only reads whose bit is set are searched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

FILTER_BITS = 20  # 2**20 bits: 128 KiB, in cache; a few thousand plates set under 1% of them
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, inline="always")
def _slot(code, shift):
    return np.uint64(code) * _GOLDEN >> np.uint64(shift)


@numba.njit(cache=True, nogil=True)
def _build_filter(plates, bits):
    words = np.zeros((1 << bits) >> 6, np.uint64)
    shift = 64 - bits
    for i in range(plates.size):
        s = _slot(plates[i], shift)
        words[s >> np.uint64(6)] |= np.uint64(1) << (s & np.uint64(63))
    return words


@numba.njit(cache=True, nogil=True)
def _hits(codes, time_s, from_s, plates, words, bits):
    shift = 64 - bits
    out = np.empty(codes.size, np.int64)
    m = 0
    for i in range(codes.size):
        code = codes[i]
        s = _slot(code, shift)
        if not (words[s >> np.uint64(6)] >> (s & np.uint64(63))) & np.uint64(1):
            continue
        if time_s[i] < from_s:
            continue
        lo = np.searchsorted(plates, code)
        if lo < plates.size and plates[lo] == code:
            out[m] = i
            m += 1
    return out[:m]


@dataclass(frozen=True)
class PlateFilter:
    """A sorted set of plate codes with its bit filter, built once per hotlist."""

    plates: np.ndarray  # int64, sorted
    words: np.ndarray  # uint64 filter words

    @classmethod
    def of(cls, plates: np.ndarray) -> PlateFilter:
        plates = np.ascontiguousarray(np.sort(np.asarray(plates, np.int64)))
        return cls(plates, _build_filter(plates, FILTER_BITS))

    def hits(self, codes: np.ndarray, time_s: np.ndarray, from_s: float) -> np.ndarray:
        """Ascending indices of the reads whose plate is in the set, made at ``from_s`` or later."""
        return _hits(np.ascontiguousarray(codes, np.int64), np.ascontiguousarray(time_s), float(from_s),
                     self.plates, self.words, FILTER_BITS)
