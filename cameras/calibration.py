"""Calibrate the fast misread model from the image path: render, read, count.

``run_samples`` photographs random plates under each condition (``cameras.imaging``
profiles) and reads them back (``cameras.recogniser``); ``estimate_model`` turns the
readings into per-condition character confusion tables and no-read rates, in the
``ConfusionMisreadModel`` the simulator uses for every read. ``calibrate`` does both and
``write_artefact`` ships the result as ``cameras/data/misread_calibrated.json``
(``alprsim cameras calibrate`` regenerates it).

How the tables are estimated (per condition c):

- ``p_no_read[c]``: share of samples the reader returned no text for;
- the reader is told each plate's state (``STATE_KNOWN``), as an engine that recognises
  the state is, so that the plate format resolves ambiguous characters;
- readings are aligned to the truth (edit distance); a true character that was replaced
  or dropped is an error of that character; substitutions (what a character was read as)
  are counted only on readings of the right length (a split or merged blob is a
  segmentation error, not a look-alike); ``p_char_error[c, s]`` is its error share,
  shrunk toward the condition's mean rate with ``SHRINK_CHARS`` pseudo-occurrences
  (letters a state does not issue are rare);
- ``confusion[c, s]``: what ``s`` was read as, given an error: this condition's counts,
  plus the counts pooled over conditions (weight ``POOL_WEIGHT``), plus the FACTS.md
  look-alike prior (weight ``PRIOR_WEIGHT``), so that rare characters get sensible rows;
- finally the character rates of a condition are scaled by one factor so that the fast
  model's plate misread rate on the same plates equals the image path's. Errors cluster
  on bad pictures (a blurred plate loses several characters) while the fast model draws
  characters independently: matching the plate-level rate, which is what makes false
  hits and missed hits, is the honest choice; the character rates it implies are lower
  than the image path's.

Condition parameters are the profiles in ``cameras.imaging.CONDITION_PROFILES``, chosen so
that day reads land near the ~10% plate errors reported for deployed engines (FACTS.md,
IPVM, unconfirmed) and night reads are worse; see that module's table.

The plates photographed are those cameras see (``draw_samples``): California standard
plates, out-of-state plates (``OUT_OF_STATE_SHARE``) and California personalised plates
(``PERSONALISED_SHARE``), whose characters sit anywhere, so that no plate format resolves
their look-alikes.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import brentq

from cameras.imaging import CLEAN, RenderParams, render_plate, sample_params
from cameras.misread import CONDITIONS, ConfusionMisreadModel, prior_misread_model
from cameras.recogniser import PlateRecogniser, default_recogniser
from sim.plates import ALPHABET, BASE, PLATE_FORMATS, decode_many, symbols_of
from sim.population import OUT_OF_STATE_SHARES, PopulationSpec
from sim.random_streams import RandomStreams

ARTEFACT = Path(__file__).with_name("data") / "misread_calibrated.json"
DEFAULT_SEED = 20250820
SHRINK_CHARS = 30.0
POOL_WEIGHT = 5.0
PRIOR_WEIGHT = 1.0
# The plate mix cameras see. Out-of-state plates: the world's default share among resident
# cars (sim.population; assumption there). Personalised (vanity) and special-interest
# plates: 1.03 M of about 32 M California vehicles in 2010 (DMV figure reported by the San
# Diego Union-Tribune, 24 Aug 2010; not in FACTS.md), about 3%; taken as today's share
# (assumption), all drawn as personalised texts.
OUT_OF_STATE_SHARE = PopulationSpec.out_of_state_plate_share
PERSONALISED_SHARE = 0.03
# A personalised plate's text (assumption): 4 to 7 characters (California allows 2 to 7;
# the reader needs 4), each a letter (any of 26) three times in four, else a digit.
PERSONALISED_LENGTHS = (4, 5, 6, 7)
PERSONALISED_LETTER_SHARE = 0.75
STATE_KNOWN = True


@dataclass(frozen=True)
class Samples:
    """What to photograph: one row per sample (plate text, state, condition, seed)."""

    text: tuple[str, ...]
    state: tuple[str, ...]
    condition: tuple[str, ...]
    seed: np.ndarray  # uint64, the picture's own seed
    personalised: tuple[bool, ...] = ()  # a personalised plate (no format); empty: none are

    def __len__(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class SampleReadings:
    """The image path's results for ``Samples`` (aligned by row)."""

    samples: Samples
    read: tuple[str, ...]  # "" for a no-read
    no_read: np.ndarray  # bool
    confidence: np.ndarray  # float32
    unformatted: tuple[str, ...] = ()  # the classifier's readings before the plate format

    def without_format(self) -> SampleReadings:
        """The same samples as the classifier read them before the plate format."""
        return replace(self, read=self.unformatted or self.read)

    def standard_plates(self) -> SampleReadings:
        """Only the samples of standard (not personalised) plates."""
        s = self.samples
        if not any(s.personalised):
            return self
        rows = [i for i, own in enumerate(s.personalised) if not own]

        def pick(values: tuple) -> tuple:
            return tuple(values[i] for i in rows) if values else values

        kept = Samples(pick(s.text), pick(s.state), pick(s.condition), s.seed[rows], pick(s.personalised))
        return SampleReadings(kept, pick(self.read), self.no_read[rows], self.confidence[rows], pick(self.unformatted))

    def rates(self, condition: str) -> dict[str, float]:
        """Exact-plate accuracy, no-read rate and misread rate (among reads) for one condition."""
        rows = [i for i, c in enumerate(self.samples.condition) if c == condition]
        if not rows:
            return {"samples": 0, "exact": float("nan"), "no_read": float("nan"), "misread": float("nan")}
        exact = sum(self.read[i] == self.samples.text[i] for i in rows)
        no_read = int(self.no_read[rows].sum())
        read = len(rows) - no_read
        return {"samples": len(rows), "exact": exact / len(rows), "no_read": no_read / len(rows),
                "misread": (read - exact) / read if read else float("nan")}


