"""A live population of sequentially issued California plates, for counting misreads that
land on real cars (``cameras.misread.misread_live_hits``) in ``cameras evaluate``.

California issues standard plates in one sequence (1AAA000, 1AAA001, ... 1AAA999,
1AAB000, ...; letters without I, O, Q), so the plates on the road cluster in code space by
vintage, and a misread of one often spells another. The sequence and its assumptions are
the world's (``sim.plates.ca_issued_plates``), so that ``evaluate`` and a run count live
hits against the same kind of fleet.

``DEFAULT_LIVE_PLATES``: 1 M cars, the order of the vehicles living in Oakland and San
Francisco (0.6 to 0.9 M, FACTS.md) with their commuters; California has 35.7 M registered
vehicles (DMV 2024, FACTS.md) for a state-wide count.
"""

from __future__ import annotations

import numpy as np

from sim.plates import _LETTERS_NO_IOQ as CA_LETTERS
from sim.plates import ca_issued_plates, ca_sequence_plates

DEFAULT_LIVE_PLATES = 1_000_000

__all__ = ["CA_LETTERS", "DEFAULT_LIVE_PLATES", "ca_sequence_plates", "live_ca_plates"]


def live_ca_plates(rng: np.random.Generator, n: int = DEFAULT_LIVE_PLATES) -> np.ndarray:
    """Sorted unique codes of the plates on ``n`` cars (at most ``n``: two cars can draw
    the same plate, and one of them is dropped)."""
    if n < 1:
        raise ValueError(f"live plates: n={n} must be at least 1")
    return np.unique(ca_issued_plates(rng, n))
