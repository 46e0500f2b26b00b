"""Plate text as integers, and plate formats per issuing state.

A plate of up to ``PLATE_LEN`` characters over ``ALPHABET`` becomes one int64: base-37
digits, left-aligned and padded with 0 on the right. The code preserves lexicographic
order, so an exact search is a binary search and a known prefix is a range.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

PLATE_LEN = 8
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASE = len(ALPHABET) + 1  # 0 is the padding symbol
_SYMBOL = {ch: i for i, ch in enumerate(ALPHABET, start=1)}
PAD = 0

# byte value -> symbol index (0 = invalid/padding), for vectorised encoding
_BYTE_TO_SYMBOL = np.zeros(256, dtype=np.int64)
for _i, _c in enumerate(ALPHABET, start=1):
    _BYTE_TO_SYMBOL[ord(_c)] = _i
    _BYTE_TO_SYMBOL[ord(_c.lower())] = _i
_VALID_BYTES = _BYTE_TO_SYMBOL > 0
_SYMBOL_TO_BYTE = np.frombuffer(b" " + ALPHABET.encode(), dtype=np.uint8)
_SYMBOL_TO_TEXT = np.frombuffer(b"\0" + ALPHABET.encode(), dtype=np.uint8)  # padding ends the text
_POWERS = BASE ** np.arange(PLATE_LEN - 1, -1, -1, dtype=np.int64)


class PlateError(ValueError):
    """A plate string that cannot be encoded."""


def normalise(text: str) -> str:
    """Upper-case a plate and drop spaces and dashes, as readers and officers write them."""
    return "".join(ch for ch in text.upper() if ch not in " -·.")


def encode(text: str) -> int:
    """Encode one plate string; raises PlateError naming the bad value."""
    plate = normalise(text)
    if not 1 <= len(plate) <= PLATE_LEN:
        raise PlateError(f"plate {text!r}: length must be 1 to {PLATE_LEN} characters")
    bad = [ch for ch in plate if ch not in ALPHABET]
    if bad:
        raise PlateError(f"plate {text!r}: character {bad[0]!r} is not a letter or digit")
    # one plate in plain Python: numpy's per-call overhead was most of a service search's
    # cost; ``encode_symbols`` is the batch path and gives the same codes (tested)
    code = 0
    for ch in plate:
        code = code * BASE + _SYMBOL[ch]
    return code * BASE ** (PLATE_LEN - len(plate))


def symbols_of(plate: str) -> np.ndarray:
    """Symbol indices (uint8, length PLATE_LEN) of a normalised plate string."""
    raw = np.frombuffer(plate.encode("ascii").ljust(PLATE_LEN, b"\0"), dtype=np.uint8)
    return _BYTE_TO_SYMBOL[raw].astype(np.uint8)


def encode_many(plates: list[str] | np.ndarray) -> np.ndarray:
    """Vectorised encode of plate strings (already normalised) into int64 codes."""
    raw = np.asarray(plates, dtype=f"S{PLATE_LEN}")
    as_bytes = raw.view(np.uint8).reshape(len(raw), PLATE_LEN)
    if not (_VALID_BYTES[as_bytes] | (as_bytes == 0)).all():
        bad = next(p for p, row in zip(plates, as_bytes, strict=True)
                   if not (_VALID_BYTES[row] | (row == 0)).all())
        raise PlateError(f"plate {bad!r}: only letters and digits can be encoded")
    return encode_symbols(_BYTE_TO_SYMBOL[as_bytes])


def encode_symbols(symbols: np.ndarray) -> np.ndarray:
    """(n, PLATE_LEN) symbol indices -> (n,) int64 codes."""
    return symbols.astype(np.int64) @ _POWERS


_HALF_LEN = PLATE_LEN // 2
_HALF = BASE ** _HALF_LEN


@functools.cache
def _half_table() -> np.ndarray:
    """(BASE**4,) uint32: the four symbol bytes of every half-plate code, in memory order."""
    codes = np.arange(_HALF, dtype=np.int64)
    powers = BASE ** np.arange(_HALF_LEN - 1, -1, -1, dtype=np.int64)
    symbols = ((codes[:, None] // powers[None, :]) % BASE).astype(np.uint8)
    return symbols.view(np.uint32).ravel()


def decode_halves(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(n, 2) uint32 of ``table`` entries for each code's two halves (codes must be valid)."""
    hi, lo = np.divmod(codes, _HALF)
    out = np.empty((len(codes), 2), np.uint32)
    np.take(table, hi, out=out[:, 0])
    np.take(table, lo, out=out[:, 1])
    return out


