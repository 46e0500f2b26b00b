"""A stable argsort of integer keys by least-significant-digit radix sort (numba).

numpy sorts 16-bit keys by radix but wider ones by timsort, which is slow on the tens of
millions of plate codes a month of reads holds. This sorts (key, index) pairs digit by
digit, carrying the keys along so that every pass reads its input in order, and hands
back the sorted keys too (no gather afterwards).
"""

from __future__ import annotations

import numba
import numpy as np

_SMALL = 1 << 16  # below this many values numpy's own sort is as fast


@numba.njit(cache=True, nogil=True)
def _radix_sort(values):
    n = values.size
    lo = values[0]
    hi = values[0]
    for i in range(n):
        v = values[i]
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    keys = np.empty(n, np.uint64)
    for i in range(n):
        keys[i] = np.uint64(values[i] - lo)
    span = np.uint64(hi - lo)
    bits = 0
    while bits < 64 and (span >> np.uint64(bits)) > 0:
        bits += 1
    order = np.arange(n)
    if bits == 0:
        return values.copy(), order
    passes = (bits + 10) // 11
    digit_bits = (bits + passes - 1) // passes
    buckets = 1 << digit_bits
    mask = np.uint64(buckets - 1)
    count = np.zeros((passes, buckets), np.int64)
    for i in range(n):
        k = keys[i]
        for p in range(passes):
            count[p, (k >> np.uint64(p * digit_bits)) & mask] += 1
    order_out = np.empty(n, np.int64)
    keys_out = np.empty(n, np.uint64)
    for p in range(passes):
        total = 0
        for b in range(buckets):
            c = count[p, b]
            count[p, b] = total
            total += c
        shift = np.uint64(p * digit_bits)
        for i in range(n):
            k = keys[i]
            d = (k >> shift) & mask
            j = count[p, d]
            keys_out[j] = k
            order_out[j] = order[i]
            count[p, d] = j + 1
        order, order_out = order_out, order
        keys, keys_out = keys_out, keys
    out = np.empty(n, values.dtype)
    for i in range(n):
        out[i] = keys[i] + lo
    return out, order


def stable_sort(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted values, ``np.argsort(values, kind="stable")``) of an integer array."""
    values = np.ascontiguousarray(values)
    if len(values) < _SMALL:
        order = np.argsort(values, kind="stable")
        return values[order], order
    if values.dtype.kind == "u" or values.dtype.itemsize < 8:
        values = values.astype(np.int64)
    return _radix_sort(values)


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for integer arrays by sorting: numpy 2's hash-based unique
    takes about a second on a million plate codes, a sort some 20 ms."""
    values = np.sort(np.asarray(values).reshape(-1))
    if len(values) < 2:
        return values
    keep = np.empty(len(values), bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for integer arrays, faster on large ones."""
    return stable_sort(values)[1]
