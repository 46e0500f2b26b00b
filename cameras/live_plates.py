"""A live population of sequentially issued California plates, for counting misreads that
land on real cars (``cameras.misread.misread_live_hits``) in ``cameras evaluate``.

California issues standard plates in one sequence (1AAA000, 1AAA001, ... 1AAA999,
1AAB000, ...; letters without I, O, Q), so the plates on the road cluster in code space by
vintage, and a misread of one often spells another. The assumptions are the world-scale
branch's (sim/plates.py there; replace this sample with ``sim.plates.ca_issued_plates``
once both are merged):

- assumption: the 7-character sequence began at 1AAA000 in 1980 and reached the 9 series
  about 2022 (about 2.3 M plates a year); its head at the start of 2026 is a quarter of
  the way through the 9 series;
- assumption: plate ages on the road are exponential with a mean of 9 years (California's
  fleet averages about 10 years);
- ``DEFAULT_LIVE_PLATES``: 1 M cars, the order of the vehicles living in Oakland and San
  Francisco (0.6 to 0.9 M, FACTS.md) with their commuters; California has 35.7 M
  registered vehicles (DMV 2024, FACTS.md) for a state-wide count.
"""

from __future__ import annotations

import numpy as np

from sim.plates import ALPHABET, PLATE_LEN, encode_symbols

CA_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
CA_SERIES = len(CA_LETTERS) ** 3 * 1000  # plates per leading digit
CA_PLATES_PER_YEAR = 2_300_000
CA_HEAD_2026 = 8 * CA_SERIES + CA_SERIES // 4
CA_MEAN_PLATE_AGE_YEARS = 9.0
DEFAULT_LIVE_PLATES = 1_000_000


def ca_sequence_plates(index: np.ndarray) -> np.ndarray:
    """Codes of California sequential plates by their place in the issuing sequence."""
    index = np.asarray(index, np.int64)
    letters = np.array([ALPHABET.index(c) + 1 for c in CA_LETTERS], np.uint8)
    n_letters = len(CA_LETTERS)
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


def live_ca_plates(rng: np.random.Generator, n: int = DEFAULT_LIVE_PLATES) -> np.ndarray:
    """Sorted unique codes of the plates on ``n`` cars (at most ``n``: two cars of the
    same vintage can draw the same plate, and one of them is dropped)."""
    if n < 1:
        raise ValueError(f"live plates: n={n} must be at least 1")
    age_years = rng.exponential(CA_MEAN_PLATE_AGE_YEARS, n)
    index = np.clip(CA_HEAD_2026 - (age_years * CA_PLATES_PER_YEAR).astype(np.int64), 0, CA_HEAD_2026 - 1)
    return np.unique(ca_sequence_plates(index))