def decode_symbols(codes: np.ndarray) -> np.ndarray:
    """(n,) int64 codes -> (n, PLATE_LEN) uint8 symbol indices."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) and (codes.min() < 0 or codes.max() >= BASE ** PLATE_LEN):
        return ((codes[:, None] // _POWERS[None, :]) % BASE).astype(np.uint8)
    # two table look-ups (half a plate each) instead of eight int64 divisions per code
    return decode_halves(codes, _half_table()).view(np.uint8).reshape(len(codes), PLATE_LEN)


@functools.cache
def _half_text_table() -> np.ndarray:
    return _SYMBOL_TO_TEXT[_half_table().view(np.uint8)].view(np.uint32)


def text_bytes(codes: np.ndarray) -> np.ndarray:
    """Codes as a numpy ``S8`` array of plate text (for files; no Python loop)."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) and (codes.min() < 0 or codes.max() >= BASE ** PLATE_LEN):
        return _SYMBOL_TO_TEXT[decode_symbols(codes)].view(f"S{PLATE_LEN}").ravel()
    return decode_halves(codes, _half_text_table()).view(f"S{PLATE_LEN}").ravel()


def decode(code: int) -> str:
    return decode_many(np.array([code], dtype=np.int64))[0]


def decode_many(codes: np.ndarray) -> list[str]:
    """Codes back to strings (a Python list: use for output, not in hot loops)."""
    chars = _SYMBOL_TO_BYTE[decode_symbols(codes)]
    return [row.tobytes().decode("ascii").rstrip() for row in chars]


def prefix_range(prefix: str) -> tuple[int, int]:
    """Half-open code range [lo, hi) of every plate starting with ``prefix``."""
    plate = normalise(prefix)
    if len(plate) > PLATE_LEN:
        raise PlateError(f"prefix {prefix!r} is longer than {PLATE_LEN} characters")
    lo = int(encode_symbols(symbols_of(plate)[None, :])[0]) if plate else 0
    width = int(BASE ** (PLATE_LEN - len(plate)))
    return lo, lo + width


# ---------------------------------------------------------------------------
# Formats: D digit, L letter, A letter or digit. Letters CA does not issue are left out.

