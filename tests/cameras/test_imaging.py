"""Plate pictures: deterministic per seed, every layout draws, conditions do what they say."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cameras.imaging import (
    CLEAN,
    CONDITION_PROFILES,
    PLATE_STYLES,
    RenderParams,
    parse_params,
    render_plate,
    sample_params,
)
from cameras.misread import CONDITIONS
from sim.plates import PLATE_FORMATS, decode_many


def test_same_seed_gives_the_same_picture_byte_for_byte():
    params = sample_params("night_fast", np.random.default_rng(3))
    a = render_plate("7ABC123", params, 42)
    b = render_plate("7ABC123", params, 42)
    assert a.tobytes() == b.tobytes()
    assert render_plate("7ABC123", params, 42, colour=False).tobytes() == \
        render_plate("7ABC123", params, 42, colour=False).tobytes()


def test_different_seeds_give_different_pictures():
    params = sample_params("day", np.random.default_rng(3))
    assert render_plate("7ABC123", params, 1).tobytes() != render_plate("7ABC123", params, 2).tobytes()


@pytest.mark.parametrize("state", sorted(PLATE_STYLES))
def test_every_state_layout_draws_its_own_format(state):
    text = decode_many(PLATE_FORMATS[state].generate(np.random.default_rng(1), 1))[0]
    image = render_plate(text, CLEAN, 0, state)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] >= CLEAN.plate_height_px


def test_grey_rendering_matches_the_colour_picture_in_brightness():
    params = sample_params("day", np.random.default_rng(5))
    colour = cv2.cvtColor(render_plate("8BEF271", params, 9), cv2.COLOR_BGR2GRAY).astype(float)
    grey = render_plate("8BEF271", params, 9, colour=False).astype(float)
    assert colour.shape == grey.shape
    assert np.abs(colour - grey).mean() < 4.0  # JPEG chroma and rounding only


def test_plate_height_sets_the_size_of_the_crop():
    small = render_plate("7ABC123", replace(CLEAN, plate_height_px=24), 0)
    large = render_plate("7ABC123", replace(CLEAN, plate_height_px=72), 0)
    assert large.shape[0] > 2 * small.shape[0]


def test_darker_conditions_give_darker_pictures():
    bright = render_plate("7ABC123", CLEAN, 4, colour=False).mean()
    dark = render_plate("7ABC123", replace(CLEAN, light=0.3, ambient=0.15), 4, colour=False).mean()
    assert dark < 0.5 * bright


def test_glare_brightens_the_picture():
    base = replace(CLEAN, light=0.5, ambient=0.2, infrared=True)
    plain = render_plate("7ABC123", base, 4, colour=False).mean()
    glare = render_plate("7ABC123", replace(base, glare=0.8), 4, colour=False).mean()
    assert glare > plain + 20


@given(speed=st.floats(0, 60), extra=st.floats(0.1, 30))
def test_motion_blur_grows_with_speed(speed, extra):
    p = replace(CLEAN, pitch_deg=15.0, yaw_deg=10.0, exposure_s=1 / 500)
    assert replace(p, speed_mps=speed + extra).motion_blur_px() > replace(p, speed_mps=speed).motion_blur_px()


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32), condition=st.sampled_from(CONDITIONS))
def test_sampled_parameters_stay_inside_their_profile(seed, condition):
    profile = CONDITION_PROFILES[condition]
    p = sample_params(condition, np.random.default_rng(seed))
    assert profile.plate_height_px[0] <= p.plate_height_px <= profile.plate_height_px[1]
    assert profile.speed_mps[0] <= p.speed_mps <= profile.speed_mps[1]
    assert profile.jpeg_quality[0] <= p.jpeg_quality <= profile.jpeg_quality[1]
    assert abs(p.yaw_deg) <= 2 * profile.yaw_sd_deg + 1e-9
    assert p.infrared == profile.infrared
    assert (p.glare == 0) if profile.p_glare == 0 else True


def test_a_known_speed_overrides_the_profile():
    p = sample_params("day", np.random.default_rng(1), speed_mps=31.5)
    assert p.speed_mps == 31.5


def test_parse_params_takes_a_profile_and_overrides():
    p = parse_params("night,plate_height_px=30,rain=0.5,jpeg_quality=50", np.random.default_rng(0))
    assert p.infrared and p.plate_height_px == 30 and p.rain == 0.5 and p.jpeg_quality == 50
    assert parse_params("clean") == CLEAN


@pytest.mark.parametrize("spec, words", [("night,fog=1", "'fog'"), ("rain=lots", "rain='lots'"),
                                         ("dusk", "'dusk'")])
def test_parse_params_names_the_bad_value(spec, words):
    with pytest.raises(ValueError, match=words):
        parse_params(spec)


def test_unknown_state_is_an_error_naming_it():
    with pytest.raises(ValueError, match="'ZZ'"):
        render_plate("7ABC123", CLEAN, 0, "ZZ")


def test_render_params_are_frozen():
    with pytest.raises(AttributeError):
        RenderParams().light = 0.5  # type: ignore[misc]
