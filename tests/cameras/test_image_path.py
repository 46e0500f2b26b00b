"""The image path as a misread model, and the gallery a person looks at."""

from __future__ import annotations

import json

import numpy as np

from cameras.image_path import ImagePathMisreadModel, layout_state, plate_text, write_gallery
from cameras.misread import MisreadModel
from sim.plates import STATES, decode_symbols, encode_many
from sim.random_streams import RandomStreams

PLATES = ["7ABC123", "8GHM329", "4GJM067", "123A456", "ABC1234", "1MEW568"]


def _batch():
    symbols = decode_symbols(encode_many(PLATES))
    n = len(PLATES)
    night = np.array([False, False, True, True, False, True])
    speed = np.array([10.0, 30.0, 12.0, 28.0, 15.0, 5.0])
    keys = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(7919)
    return symbols, night, speed, keys


def test_image_path_is_a_misread_model_whose_reads_depend_on_the_pass_only():
    symbols, night, speed, keys = _batch()
    streams = RandomStreams(5)
    model: MisreadModel = ImagePathMisreadModel()  # satisfies the protocol (checked by type checkers)
    assert model.name == "image"
    whole = model.observe(symbols, night, speed, keys, streams)
    assert whole.symbols.shape == symbols.shape and whole.symbols.dtype == np.uint8
    assert whole.confidence.shape == (len(PLATES),) and whole.no_read.dtype == bool
    # the same passes in another batch, in another order, read the same
    order = np.array([5, 3, 1, 0, 2, 4])
    again = ImagePathMisreadModel(batch=2).observe(symbols[order], night[order], speed[order], keys[order], streams)
    assert np.array_equal(again.symbols, whole.symbols[order])
    assert np.array_equal(again.no_read, whole.no_read[order])
    # most of these mid-size plates are read exactly
    exact = [not nr and plate_text(s) == p for s, nr, p in zip(whole.symbols, whole.no_read, PLATES, strict=True)]
    assert sum(exact) >= 4


def test_plate_state_picks_the_layout():
    symbols, night, speed, keys = _batch()
    model = ImagePathMisreadModel(gallery_size=3)
    states = np.full(len(PLATES), STATES.index("TX"), np.uint8)
    model.observe(symbols, night, speed, keys, RandomStreams(5), plate_state=states)
    assert [item.state for item in model.gallery] == ["TX"] * 3


def test_layout_is_guessed_from_the_text():
    assert layout_state("7ABC123") == "CA"
    assert layout_state("123A456") == "NV"
    assert layout_state("123ABC") == "OR"
    assert layout_state("HELLO") == "CA"


def test_the_gallery_keeps_the_first_crops_and_writes_them(tmp_path):
    symbols, night, speed, keys = _batch()
    model = ImagePathMisreadModel(gallery_size=4)
    model.observe(symbols, night, speed, keys, RandomStreams(5))
    assert len(model.gallery) == 4 and model.gallery[0].truth == PLATES[0]
    index = write_gallery(model.gallery, tmp_path / "gallery")
    rows = json.loads((tmp_path / "gallery" / "index.json").read_text())
    assert len(rows) == 4 and rows[0]["truth"] == PLATES[0]
    assert all((tmp_path / "gallery" / r["file"]).read_bytes()[:4] == b"\x89PNG" for r in rows)
    assert "| crop | truth | read |" in index.read_text()


def test_an_empty_batch_gives_an_empty_observation():
    symbols, night, speed, keys = _batch()
    obs = ImagePathMisreadModel().observe(symbols[:0], night[:0], speed[:0], keys[:0], RandomStreams(5))
    assert obs.symbols.shape == (0, symbols.shape[1]) and len(obs.confidence) == 0 and len(obs.no_read) == 0