def personalised_texts(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` personalised plate texts (see ``PERSONALISED_LENGTHS``; letters and digits anywhere)."""
    lengths = rng.choice(PERSONALISED_LENGTHS, size=n)
    letters = np.array(list(ALPHABET[10:]))
    digits = np.array(list(ALPHABET[:10]))
    out = []
    for length in lengths:
        is_letter = rng.random(length) < PERSONALISED_LETTER_SHARE
        chars = np.where(is_letter, letters[rng.integers(0, 26, length)], digits[rng.integers(0, 10, length)])
        out.append("".join(chars))
    return out


def draw_samples(per_condition: int, seed: int = DEFAULT_SEED, conditions: tuple[str, ...] = CONDITIONS,
                 out_of_state_share: float = OUT_OF_STATE_SHARE, personalised_share: float = PERSONALISED_SHARE,
                 ca_plates: np.ndarray | None = None) -> Samples:
    """Random plates in the mix cameras see: out-of-state plates (``out_of_state_share``,
    states by their share in traffic), California personalised plates
    (``personalised_share`` of the California ones), the rest California standard plates,
    drawn from ``ca_plates`` (codes of live plates) when given, else at random in
    California's format."""
    rng = RandomStreams(seed).generator("calibration/samples")
    others = list(OUT_OF_STATE_SHARES)
    weights = np.array([OUT_OF_STATE_SHARES[s] for s in others])
    texts, states, conds, personal = [], [], [], []
    for condition in conditions:
        pick = np.where(rng.random(per_condition) >= out_of_state_share, -1,
                        rng.choice(len(others), size=per_condition, p=weights / weights.sum()))
        vanity = rng.random(per_condition) < personalised_share
        for k, own in zip(pick, vanity, strict=True):
            state = "CA" if k < 0 else others[k]
            own = bool(own and state == "CA")
            if own:
                texts.append(personalised_texts(rng, 1)[0])
            elif state == "CA" and ca_plates is not None:
                texts.append(decode_many(ca_plates[rng.integers(len(ca_plates), size=1)])[0])
            else:
                texts.append(decode_many(PLATE_FORMATS[state].generate(rng, 1))[0])
            states.append(state)
            conds.append(condition)
            personal.append(own)
    seeds = rng.integers(0, 2**63, size=len(texts), dtype=np.uint64)
    return Samples(tuple(texts), tuple(states), tuple(conds), seeds, tuple(personal))


def _picture_params(condition: str, rng: np.random.Generator) -> RenderParams:
    return CLEAN if condition == "clean" else sample_params(condition, rng)


def render_sample(samples: Samples, i: int, colour: bool = False) -> np.ndarray:
    """The picture of sample ``i`` (grey unless ``colour``); a pure function of the row."""
    rng = np.random.default_rng(int(samples.seed[i]))
    return render_plate(samples.text[i], _picture_params(samples.condition[i], rng), rng, samples.state[i], colour)


_WORKER_READER: PlateRecogniser | None = None


def _init_worker(reader: PlateRecogniser) -> None:
    global _WORKER_READER
    cv2.setNumThreads(1)  # one process per core: no threads inside
    _WORKER_READER = reader


def _read_rows(args: tuple[Samples, int, int, bool]) -> tuple[list[str], list[bool], list[float], list[str]]:
    samples, lo, hi, state_known = args
    reader = _WORKER_READER or default_recogniser()
    states = list(samples.state[lo:hi]) if state_known else None
    readings = reader.read_many([render_sample(samples, i) for i in range(lo, hi)], states)
    return ([r.text for r in readings], [r.no_read for r in readings], [r.confidence for r in readings],
            [r.unformatted for r in readings])


def run_samples(samples: Samples, workers: int | None = None, chunk: int = 250,
                state_known: bool = STATE_KNOWN) -> SampleReadings:
    """Render and read every sample; ``workers`` processes (default: CPUs, at most 4).
    With ``state_known`` the reader is told each plate's issuing state (its format then
    resolves ambiguous characters), as an engine that recognises the state is.

    Results do not depend on ``workers``: every picture comes from its own seed. Worker
    processes are spawned, so a script calling this with ``workers > 1`` needs the usual
    ``if __name__ == "__main__":`` guard."""
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    jobs = [(samples, lo, min(lo + chunk, len(samples)), state_known) for lo in range(0, len(samples), chunk)]
    reader = default_recogniser()
    if workers > 1 and len(jobs) > 1:
        # fresh interpreters (forking a process whose OpenCV and BLAS thread pools are
        # running can deadlock), handed the reader so that none rebuilds the glyph bank
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(reader,)) as pool:
            parts = list(pool.map(_read_rows, jobs))
    else:
        parts = [_read_rows(job) for job in jobs]
    read = tuple(t for p in parts for t in p[0])
    no_read = np.array([x for p in parts for x in p[1]], bool)
    confidence = np.array([x for p in parts for x in p[2]], np.float32)
    return SampleReadings(samples, read, no_read, confidence, tuple(t for p in parts for t in p[3]))


# ---------------------------------------------------------------------------------
# Counting errors.


def align(truth: str, read: str) -> list[tuple[str, str]]:
    """Edit-distance alignment: (true char, read char) pairs; "" marks a drop or an insert."""
    n, m = len(truth), len(read)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (truth[i - 1] != read[j - 1]))
    pairs: list[tuple[str, str]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (truth[i - 1] != read[j - 1]):
            pairs.append((truth[i - 1], read[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((truth[i - 1], ""))
            i -= 1
        else:
            pairs.append(("", read[j - 1]))
            j -= 1
    return pairs[::-1]


@dataclass(frozen=True)
class ErrorCounts:
    """Per condition: character occurrences, errors, substitutions; plate counts."""

    occurrences: np.ndarray  # (C, BASE)
    errors: np.ndarray  # (C, BASE): replaced or dropped
    substitutions: np.ndarray  # (C, BASE, BASE)
    plates_read: np.ndarray  # (C,)
    plates_misread: np.ndarray  # (C,)
    no_reads: np.ndarray  # (C,)
    samples: np.ndarray  # (C,)


def count_errors(readings: SampleReadings, conditions: tuple[str, ...] = CONDITIONS) -> ErrorCounts:
    c_n = len(conditions)
    occ, err = np.zeros((c_n, BASE)), np.zeros((c_n, BASE))
    sub = np.zeros((c_n, BASE, BASE))
    read, mis, nr, total = (np.zeros(c_n) for _ in range(4))
    index = {ch: k + 1 for k, ch in enumerate(ALPHABET)}
    for i, condition in enumerate(readings.samples.condition):
        if condition not in conditions:
            continue
        c = conditions.index(condition)
        total[c] += 1
        if readings.no_read[i]:
            nr[c] += 1
            continue
        truth, got = readings.samples.text[i], readings.read[i]
        read[c] += 1
        mis[c] += truth != got
        # a reading of another length is a segmentation error (a character split, merged
        # or lost): its errors count in the rates, but its aligned pairs are not look-alikes
        same_length = len(got) == len(truth)
        for t, r in align(truth, got) if truth != got else ((ch, ch) for ch in truth):
            if not t:
                continue  # an inserted character: counted in the plate-level rate only
            occ[c, index[t]] += 1
            if r != t:
                err[c, index[t]] += 1
                if r and same_length:
                    sub[c, index[t], index[r]] += 1
    return ErrorCounts(occ, err, sub, read, mis, nr, total)


def _fit_scale(p_char: np.ndarray, plates: np.ndarray, target: float) -> float:
    """Factor k so that mean(1 - prod(1 - k p)) over the plates equals ``target``."""
    per_plate = p_char[plates]  # (n, L), zero for padding
    per_plate[plates == 0] = 0.0

    def rate(k: float) -> float:
        return float(np.mean(1 - np.prod(1 - np.minimum(k * per_plate, 0.999), axis=1))) - target

    if target <= 0 or rate(0.0) >= 0:
        return 0.0
    hi = 1.0
    while rate(hi) < 0 and hi < 1e4:
        hi *= 2
    return brentq(rate, 0.0, hi, xtol=1e-6) if rate(hi) >= 0 else hi


def estimate_model(readings: SampleReadings, name: str = "calibrated", source: str = "") -> ConfusionMisreadModel:
    """The fast model's tables from image-path readings (see the module docstring)."""
    counts = count_errors(readings)
    prior = prior_misread_model()
    c_n = len(CONDITIONS)
    p_char = np.zeros((c_n, BASE))
    confusion = np.zeros((c_n, BASE, BASE))
    pooled = counts.substitutions.sum(axis=0)
    pooled_rows = pooled / np.maximum(pooled.sum(axis=1, keepdims=True), 1)
    for c, condition in enumerate(CONDITIONS):
        mean_rate = counts.errors[c].sum() / max(counts.occurrences[c].sum(), 1)
        p_char[c] = (counts.errors[c] + SHRINK_CHARS * mean_rate) / (counts.occurrences[c] + SHRINK_CHARS)
        p_char[c, 0] = 0.0
        rows = counts.substitutions[c] + POOL_WEIGHT * pooled_rows + PRIOR_WEIGHT * prior.confusion[c]
        np.fill_diagonal(rows, 0.0)
        rows[:, 0] = 0.0
        confusion[c] = rows / np.maximum(rows.sum(axis=1, keepdims=True), 1e-12)
        confusion[c, 0] = 0.0
        # match the plate-level misread rate on the plates that were read
        read_rows = [i for i, cond in enumerate(readings.samples.condition)
                     if cond == condition and not readings.no_read[i]]
        if read_rows and counts.plates_read[c] > 0:
            plates = np.stack([symbols_of(readings.samples.text[i]) for i in read_rows]).astype(np.int64)
            target = counts.plates_misread[c] / counts.plates_read[c]
            p_char[c] = np.minimum(p_char[c] * _fit_scale(p_char[c].copy(), plates, target), 0.999)
    p_no_read = counts.no_reads / np.maximum(counts.samples, 1)
    return ConfusionMisreadModel(name, CONDITIONS, p_no_read, p_char, confusion, source)


def calibrate(samples: int = 20000, seed: int = DEFAULT_SEED, workers: int | None = None
              ) -> tuple[ConfusionMisreadModel, SampleReadings]:
    """Run the image path over ``samples`` pictures (split evenly over the conditions)."""
    per_condition = max(1, samples // len(CONDITIONS))
    readings = run_samples(draw_samples(per_condition, seed), workers)
    rates = {c: readings.rates(c) for c in CONDITIONS}
    summary = "; ".join(f"{c} misread {r['misread']:.3f} no-read {r['no_read']:.3f}" for c, r in rates.items())
    source = (f"cameras calibrate: {per_condition * len(CONDITIONS)} rendered plates, seed {seed}, "
              f"profiles in cameras/imaging.py; {summary}")
    return estimate_model(readings, source=source), readings


def write_artefact(model: ConfusionMisreadModel, path: str | Path = ARTEFACT) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


# ---------------------------------------------------------------------------------
# Accuracy along one picture parameter (per-condition evaluation: cameras.evaluation).


def accuracy_curve(parameter: str, values: list[float], samples: int = 200, seed: int = DEFAULT_SEED + 2,
                   base: RenderParams = CLEAN, state: str = "CA") -> list[dict[str, float]]:
    """Exact-plate accuracy as one picture parameter varies, all else as in ``base``.

    The same plates and seeds are used at every value (common random numbers), so the
    curve shows the parameter's effect alone."""
    if parameter not in RenderParams.__dataclass_fields__:
        raise ValueError(f"{parameter!r} is not a picture parameter of RenderParams")
    rng = RandomStreams(seed).generator("calibration/curve")
    texts = decode_many(PLATE_FORMATS[state].generate(rng, samples))
    seeds = rng.integers(0, 2**63, size=samples, dtype=np.uint64)
    reader = default_recogniser()
    kind = type(getattr(base, parameter))
    curve = []
    for value in values:
        params = replace(base, **{parameter: kind(value)})
        images = [render_plate(t, params, int(s), state, colour=False) for t, s in zip(texts, seeds, strict=True)]
        readings = reader.read_many(images)
        exact = np.mean([r.text == t for r, t in zip(readings, texts, strict=True)])
        no_read = np.mean([r.no_read for r in readings])
        curve.append({"value": float(value), "exact": float(exact), "no_read": float(no_read)})
    return curve

