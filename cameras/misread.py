"""The fast recognition path: per-condition character confusions and a no-read rate.

``MisreadModel`` is the seam: the simulator calls ``observe`` on whole batches of passes.
``ConfusionMisreadModel`` is the table-driven implementation; its tables come from the
image path's calibration artefact (``cameras calibrate``) when one is shipped, otherwise
from the built-in prior below (FACTS.md: about 10% plate misreads reported, IPVM,
unconfirmed; the confusable groups 0/O/D/Q, 1/I/L/7, 2/Z, 5/S, 8/B, 6/G).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from sim.plates import ALPHABET, BASE, PLATE_LEN
from sim.radix import distinct
from sim.random_streams import RandomStreams, keyed_uniforms, keyed_uniforms16

# Conditions the fast model distinguishes. A pass is "fast" above FAST_SPEED_MPS.
CONDITIONS: tuple[str, ...] = ("day", "day_fast", "night", "night_fast")
FAST_SPEED_MPS = 20.0

# The characters ALPR engines are reported to confuse (FACTS.md), then look-alike pairs
# the prior adds (assumption).
PUBLISHED_CONFUSABLE_GROUPS: tuple[str, ...] = ("0ODQ", "1IL7", "2Z", "5S", "8B", "6G")
CONFUSABLE_GROUPS: tuple[str, ...] = (*PUBLISHED_CONFUSABLE_GROUPS, "UV", "MN", "4A", "3E")


def condition_index(night: np.ndarray, speed_mps: np.ndarray) -> np.ndarray:
    """Map per-pass night flags and speeds to indices into CONDITIONS."""
    return (np.asarray(night, dtype=np.int8) * 2 + (np.asarray(speed_mps) > FAST_SPEED_MPS)).astype(np.int8)


@dataclass(frozen=True)
class Observation:
    """What the recogniser made of a batch of plates."""

    symbols: np.ndarray  # (n, PLATE_LEN) uint8 symbol indices read
    confidence: np.ndarray  # (n,) float32 in (0, 1)
    no_read: np.ndarray  # (n,) bool: the camera saw a vehicle but read no plate text


class MisreadModel(Protocol):
    """Turns true plate symbols into what a camera reads, for a whole batch at once."""

    name: str

    def observe(
        self,
        true_symbols: np.ndarray,
        night: np.ndarray,
        speed_mps: np.ndarray,
        keys: np.ndarray,
        streams: RandomStreams,
    ) -> Observation:
        """``keys`` are per-pass uint64 keys: draws must be a function of them only."""
        ...


@dataclass(frozen=True)
class ConfusionMisreadModel:
    """Character-level confusion tables per condition.

    ``p_char_error[c, s]``: chance that symbol ``s`` is misread under condition ``c``;
    ``confusion[c, s, :]``: what it is read as, given that it is misread (rows sum to 1,
    zero on the diagonal); ``p_no_read[c]``: chance of no plate text at all.
    """

    name: str
    conditions: tuple[str, ...]
    p_no_read: np.ndarray  # (C,)
    p_char_error: np.ndarray  # (C, BASE)
    confusion: np.ndarray  # (C, BASE, BASE)
    source: str = ""

    def __post_init__(self) -> None:
        n = len(self.conditions)
        if self.p_no_read.shape != (n,) or self.p_char_error.shape != (n, BASE) or self.confusion.shape != (n, BASE, BASE):
            raise ValueError(f"misread model {self.name!r}: table shapes do not match {n} conditions")
        if self.conditions != CONDITIONS:
            raise ValueError(f"misread model {self.name!r}: conditions {self.conditions} must be {CONDITIONS}")

    # -- the seam -------------------------------------------------------------------
    def observe(self, true_symbols, night, speed_mps, keys, streams) -> Observation:
        cond = condition_index(night, speed_mps)
        n = len(true_symbols)
        u_char = keyed_uniforms16(keys, streams.stream_key("misread/char"), PLATE_LEN)
        p_err = self.p_char_error[cond[:, None], true_symbols]
        wrong = (u_char < p_err) & (true_symbols != 0)
        symbols = true_symbols.copy()
        rows, cols = np.nonzero(wrong)
        if len(rows):
            u_sub = keyed_uniforms16(keys[rows], streams.stream_key("misread/substitute"), 1)[:, 0]
            cdf = np.cumsum(self.confusion[cond[rows], true_symbols[rows, cols]], axis=1)
            symbols[rows, cols] = np.minimum((u_sub[:, None] > cdf).sum(axis=1), BASE - 1).astype(np.uint8)
        u = keyed_uniforms(keys, streams.stream_key("misread/read"), 2)
        no_read = u[:, 0] < self.p_no_read[cond]
        errors = wrong.sum(axis=1)
        # Confidence falls with conditions and with each wrong character, with noise:
        # a reader is less sure of the plates it gets wrong, but not reliably so.
        base = 0.97 - 0.05 * (cond >= 2) - 0.02 * (cond % 2)
        confidence = np.clip(base - 0.06 * u[:, 1] - 0.12 * errors * u[:, 1] ** 0.5, 0.05, 0.999)
        return Observation(symbols, confidence.astype(np.float32), no_read) if n else Observation(
            symbols, np.empty(0, np.float32), np.empty(0, bool))

    # -- summaries --------------------------------------------------------------------
    def expected_plate_error(self, condition: str, pattern_symbols: np.ndarray) -> float:
        """Chance that a plate with these symbols is read with at least one wrong character."""
        c = self.conditions.index(condition)
        p = self.p_char_error[c, pattern_symbols[pattern_symbols > 0]]
        return float(1.0 - np.prod(1.0 - p))

    # -- persistence: a small JSON artefact -------------------------------------------
    def to_json(self) -> dict:
        entries = []
        for c in range(len(self.conditions)):
            for s in range(1, BASE):
                for t in np.nonzero(self.confusion[c, s] > 0)[0]:
                    entries.append([c, ALPHABET[s - 1], ALPHABET[t - 1], round(float(self.confusion[c, s, t]), 6)])
        return {
            "name": self.name,
            "source": self.source,
            "alphabet": ALPHABET,
            "conditions": list(self.conditions),
            "p_no_read": [round(float(x), 6) for x in self.p_no_read],
            "p_char_error": {ALPHABET[s - 1]: [round(float(self.p_char_error[c, s]), 6) for c in range(len(self.conditions))]
                             for s in range(1, BASE)},
            "confusion": entries,
        }

    @classmethod
    def from_json(cls, data: dict, where: str = "misread model") -> ConfusionMisreadModel:
        try:
            if data["alphabet"] != ALPHABET:
                raise ValueError(f"{where}: alphabet {data['alphabet']!r} is not {ALPHABET!r}")
            conditions = tuple(data["conditions"])
            n = len(conditions)
            p_char = np.zeros((n, BASE))
            for ch, values in data["p_char_error"].items():
                p_char[:, ALPHABET.index(ch) + 1] = values
            confusion = np.zeros((n, BASE, BASE))
            for c, src, dst, p in data["confusion"]:
                confusion[c, ALPHABET.index(src) + 1, ALPHABET.index(dst) + 1] = p
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ValueError(f"{where}: malformed misread tables ({exc})") from exc
        sums = confusion.sum(axis=2, keepdims=True)
        confusion = np.divide(confusion, sums, out=np.zeros_like(confusion), where=sums > 0)
        return cls(data.get("name", "calibrated"), conditions, np.asarray(data["p_no_read"], float), p_char,
                   confusion, data.get("source", ""))

    @classmethod
    def load(cls, path: str | Path) -> ConfusionMisreadModel:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read misread model ({exc})") from exc
        return cls.from_json(data, where=str(path))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")


def prior_misread_model() -> ConfusionMisreadModel:
    """The built-in prior: confusable groups from FACTS.md, rates giving ~10% plate misreads.

    Per-character error 0.9% (x1.8 for look-alike characters, x0.6 for others) by day,
    doubled at night, x1.4 when fast: about 8% of plates misread by day, 15% at night.
    """
    n = len(CONDITIONS)
    rate = np.array([0.009, 0.009 * 1.4, 0.018, 0.018 * 1.4])
    p_char = np.zeros((n, BASE))
    confusion = np.zeros((n, BASE, BASE))
    group_of = {ch: g for g in CONFUSABLE_GROUPS for ch in g}
    for s, ch in enumerate(ALPHABET, start=1):
        partners = [p for p in group_of.get(ch, "") if p != ch]
        # characters with look-alikes are misread about three times as often
        weight = 1.8 if partners else 0.6
        p_char[:, s] = rate * weight
        row = np.full(BASE, 0.1 / (BASE - 2))  # rare arbitrary substitutions
        row[0] = 0.0
        row[s] = 0.0
        for p in partners:
            row[ALPHABET.index(p) + 1] += 0.9 / len(partners)
        confusion[:, s] = row / row.sum()
    p_no_read = np.array([0.03, 0.05, 0.07, 0.10])
    return ConfusionMisreadModel("prior", CONDITIONS, p_no_read, p_char, confusion,
                                 "FACTS.md confusable groups; ~10% misread (IPVM, unconfirmed)")


def default_misread_model() -> MisreadModel:
    """The calibrated artefact shipped with the package if present, else the prior."""
    artefact = Path(__file__).with_name("data") / "misread_calibrated.json"
    if artefact.exists():
        return ConfusionMisreadModel.load(artefact)
    return prior_misread_model()


# ---------------------------------------------------------------------------------
# Summaries of a confusion structure, and misreads that land on real cars.


def _published_pairs() -> np.ndarray:
    """(BASE, BASE) bool: true and read symbol in one published confusable group."""
    group = np.full(BASE, -1)
    for g, chars in enumerate(PUBLISHED_CONFUSABLE_GROUPS):
        for ch in chars:
            group[ALPHABET.index(ch) + 1] = g
    same = (group[:, None] == group[None, :]) & (group[:, None] >= 0)
    np.fill_diagonal(same, False)
    return same


def confusable_share(substitutions: np.ndarray) -> float:
    """Share of substitutions (a (BASE, BASE) table: true symbol -> read symbol, counts or
    expected counts) whose two characters lie in one of the published confusable groups
    (0/O/D/Q, 1/I/L/7, 2/Z, 5/S, 8/B, 6/G; FACTS.md). NaN when there are none."""
    table = np.asarray(substitutions, float).copy()
    np.fill_diagonal(table, 0.0)
    total = table.sum()
    return float(table[_published_pairs()].sum() / total) if total > 0 else float("nan")


def top_confusions(substitutions: np.ndarray, n: int = 10) -> list[tuple[str, str, float]]:
    """The ``n`` commonest substitutions as (true, read, share of all substitutions)."""
    table = np.asarray(substitutions, float).copy()
    np.fill_diagonal(table, 0.0)
    table[0, :] = table[:, 0] = 0.0
    total = table.sum()
    if total <= 0:
        return []
    order = np.argsort(table, axis=None, kind="stable")[::-1][:n]
    rows, cols = np.unravel_index(order, table.shape)
    return [(ALPHABET[r - 1], ALPHABET[c - 1], float(table[r, c] / total))
            for r, c in zip(rows, cols, strict=True) if table[r, c] > 0]


def expected_substitutions(model: ConfusionMisreadModel, condition: str, occurrences: np.ndarray) -> np.ndarray:
    """(BASE, BASE) substitutions the fast model expects under ``condition`` given how often
    each symbol occurs (``occurrences``, (BASE,))."""
    c = model.conditions.index(condition)
    return model.p_char_error[c][:, None] * model.confusion[c] * np.asarray(occurrences, float)[:, None]


def misread_live_hits(true_codes: np.ndarray, read_codes: np.ndarray, live_codes: np.ndarray) -> np.ndarray:
    """(n,) bool: read ``i`` is a misread (not its true plate) that is another live plate.

    ``live_codes``: the plate codes of every car in the population (any order, duplicates
    allowed); such a misread points a search or a hotlist alert at an innocent car."""
    true_codes = np.asarray(true_codes, np.int64)
    read_codes = np.asarray(read_codes, np.int64)
    live = distinct(np.asarray(live_codes, np.int64))
    if not len(live):
        return np.zeros(len(read_codes), bool)
    at = np.minimum(np.searchsorted(live, read_codes), len(live) - 1)
    return (read_codes != true_codes) & (live[at] == read_codes)
