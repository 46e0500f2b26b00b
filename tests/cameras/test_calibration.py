"""Calibration: counting errors, estimating the fast model, and the round trip against the
image path (the shipped artefact must agree with fresh pictures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cameras.calibration import (
    ARTEFACT,
    SampleReadings,
    Samples,
    align,
    calibrate,
    count_errors,
    draw_samples,
    estimate_model,
    run_samples,
)
from cameras.misread import CONDITIONS, ConfusionMisreadModel, default_misread_model
from sim.plates import ALPHABET, symbols_of

# Round trip tolerance: the fast model's plate misread rate on the fresh plates must lie
# within 3 binomial standard errors (plus 2 points for the artefact's own sampling error)
# of the image path's rate on them; and the substitutions the image path makes must fall
# among the fast model's most likely ones, in the share the fast model predicts (same
# binomial tolerance, 5 points of slack), and the most frequent one in its top 15.
ROUND_TRIP_SIGMAS = 3.0
ROUND_TRIP_SLACK = 0.02
TOP_PAIRS = 20
TOP_PAIR_SLACK = 0.05
TOP_RANK = 15


@pytest.mark.parametrize("truth, read, pairs", [
    ("7ABC123", "7ABC123", [(c, c) for c in "7ABC123"]),
    ("7ABC123", "7A8C123", [(c, c) for c in "7A"] + [("B", "8")] + [(c, c) for c in "C123"]),
    ("7ABC123", "7ABC12", [(c, c) for c in "7ABC12"] + [("3", "")]),
    ("7ABC123", "7ABCI123", [(c, c) for c in "7ABC"] + [("", "I")] + [(c, c) for c in "123"]),
])
def test_align_pairs_true_and_read_characters(truth, read, pairs):
    assert align(truth, read) == pairs


def _synthetic(rows: list[tuple[str, str, str]]) -> SampleReadings:
    texts = tuple(t for t, _, _ in rows)
    samples = Samples(texts, ("CA",) * len(rows), tuple(c for _, _, c in rows), np.arange(len(rows), dtype=np.uint64))
    reads = tuple(r for _, r, _ in rows)
    return SampleReadings(samples, reads, np.array([r == "" for r in reads]), np.ones(len(rows), np.float32))


def test_estimated_tables_reproduce_the_observed_rates():
    rows = ([("7ABC123", "7ABC123", "day")] * 80 + [("7ABC123", "7A8C123", "day")] * 12
            + [("5SOW350", "5SOW750", "day")] * 8 + [("7ABC123", "", "day")] * 5
            + [("7ABC123", "7ABC123", c) for c in CONDITIONS[1:] for _ in range(20)])
    readings = _synthetic(rows)
    model = estimate_model(readings)
    day = CONDITIONS.index("day")
    assert model.p_no_read[day] == pytest.approx(5 / 105)
    sums = model.confusion[:, 1:].sum(axis=2)
    assert np.allclose(sums, 1.0)
    # B's errors go mostly to 8, 3's to 7 (observed), the rest from the prior and the pool
    b, eight = ALPHABET.index("B") + 1, ALPHABET.index("8") + 1
    assert model.confusion[day, b].argmax() == eight
    # plate-level: the fast model misreads the day plates as often as the image path did
    plates = np.stack([symbols_of(t) for t, r, c in rows if c == "day" and r]).astype(np.int64)
    fast = np.mean([model.expected_plate_error("day", p) for p in plates])
    assert fast == pytest.approx(20 / 100, abs=1e-3)


def test_count_errors_splits_drops_from_substitutions():
    counts = count_errors(_synthetic([("7ABC123", "7ABC12", "night"), ("7ABC123", "7ABC1Z3", "night")]))
    night = CONDITIONS.index("night")
    three, two, zed = (ALPHABET.index(c) + 1 for c in "32Z")
    assert counts.errors[night, three] == 1 and counts.substitutions[night, three].sum() == 0
    assert counts.substitutions[night, two, zed] == 1
    assert counts.plates_misread[night] == 2 and counts.plates_read[night] == 2


def test_calibrate_writes_tables_the_fast_model_loads(tmp_path):
    model, readings = calibrate(samples=40, seed=3, workers=1)
    assert model.conditions == CONDITIONS and len(readings.samples) == 40
    path = tmp_path / "tables.json"
    model.save(path)
    again = ConfusionMisreadModel.load(path)
    assert np.allclose(again.p_char_error, model.p_char_error, atol=1e-6)
    assert np.allclose(again.confusion, model.confusion, atol=1e-5)
    assert json.loads(path.read_text())["conditions"] == list(CONDITIONS)


def test_results_do_not_depend_on_the_number_of_workers():
    samples = draw_samples(10, seed=8)
    one = run_samples(samples, workers=1, chunk=20)
    two = run_samples(samples, workers=2, chunk=20)
    assert one.read == two.read and np.array_equal(one.no_read, two.no_read)


def test_the_shipped_artefact_is_what_the_simulator_uses():
    assert ARTEFACT.exists(), "run `alprsim cameras calibrate` to ship cameras/data/misread_calibrated.json"
    model = default_misread_model()
    assert isinstance(model, ConfusionMisreadModel) and model.conditions == CONDITIONS
    assert "rendered plates" in model.source


@pytest.fixture(scope="module")
def fresh():
    return run_samples(draw_samples(150, seed=424242))


def test_round_trip_fast_model_misread_rate_agrees_with_fresh_pictures(fresh):
    model = ConfusionMisreadModel.load(ARTEFACT)
    for condition in CONDITIONS:
        rows = [i for i, c in enumerate(fresh.samples.condition) if c == condition and not fresh.no_read[i]]
        image = np.mean([fresh.read[i] != fresh.samples.text[i] for i in rows])
        fast = np.mean([model.expected_plate_error(condition, symbols_of(fresh.samples.text[i]).astype(np.int64))
                        for i in rows])
        tolerance = ROUND_TRIP_SIGMAS * np.sqrt(max(fast * (1 - fast), 0.01) / len(rows)) + ROUND_TRIP_SLACK
        assert abs(image - fast) <= tolerance, (condition, image, fast, tolerance)
        no_read = fresh.no_read[[i for i, c in enumerate(fresh.samples.condition) if c == condition]].mean()
        assert abs(no_read - model.p_no_read[CONDITIONS.index(condition)]) <= 0.06, (condition, no_read)


def test_round_trip_top_confusions_agree_with_fresh_pictures(fresh):
    model = ConfusionMisreadModel.load(ARTEFACT)
    counts = count_errors(fresh)
    occurrences = counts.occurrences.sum(axis=0)
    # how often the fast model would make each substitution on plates like these
    expected = np.einsum("cs,cst->st", model.p_char_error, model.confusion) * occurrences[:, None]
    order = np.argsort(expected, axis=None)[::-1]
    top = np.unravel_index(order[:TOP_PAIRS], expected.shape)
    seen = counts.substitutions.sum(axis=0)
    assert seen.sum() >= 10
    # the fast model's favourite substitutions take the share of the fresh ones it predicts
    share_model = expected[top].sum() / expected.sum()
    share_fresh = seen[top].sum() / seen.sum()
    tolerance = ROUND_TRIP_SIGMAS * np.sqrt(share_model * (1 - share_model) / seen.sum()) + TOP_PAIR_SLACK
    assert share_fresh >= share_model - tolerance, (share_fresh, share_model, tolerance)
    # and the image path's most frequent substitution is one the fast model ranks high
    most = np.unravel_index(np.argmax(seen), seen.shape)
    rank = int(np.nonzero(order == np.ravel_multi_index(most, seen.shape))[0][0])
    assert rank < TOP_RANK, (ALPHABET[most[0] - 1], ALPHABET[most[1] - 1], rank)
