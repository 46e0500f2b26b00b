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

import numpy as np

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def name_key(name: str) -> int:
    """A stable 64-bit key for a name (sha256, so it is the same on every machine)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, vectorised over uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = np.add(x, _GOLDEN, dtype=np.uint64)
        if np.ndim(z) == 0:
            z = (z ^ (z >> _SHIFTS[0])) * _MULTIPLIERS[0]
            z = (z ^ (z >> _SHIFTS[1])) * _MULTIPLIERS[1]
            return z ^ (z >> _SHIFTS[2])
        # in place with one scratch array: this runs on every pass, several times
        tmp = np.right_shift(z, _SHIFTS[0])
        np.bitwise_xor(z, tmp, out=z)
        np.multiply(z, _MULTIPLIERS[0], out=z)
        np.right_shift(z, _SHIFTS[1], out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        np.multiply(z, _MULTIPLIERS[1], out=z)
        np.right_shift(z, _SHIFTS[2], out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        return z


def combine_keys(*parts: np.ndarray | int) -> np.ndarray:
    """Hash several uint64 key columns (or scalars) into one key per row."""
    acc = np.uint64(0x243F6A8885A308D3)
    with np.errstate(over="ignore"):
        for part in parts:
            value = np.asarray(part).astype(np.uint64, copy=False)
            acc = splitmix64(acc ^ value)
    return np.asarray(acc, dtype=np.uint64)


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
    base = combine_keys(keys, stream_key)
    if words == 1:
        return splitmix64(base)[:, None]
    with np.errstate(over="ignore"):
        counters = np.arange(1, words + 1, dtype=np.uint64) * _GOLDEN
        return splitmix64(base[:, None] ^ counters[None, :])


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
