"""Named random streams from one root seed.

Two kinds of randomness, both derived from the root seed by *name*, never by position:

- ``RandomStreams.generator(name)``: a numpy Generator for structural draws (population,
  trips, placement). Adding a stream elsewhere never shifts this one.
- ``keyed_uniforms(keys, stream)``: counter-based draws for per-pass events (capture,
  misread, fingerprint errors). A draw is a hash of (root seed, stream, the pass's own
  key), so one camera's reads do not depend on which other cameras exist or in what order
  passes are processed. This is what keeps "add one camera, the others' reads are
  unchanged" true by construction.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def name_key(name: str) -> int:
    """A stable 64-bit key for a name (sha256, so it is the same on every machine)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, nogil=True)
def _splitmix_array(x):
    out = np.empty(x.size, np.uint64)
    flat = x.ravel()
    for i in range(flat.size):
        out[i] = _mix(flat[i])
    return out


@numba.njit(cache=True, nogil=True)
def _absorb_array(acc, value):
    for i in range(acc.size):
        acc[i] = _mix(acc[i] ^ value[i])


@numba.njit(cache=True, nogil=True)
def _absorb_scalar(acc, value):
    for i in range(acc.size):
        acc[i] = _mix(acc[i] ^ value)


@numba.njit(cache=True, nogil=True)
def _keyed_words(keys, stream_key, words):
    # combine_keys(keys, stream_key), then one splitmix64 per word (counter k * golden)
    out = np.empty((keys.size, words), np.uint64)
    golden = np.uint64(0x9E3779B97F4A7C15)
    for i in range(keys.size):
        base = _mix(_mix(np.uint64(0x243F6A8885A308D3) ^ keys[i]) ^ stream_key)
        if words == 1:
            out[i, 0] = _mix(base)
        else:
            for k in range(words):
                out[i, k] = _mix(base ^ (np.uint64(k + 1) * golden))
    return out


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, vectorised over uint64 arrays (wrapping arithmetic).

    Arrays go through one compiled loop (numba): a pass over the data instead of eight
    numpy passes with temporaries; scalars through numpy.
    """
    if np.ndim(x) == 0:
        with np.errstate(over="ignore"):
            z = np.add(x, _GOLDEN, dtype=np.uint64)
            z = (z ^ (z >> _SHIFTS[0])) * _MULTIPLIERS[0]
            z = (z ^ (z >> _SHIFTS[1])) * _MULTIPLIERS[1]
            return z ^ (z >> _SHIFTS[2])
    x = np.ascontiguousarray(x, dtype=np.uint64)
    return _splitmix_array(x).reshape(x.shape)


def combine_keys(*parts: np.ndarray | int) -> np.ndarray:
    """Hash several uint64 key columns (or scalars) into one key per row."""
    arrays = [np.asarray(p) for p in parts]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if not shape:  # all scalars
        acc = np.uint64(0x243F6A8885A308D3)
        for value in arrays:
            acc = splitmix64(acc ^ value.astype(np.uint64))
        return np.asarray(acc, dtype=np.uint64)
    acc = np.full(shape, 0x243F6A8885A308D3, np.uint64)
    flat = acc.reshape(-1)
    for value in arrays:
        if value.ndim == 0:
            _absorb_scalar(flat, np.uint64(value.astype(np.uint64)))
        else:
            value = np.ascontiguousarray(np.broadcast_to(value.astype(np.uint64, copy=False), shape)).reshape(-1)
            _absorb_array(flat, value)
    return acc


class RandomStreams:
    """One root seed, many independent named streams (Mesa-style owned generators)."""

    def __init__(self, root_seed: int):
        if not 0 <= int(root_seed) < 2**63:
            raise ValueError(f"seed {root_seed!r} must be a non-negative 63-bit integer")
        self.root_seed = int(root_seed)

    def generator(self, name: str) -> np.random.Generator:
        key = name_key(name)
        words = [self.root_seed & 0xFFFFFFFF, self.root_seed >> 32, key & 0xFFFFFFFF, key >> 32]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))

    def stream_key(self, name: str) -> np.uint64:
        """The key that ``keyed_uniforms`` mixes with each row's own key."""
        return combine_keys(np.uint64(self.root_seed), np.uint64(name_key(name)))[()]


def keyed_bits(keys: np.ndarray, stream_key: np.uint64, words: int = 1) -> np.ndarray:
    """(n, words) uint64 pseudo-random words, a pure function of each row's key."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64).reshape(-1)
    return _keyed_words(keys, np.uint64(stream_key), int(words))


def keyed_uniforms(keys: np.ndarray, stream_key: np.uint64, count: int = 1) -> np.ndarray:
    """(n, count) float64 uniforms in [0, 1), one row per key."""
    bits = keyed_bits(keys, stream_key, count)
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def keyed_uniforms16(keys: np.ndarray, stream_key: np.uint64, count: int) -> np.ndarray:
    """(n, count) float32 uniforms with 16-bit resolution: four per 64-bit hash, cheap."""
    words = (count + 3) // 4
    bits = keyed_bits(keys, stream_key, words)
    halves = bits.view(np.uint16).reshape(len(keys), words * 4)[:, :count]
    return (halves.astype(np.float32) + 0.5) * np.float32(1.0 / 65536.0)
