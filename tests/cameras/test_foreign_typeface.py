"""The recogniser reads plates drawn by another renderer in a typeface it was not built on."""

from __future__ import annotations

import numpy as np
import pytest

from cameras.plate_drawing import available_faces
from cameras.recogniser import default_recogniser
from tests.cameras.foreign_plates import draw_foreign_plate, foreign_typeface, random_ca_plates

FOREIGN_TARGET = 0.90  # issue 17: at least 90% exact on an unseen typeface


@pytest.fixture(scope="module")
def foreign():
    rng = np.random.default_rng(17)
    texts = random_ca_plates(rng, 200)
    # half drawn regular, half with a one-pixel stroke (bolder)
    images = [draw_foreign_plate(t, rng, bold=i % 2 == 1) for i, t in enumerate(texts)]
    return texts, images


def test_the_foreign_typeface_is_not_among_the_glyph_sources():
    name = foreign_typeface().lower()
    assert "aileron" in name
    assert not any("aileron" in face for face in available_faces())
    assert not any("aileron" in face for face in default_recogniser().bank.faces)


@pytest.mark.parametrize("state", [None, "CA"])
def test_plates_in_an_unseen_typeface_are_read_exactly(foreign, state):
    texts, images = foreign
    readings = default_recogniser().read_many(images, None if state is None else [state] * len(images))
    exact = np.mean([r.text == t for r, t in zip(readings, texts, strict=True)])
    print(f"\nforeign typeface ({foreign_typeface()}), state {state or 'unknown'}: "
          f"{exact:.1%} exact on {len(texts)} plates")
    wrong = [(t, r.text) for r, t in zip(readings, texts, strict=True) if r.text != t]
    assert exact >= FOREIGN_TARGET, wrong


def test_the_second_renderer_draws_what_it_is_asked(foreign):
    # a sanity check of the test's own renderer: different texts, different pictures
    texts, images = foreign
    assert len(set(texts)) > 190
    assert images[0].dtype == np.uint8 and images[0].ndim == 2 and 40 <= images[0].shape[0] <= 160
    rng = np.random.default_rng(0)
    a, b = draw_foreign_plate("1ABC234", rng), draw_foreign_plate("1ABC234", np.random.default_rng(0))
    assert a.tobytes() == b.tobytes()
