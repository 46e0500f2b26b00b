"""The OpenCV recogniser: clean plates read exactly, worse pictures read worse, junk is a no-read."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from cameras.calibration import accuracy_curve, draw_samples, run_samples
from cameras.glyphs import build_glyph_bank
from cameras.imaging import CLEAN, render_plate
from cameras.recogniser import NO_READ, apply_syntax, default_recogniser
from sim.plates import ALPHABET


@pytest.fixture(scope="module")
def reader():
    return default_recogniser()


def test_clean_daytime_crops_read_exactly(reader):
    # 240 clean plates over every state's layout (California mostly): the target is >= 99%
    readings = run_samples(draw_samples(240, seed=101, conditions=("clean",), out_of_state_share=0.5,
                                        personalised_share=0.0), workers=1)
    exact = np.mean([r == t for r, t in zip(readings.read, readings.samples.text, strict=True)])
    assert exact >= 0.99, [(t, r) for r, t in zip(readings.read, readings.samples.text, strict=True) if r != t]


def test_a_reading_carries_a_confidence_per_character(reader):
    r = reader.read(render_plate("7ABC123", CLEAN, 3))
    assert r.text == "7ABC123" and not r.no_read
    assert len(r.char_confidence) == len(r.text)
    assert all(0.0 <= c <= 1.0 for c in r.char_confidence) and 0.0 < r.confidence <= 1.0


def test_a_vanity_plate_is_not_forced_into_a_state_pattern(reader):
    assert reader.read(render_plate("LOVEU2C", CLEAN, 1)).text == "LOVEU2C"


def test_accuracy_falls_as_blur_rises():
    base = replace(CLEAN, plate_height_px=40)
    curve = accuracy_curve("focus_sigma_px", [0.3, 1.1, 1.8], samples=40, base=base)
    exact = [point["exact"] for point in curve]
    assert exact[0] >= 0.95
    assert exact[0] >= exact[1] >= exact[2]
    assert exact[2] <= exact[0] - 0.3


def test_accuracy_falls_as_darkness_rises():
    base = replace(CLEAN, plate_height_px=36, ambient=0.15, noise_sigma=8.0, infrared=True)
    curve = accuracy_curve("light", [0.8, 0.12, 0.06], samples=40, base=base)
    exact = [point["exact"] for point in curve]
    assert exact[0] >= 0.9
    assert exact[0] >= exact[1] >= exact[2]
    assert exact[2] <= exact[0] - 0.3


def test_accuracy_falls_as_plates_get_smaller():
    curve = accuracy_curve("plate_height_px", [56.0, 22.0, 14.0], samples=40)
    exact = [point["exact"] for point in curve]
    assert exact[0] >= exact[1] >= exact[2] and exact[2] < exact[0] - 0.3


def test_no_plate_is_a_no_read_not_a_guess(reader):
    assert reader.read(np.full((80, 160, 3), 128, np.uint8)) == NO_READ
    assert reader.read(np.zeros((4, 4), np.uint8)) == NO_READ
    rng = np.random.default_rng(1)
    noise = [cv2.GaussianBlur(rng.integers(0, 255, (90, 180, 3)).astype(np.uint8), (0, 0), s)
             for s in (0.5, 1.0, 2.0) for _ in range(10)]
    assert sum(r.no_read for r in reader.read_many(noise)) >= 27


def test_grey_and_colour_crops_are_both_read(reader):
    image = render_plate("4GJM067", CLEAN, 8)
    assert reader.read(image).text == reader.read(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)).text == "4GJM067"


def test_read_many_equals_reading_one_at_a_time(reader):
    images = [render_plate(t, replace(CLEAN, plate_height_px=34, focus_sigma_px=0.8), 5)
              for t in ("1MEW568", "8GHM329", "3YXM752")]
    batched, single = reader.read_many(images), [reader.read(img) for img in images]
    # the same texts and flags; confidences agree to float rounding (a batch's matrix
    # product may sum in another order than one crop's)
    assert [(r.text, r.no_read, r.format_state) for r in batched] == \
        [(r.text, r.no_read, r.format_state) for r in single]
    for a, b in zip(batched, single, strict=True):
        assert a.confidence == pytest.approx(b.confidence, rel=1e-5)
        assert a.char_confidence == pytest.approx(b.char_confidence, abs=2e-4)


def test_syntax_picks_the_state_pattern_that_costs_least():
    # a California plate whose fifth character looks a bit more like O than 0
    text = "7ABCO23"
    log_p = np.full((7, len(ALPHABET)), np.log(1e-4))
    for k, ch in enumerate(text):
        log_p[k, ALPHABET.index(ch)] = np.log(0.6)
    log_p[4, ALPHABET.index("0")] = np.log(0.35)
    assert "".join(ALPHABET[i] for i in apply_syntax(log_p, 6.0)) == "7ABC023"


def test_syntax_leaves_a_read_alone_when_no_pattern_is_close():
    text = "LOVEU2C"
    log_p = np.full((7, len(ALPHABET)), np.log(1e-6))
    for k, ch in enumerate(text):
        log_p[k, ALPHABET.index(ch)] = np.log(0.99)
    assert "".join(ALPHABET[i] for i in apply_syntax(log_p, 6.0)) == text


def test_the_glyph_bank_is_the_same_every_time_it_is_built():
    a = build_glyph_bank(faces=("sans-600",), per_glyph=3, pca_dims=40, lda_dims=20)
    b = build_glyph_bank(faces=("sans-600",), per_glyph=3, pca_dims=40, lda_dims=20)
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.labels, b.labels)
    assert a.vectors.shape == (len(ALPHABET) * 3, 20)
