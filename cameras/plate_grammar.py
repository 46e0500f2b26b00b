"""Plate grammar: fit a reading to a state's plate format, as commercial engines do.

OpenALPR-style engines post-process a reading with regional patterns: where a format has
a digit, a shape between 0 and O is read 0; where it has a letter, O (or D, when the
state issues no O). ``apply_syntax`` does that on one plate's per-character
log-probabilities:

- state known (``state="CA"``): the reading is fitted to that state's format
  (``sim.plates.PLATE_FORMATS``), letters where it has letters (only those the state
  issues), digits where it has digits;
- state unknown (``state=None``): fitted to whichever state's format costs least;
- only ambiguous characters are resolved: a character can become only a look-alike the
  classifier itself gave some probability (``MIN_ALTERNATIVE_P``);
- when no candidate reading fits, the fit costs more than ``max_loss`` nats over the free
  reading, or no format has the reading's length, the plate is read as it is (a vanity or
  special plate, an out-of-area layout, or a confident misread).

``fit_format`` also says which format was used ("" for a free reading).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.plates import ALPHABET, PLATE_FORMATS


def _format_mask(state: str) -> np.ndarray:
    """(length, len(ALPHABET)) bool: the symbols a state's format allows in each slot."""
    fmt = PLATE_FORMATS[state]
    mask = np.zeros((len(fmt.pattern), len(ALPHABET)), bool)
    for k, slot in enumerate(fmt.pattern):
        allowed = {"D": "0123456789", "L": fmt.letters, "A": ALPHABET}.get(slot, slot)
        mask[k, [ALPHABET.index(c) for c in allowed]] = True
    return mask


@lru_cache(maxsize=1)
def _masks_by_length() -> dict[int, tuple[tuple[str, ...], np.ndarray]]:
    """Plate length -> (states, (formats, length, classes) masks), one per distinct format."""
    by_len: dict[int, tuple[list[str], list[np.ndarray]]] = {}
    seen = set()
    for state, fmt in PLATE_FORMATS.items():
        if (fmt.pattern, fmt.letters) in seen:
            continue
        seen.add((fmt.pattern, fmt.letters))
        states, masks = by_len.setdefault(len(fmt.pattern), ([], []))
        states.append(state)
        masks.append(_format_mask(state))
    return {n: (tuple(s), np.stack(m)) for n, (s, m) in by_len.items()}


@lru_cache(maxsize=32)
def _state_masks(state: str, length: int) -> np.ndarray | None:
    if state not in PLATE_FORMATS:
        raise ValueError(f"state {state!r} has no plate format; known: {', '.join(PLATE_FORMATS)}")
    mask = _format_mask(state)
    return mask[None] if len(mask) == length else None


def format_length(state: str) -> int:
    """Characters on a standard plate of ``state``."""
    if state not in PLATE_FORMATS:
        raise ValueError(f"state {state!r} has no plate format; known: {', '.join(PLATE_FORMATS)}")
    return len(PLATE_FORMATS[state].pattern)


@lru_cache(maxsize=1)
def format_lengths() -> frozenset[int]:
    """Characters on the standard plates of every known state."""
    return frozenset(len(fmt.pattern) for fmt in PLATE_FORMATS.values())


# A character may be changed by the format only to a look-alike the classifier itself
# gave at least this probability (assumption; the analogue of OpenALPR's
# postprocess_min_confidence, 65%, under which a character is not a candidate:
# config/openalpr.conf.defaults). Like OpenALPR's default must_match_pattern = 0, a
# reading no candidate fits is returned as it is.
MIN_ALTERNATIVE_P = 0.1


def fit_format(log_p: np.ndarray, max_loss: float, state: str | None = None,
               min_alternative_p: float = MIN_ALTERNATIVE_P) -> tuple[np.ndarray, str]:
    """Labels for one plate's (n, classes) log-probabilities and the state whose format
    they were fitted to ("" when read freely). See the module docstring."""
    free = log_p.argmax(axis=1)
    if state is not None:
        masks, states = _state_masks(state, len(log_p)), (state,)
    else:
        states, masks = _masks_by_length().get(len(log_p), ((), None))
    if masks is None:
        return free, ""
    candidates = log_p >= np.log(min_alternative_p)
    candidates[np.arange(len(free)), free] = True
    constrained = np.where(masks & candidates[None], log_p[None], -np.inf)
    totals = constrained.max(axis=2).sum(axis=1)  # (formats,)
    k = int(np.argmax(totals))
    if not np.isfinite(totals[k]) or log_p.max(axis=1).sum() - totals[k] > max_loss:
        return free, ""  # a vanity plate, an out-of-area layout, or a confident misread
    return constrained[k].argmax(axis=1), states[k]


def apply_syntax(log_p: np.ndarray, max_loss: float, state: str | None = None,
                 min_alternative_p: float = MIN_ALTERNATIVE_P) -> np.ndarray:
    """Labels only (see ``fit_format``)."""
    return fit_format(log_p, max_loss, state, min_alternative_p)[0]
