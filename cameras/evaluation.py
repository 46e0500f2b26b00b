"""Per-condition figures of the image path and of the fast model calibrated from it.

``evaluate`` photographs fresh plates under each condition, reads them (the reader is told
each plate's state, as in calibration), and reports per condition:

- exact-plate accuracy, no-read rate, misread rate among reads (image path);
- the confusion structure: ``confusable_share``, the share of substitutions (on readings
  of the right length) within the published confusable groups (FACTS.md;
  ``cameras.misread.confusable_share``), for the engine's readings (all plates, and
  standard plates alone: personalised plates have no format to resolve look-alikes) and
  for the classifier's own readings before the plate format; and the commonest
  substitutions;
- misreads that land on real cars: California standard plates are drawn from a live
  population of sequentially issued plates (``cameras.live_plates``), and
  ``misread_live_share`` is the share of misread California plates that spell another
  live plate
  (``cameras.misread.misread_live_hits``);
- the fast model's figures on the same plates (``fast_*``): its expected misread rate, its
  expected ``confusable_share``, and the live share of its misreads over many more plates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cameras.calibration import DEFAULT_SEED, count_errors, draw_samples, run_samples
from cameras.live_plates import DEFAULT_LIVE_PLATES, live_ca_plates
from cameras.misread import (
    CONDITIONS,
    ConfusionMisreadModel,
    confusable_share,
    default_misread_model,
    expected_substitutions,
    misread_live_hits,
    top_confusions,
)
from sim.plates import decode_symbols, encode_many, encode_symbols, symbols_of
from sim.random_streams import RandomStreams

FAST_MODEL_PLATES = 20_000  # plates per condition for the fast model's live-hit share
SPEED_MPS = {False: 12.0, True: 28.0}  # a pass's speed for the fast model: slow or fast


@dataclass(frozen=True)
class ConditionFigures:
    """One condition's figures (NaN where there is nothing to measure)."""

    condition: str
    samples: int
    exact: float
    no_read: float
    misread: float  # among reads
    substitutions: int  # character substitutions on readings of the right length
    confusable_share: float
    confusable_share_unformatted: float  # the classifier alone, before the plate format
    confusable_share_standard: float  # the engine on standard plates alone (no personalised ones)
    top_confusions: tuple[tuple[str, str, float], ...]  # (true, read, share of substitutions)
    ca_misreads: int  # misread California plates
    misread_live_hits: int  # ... that spell another live plate
    misread_live_share: float
    fast_misread: float = float("nan")
    fast_confusable_share: float = float("nan")
    fast_misread_live_share: float = float("nan")

    def to_json(self) -> dict:
        out = asdict(self)
        out["top_confusions"] = [[t, r, round(share, 4)] for t, r, share in self.top_confusions]
        # NaN (nothing to measure) becomes null: JSON has no NaN
        return {k: ((None if np.isnan(v) else round(v, 5)) if isinstance(v, float) else v) for k, v in out.items()}


def fast_model_live_share(model: ConfusionMisreadModel, condition: str, live: np.ndarray, seed: int,
                          n: int = FAST_MODEL_PLATES) -> float:
    """Share of the fast model's misreads of ``n`` live plates that spell another live plate."""
    rng = np.random.default_rng([seed, CONDITIONS.index(condition)])
    true_codes = live[rng.integers(len(live), size=n)]
    symbols = decode_symbols(true_codes)
    night = np.full(n, condition.startswith("night"))
    speed = np.full(n, SPEED_MPS[condition.endswith("fast")])
    keys = rng.integers(1, 2**63, size=n, dtype=np.uint64)
    obs = model.observe(symbols, night, speed, keys, RandomStreams(seed))
    read_codes = encode_symbols(obs.symbols)
    misread = (read_codes != true_codes) & ~obs.no_read
    if not misread.any():
        return float("nan")
    return float(misread_live_hits(true_codes, read_codes, live)[misread].mean())


def evaluate(samples: int = 2000, seed: int = DEFAULT_SEED + 1, conditions: tuple[str, ...] = ("clean", *CONDITIONS),
             workers: int | None = None, live_plates: int = DEFAULT_LIVE_PLATES,
             model: ConfusionMisreadModel | None = None) -> dict[str, ConditionFigures]:
    """The figures per condition on fresh pictures (see the module docstring)."""
    model = model if model is not None else default_misread_model()
    live = live_ca_plates(RandomStreams(seed).generator("evaluation/live-plates"), live_plates)
    per_condition = max(1, samples // len(conditions))
    readings = run_samples(draw_samples(per_condition, seed, conditions, ca_plates=live), workers)
    counts = count_errors(readings, conditions)
    unformatted = count_errors(readings.without_format(), conditions)
    standard = count_errors(readings.standard_plates(), conditions)
    s = readings.samples
    out = {}
    for k, condition in enumerate(conditions):
        rows = [i for i, c in enumerate(s.condition) if c == condition]
        rates = readings.rates(condition)
        ca_read = [i for i in rows if s.state[i] == "CA" and not readings.no_read[i]]
        misread_ca = [i for i in ca_read if readings.read[i] != s.text[i]]
        hits = 0
        if misread_ca:
            true_codes = encode_many([s.text[i] for i in misread_ca])
            read_codes = encode_many([readings.read[i] for i in misread_ca])  # at most max_chars = 8
            hits = int(misread_live_hits(true_codes, read_codes, live).sum())
        figures = dict(
            condition=condition, samples=rates["samples"], exact=rates["exact"], no_read=rates["no_read"],
            misread=rates["misread"], substitutions=int(counts.substitutions[k].sum()),
            confusable_share=confusable_share(counts.substitutions[k]),
            confusable_share_unformatted=confusable_share(unformatted.substitutions[k]),
            confusable_share_standard=confusable_share(standard.substitutions[k]),
            top_confusions=tuple(top_confusions(counts.substitutions[k], 8)),
            ca_misreads=len(misread_ca), misread_live_hits=hits,
            misread_live_share=hits / len(misread_ca) if misread_ca else float("nan"))
        if condition in model.conditions:
            read_rows = [i for i in rows if not readings.no_read[i]]
            if read_rows:
                figures["fast_misread"] = float(np.mean([
                    model.expected_plate_error(condition, symbols_of(s.text[i]).astype(np.int64))
                    for i in read_rows]))
            figures["fast_confusable_share"] = confusable_share(
                expected_substitutions(model, condition, counts.occurrences[k]))
            figures["fast_misread_live_share"] = fast_model_live_share(model, condition, live, seed)
        out[condition] = ConditionFigures(**figures)
    return out


def overall(figures: dict[str, ConditionFigures]) -> dict[str, float]:
    """Misread rates pooled over the fast model's four conditions (equal weights)."""
    rows = [f for c, f in figures.items() if c in CONDITIONS]
    if not rows:
        return {}
    return {"misread": float(np.mean([f.misread for f in rows])),
            "fast_misread": float(np.mean([f.fast_misread for f in rows])),
            "no_read": float(np.mean([f.no_read for f in rows]))}