_LETTERS_ALL = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS_NO_IOQ = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class PlateFormat:
    """One issuing state's standard passenger layout, e.g. California ``DLLLDDD``."""

    state: str
    pattern: str
    letters: str = _LETTERS_NO_IOQ

    def generate(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` plate codes of this format (duplicates possible; callers dedupe)."""
        symbols = np.zeros((n, PLATE_LEN), dtype=np.uint8)
        letter_symbols = np.array([ALPHABET.index(c) + 1 for c in self.letters], dtype=np.uint8)
        for k, slot in enumerate(self.pattern):
            if slot == "D":
                symbols[:, k] = rng.integers(1, 11, size=n, dtype=np.uint8)
            elif slot == "L":
                symbols[:, k] = letter_symbols[rng.integers(0, len(letter_symbols), size=n)]
            elif slot == "A":
                symbols[:, k] = rng.integers(1, BASE, size=n, dtype=np.uint8)
            else:
                symbols[:, k] = ALPHABET.index(slot) + 1  # literal character
        return encode_symbols(symbols)


# Standard passenger formats (public DMV descriptions); the first is California's.
PLATE_FORMATS: dict[str, PlateFormat] = {
    "CA": PlateFormat("CA", "DLLLDDD"),
    "NV": PlateFormat("NV", "DDDLDDD", _LETTERS_ALL),
    "OR": PlateFormat("OR", "DDDLLL", _LETTERS_ALL),
    "AZ": PlateFormat("AZ", "LLLDDDD", _LETTERS_ALL),
    "TX": PlateFormat("TX", "LLLDDDD", _LETTERS_NO_IOQ),
    "WA": PlateFormat("WA", "LLLDDDD", _LETTERS_ALL),
    "GA": PlateFormat("GA", "LLLDDDD", _LETTERS_ALL),
    "FL": PlateFormat("FL", "LLLLDD", _LETTERS_ALL),
    "NY": PlateFormat("NY", "LLLDDDD", _LETTERS_ALL),
}
STATES: tuple[str, ...] = tuple(PLATE_FORMATS)


# ---------------------------------------------------------------------------
# California issues standard plates in one sequence (1AAA000, 1AAA001, ... 1AAA999,
# 1AAB000, ...; letters without I, O, Q), so the plates on the road cluster in code space
# by vintage: a misread often lands on another live car's plate.

CA_SERIES = len(_LETTERS_NO_IOQ) ** 3 * 1000  # plates per leading digit
# Assumption: the 7-character sequence began at 1AAA000 in 1980 and reached the 9 series
# about 2022 (8 series x 12.2 M in ~42 years: ~2.3 M plates a year); the head at the
# start of 2026 is a quarter of the way through the 9 series.
CA_PLATES_PER_YEAR = 2_300_000
CA_HEAD_2026 = 8 * CA_SERIES + CA_SERIES // 4
# Assumption: plate ages (years since issue) of cars on the road are exponential with a
# mean of 15 years (plates stay with their car for life), and half of the plates issued in
# the last year are on the road in the modelled area's share of the fleet. Together they
# set how densely live plates fill the sequence: the density a misread meets.
CA_MEAN_PLATE_AGE_YEARS = 15.0
CA_LIVE_DENSITY_AT_HEAD = 0.5
CA_REGISTERED_VEHICLES = 35_700_000  # FACTS.md: DMV, January 2024


def ca_sequence_plates(index: np.ndarray) -> np.ndarray:
    """Codes of California sequential plates by their place in the issuing sequence."""
    index = np.asarray(index, np.int64)
    letters = np.array([ALPHABET.index(c) + 1 for c in _LETTERS_NO_IOQ], np.uint8)
    n_letters = len(_LETTERS_NO_IOQ)
    symbols = np.zeros((len(index), PLATE_LEN), np.uint8)
    series, rest = np.divmod(index, CA_SERIES)
    symbols[:, 0] = (series + 1) % 10 + 1  # digit d has symbol d + 1
    block, number = np.divmod(rest, 1000)
    symbols[:, 1] = letters[block // (n_letters * n_letters)]
    symbols[:, 2] = letters[(block // n_letters) % n_letters]
    symbols[:, 3] = letters[block % n_letters]
    symbols[:, 4] = number // 100 + 1
    symbols[:, 5] = (number // 10) % 10 + 1
    symbols[:, 6] = number % 10 + 1
    return encode_symbols(symbols)


def ca_issued_plates(rng: np.random.Generator, n: int, live_plates: int | None = None, head: int = CA_HEAD_2026,
                     mean_age_years: float = CA_MEAN_PLATE_AGE_YEARS,
                     density_at_head: float = CA_LIVE_DENSITY_AT_HEAD) -> np.ndarray:
    """``n`` live California plates, issued ``age`` years before the head of the sequence
    (ages exponential with the given mean); callers dedupe.

    ``live_plates`` is the whole population's count of California plates (default ``n``):
    the sequence is compressed so that they fill it near the head at ``density_at_head``,
    so a one-character misread lands on a live plate about as often as on the road.
    """
    live = max(int(live_plates or n), 1)
    per_year = live / (mean_age_years * density_at_head)
    age = rng.exponential(mean_age_years, n)
    index = np.clip(head - (age * per_year).astype(np.int64), 0, head - 1)
    return ca_sequence_plates(index)
