"""The plates calibration photographs are the mix cameras see: California standard plates,
out-of-state plates, and personalised plates whose look-alikes no plate format resolves."""

from __future__ import annotations

import numpy as np
import pytest

from cameras.calibration import (
    OUT_OF_STATE_SHARE,
    PERSONALISED_LENGTHS,
    PERSONALISED_SHARE,
    draw_samples,
    personalised_texts,
)
from cameras.imaging import CLEAN, render_plate
from cameras.plate_grammar import fit_format
from cameras.recogniser import default_recogniser
from sim.plates import ALPHABET, PLATE_FORMATS
from sim.population import PopulationSpec

PUBLISHED_PAIRS = {(a, b) for group in ("0ODQ", "1IL7", "2Z", "5S", "8B", "6G") for a in group for b in group if a != b}


def _fits(text: str, state: str) -> bool:
    fmt = PLATE_FORMATS[state]
    return len(text) == len(fmt.pattern) and all(
        (slot == "D" and ch.isdigit()) or (slot == "L" and ch in fmt.letters) for slot, ch in zip(fmt.pattern, text, strict=True))


@pytest.fixture(scope="module")
def samples():
    return draw_samples(5000, seed=11, conditions=("day", "night"))


def test_the_mix_has_the_stated_shares(samples):
    n = len(samples)
    out_of_state = np.mean([s != "CA" for s in samples.state])
    personalised = np.mean(samples.personalised)
    assert OUT_OF_STATE_SHARE == PopulationSpec().out_of_state_plate_share  # the world's own share
    # binomial tolerance of four standard errors
    assert abs(out_of_state - OUT_OF_STATE_SHARE) <= 4 * np.sqrt(OUT_OF_STATE_SHARE / n)
    expected = PERSONALISED_SHARE * (1 - OUT_OF_STATE_SHARE)
    assert abs(personalised - expected) <= 4 * np.sqrt(expected / n)


def test_standard_plates_fit_their_format_and_personalised_ones_are_californian(samples):
    for text, state, own in zip(samples.text, samples.state, samples.personalised, strict=True):
        if own:
            assert state == "CA" and len(text) in PERSONALISED_LENGTHS and text.isalnum()
        else:
            assert _fits(text, state), (text, state)
    # personalised texts mix letters and digits in any position, I, O and Q included
    texts = personalised_texts(np.random.default_rng(4), 3000)
    assert sum(not _fits(t, "CA") for t in texts) > 0.95 * len(texts)
    assert {"I", "O", "Q"} <= set("".join(texts)) and set("".join(texts)) <= set(ALPHABET)


def test_no_mix_draws_california_standard_plates_only():
    samples = draw_samples(300, seed=2, conditions=("day",), out_of_state_share=0.0, personalised_share=0.0)
    assert set(samples.state) == {"CA"} and not any(samples.personalised)
    assert all(_fits(t, "CA") for t in samples.text)


def test_a_format_resolves_a_look_alike_on_a_standard_plate_but_not_on_a_personalised_one():
    # the same 0-or-O shape, leaning to O: a digit slot of California's format settles it ...
    def log_p(text: str, slot: int) -> np.ndarray:
        out = np.full((len(text), len(ALPHABET)), np.log(1e-4))
        out[np.arange(len(text)), [ALPHABET.index(c) for c in text]] = np.log(0.9)
        out[slot] = np.log(1e-4)
        out[slot, ALPHABET.index("O")], out[slot, ALPHABET.index("0")] = np.log(0.6), np.log(0.35)
        return out

    labels, state = fit_format(log_p("7ABC023", 4), 6.0, state="CA")
    assert "".join(ALPHABET[i] for i in labels) == "7ABC023" and state == "CA"
    # ... a personalised plate has no slots: the classifier's O stays
    labels, state = fit_format(log_p("B0B5S", 1), 6.0, state="CA")
    assert "".join(ALPHABET[i] for i in labels) == "BOB5S" and state == ""


def test_what_the_reader_gets_wrong_on_clean_personalised_plates_are_published_look_alikes():
    texts = personalised_texts(np.random.default_rng(1), 200)
    images = [render_plate(t, CLEAN, i, "CA", colour=False) for i, t in enumerate(texts)]
    readings = default_recogniser().read_many(images, ["CA"] * len(images))
    pairs = [(a, b) for r, t in zip(readings, texts, strict=True) if len(r.text) == len(t)
             for a, b in zip(t, r.text, strict=True) if a != b]
    exact = np.mean([r.text == t for r, t in zip(readings, texts, strict=True)])
    assert exact >= 0.9
    assert pairs, "no substitutions at all: the test would show nothing"
    assert sum(p in PUBLISHED_PAIRS for p in pairs) >= 0.8 * len(pairs), pairs
