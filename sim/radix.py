"""A stable argsort of integer keys by least-significant-digit radix sort (numba).

numpy sorts 16-bit keys by radix but wider ones by timsort, which is slow on the tens of
millions of plate codes a month of reads holds. This sorts (key, index) pairs digit by
digit, carrying the keys along so that every pass reads its input in order.
"""

from __future__ import annotations

import numba
import numpy as np

_SMALL = 1 << 16  # below this many values numpy's own sort is as fast


@numba.njit(cache=True, nogil=True)
def _radix_argsort(rel, bits):
    n = rel.size
    passes = max(1, (bits + 10) // 11)
    digit_bits = max(1, (bits + passes - 1) // passes)
    buckets = 1 << digit_bits
    mask = np.uint64(buckets - 1)
    count = np.zeros((passes, buckets), np.int64)
    for i in range(n):
        k = rel[i]
        for p in range(passes):
            count[p, (k >> np.uint64(p * digit_bits)) & mask] += 1
    order = np.arange(n)
    keys = rel.copy()
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
    return order


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for integer arrays, faster on large ones."""
    values = np.asarray(values)
    if len(values) < _SMALL:
        return np.argsort(values, kind="stable")
    rel = (values.astype(np.int64) - np.int64(values.min())).astype(np.uint64)
    bits = int(rel.max()).bit_length()
    if bits == 0:
        return np.arange(len(values))
    return _radix_argsort(rel, bits)
