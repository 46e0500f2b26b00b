"""The reader's training set: glyphs drawn in typefaces, and characters cut from camera pictures.

Drawn glyphs (``cameras.glyphs``) teach the reader characters in many typefaces, but their
degradations are simple (blur, noise, a resize). A deployed engine is also trained on
pictures from cameras like its own, and those teach it what a character becomes at
11-28 px under perspective, motion blur, JPEG and night noise: that a blurred W keeps a
wider top than an N, that a V narrows to its foot, that a 9's tail stays below its loop.
Without them the reader's errors at low resolution fell on whichever degraded glyph lay
nearest (W/N/M/V among themselves, 9 read as Q), pairs no published list names.

``camera_patches`` renders plates with random texts under the four camera conditions
(``cameras.imaging``), cuts their characters out exactly as the reader does
(``cameras.segmentation``), and keeps those of plates cut into as many characters as
they have, until every character has ``per_label`` samples. ``default_bank`` builds the
reader's bank from both (built on first use, then cached in the process and on disk:
``ALPRSIM_CACHE_DIR``, default ``~/.cache/alprsim``; "" disables it; keyed by the code
and typefaces that make it).

The evaluation pictures (``cameras.evaluation``, ``cameras.calibration``) come from other
seeds; the reader is still tested on a typeface no part of its training draws
(tests/cameras/test_foreign_typeface.py).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from cameras.glyphs import GlyphBank, build_glyph_bank
from cameras.imaging import render_plate, sample_params
from cameras.plate_drawing import PLATE_STYLES, available_faces
from cameras.segmentation import character_cells
from sim.plates import ALPHABET

__all__ = ["CAMERA_CONDITIONS", "CAMERA_PER_LABEL", "GLYPHS_PER_FACE", "build_default_bank", "camera_patches",
           "default_bank"]

CAMERA_CONDITIONS = ("day", "day_fast", "night", "night_fast")
# Camera samples per character, and drawn samples per character and typeface (assumption:
# measured on 18,817 day and day_fast characters of other seeds, 200 camera samples with 12
# drawn ones cut character errors from 0.81% to 0.63%, W/N/M/V from 2-4% to 1-2%, and keep
# the bank about 1.5 times the old size for speed; 300 with 20 drawn gained 0.05 points).
CAMERA_PER_LABEL = 200
GLYPHS_PER_FACE = 12
# Plates of California's style three times in four, else another state's (assumption:
# the reader is deployed in California; each style's typeface is learnt).
CALIFORNIA_SHARE = 0.75
_TRAINING_SEED = 20240917  # not the calibration's nor the evaluation's seeds


def camera_patches(per_label: int = CAMERA_PER_LABEL, seed: int = _TRAINING_SEED,
                   conditions: tuple[str, ...] = CAMERA_CONDITIONS) -> tuple[list[np.ndarray], np.ndarray]:
    """``per_label`` character patches of every symbol of ``ALPHABET``, cut from rendered
    plates (see the module docstring); returns (patches, labels), grouped by label."""
    rng = np.random.default_rng(seed)
    others = sorted(s for s in PLATE_STYLES if s != "CA")
    kept: list[list[np.ndarray]] = [[] for _ in ALPHABET]
    for _ in range(60 * per_label * len(ALPHABET) // 6 + 100):  # a bound; ends far sooner
        short = np.array([per_label - len(k) for k in kept], float)
        if short.max() <= 0:
            break
        # characters still short are drawn more often (every symbol gets its share)
        weights = np.maximum(short, 0) + 0.05 * per_label
        text = "".join(ALPHABET[j] for j in rng.choice(len(ALPHABET), size=int(rng.integers(6, 8)),
                                                         p=weights / weights.sum()))
        state = "CA" if rng.random() < CALIFORNIA_SHARE else others[int(rng.integers(len(others)))]
        condition = conditions[int(rng.integers(len(conditions)))]
        image = render_plate(text, sample_params(condition, rng), rng, state, colour=False)
        cells = character_cells(image)
        if cells is None:
            continue
        patches = [p for cell in cells for p in cell[0]]
        if len(patches) != len(text):
            continue  # a split or merged character: its labels are not known
        for patch, char in zip(patches, text, strict=True):
            label = ALPHABET.index(char)
            if len(kept[label]) < per_label:
                kept[label].append(patch)
    if min(len(k) for k in kept) < per_label:
        raise RuntimeError("camera_patches: too few plates were cut into their characters")
    labels = np.repeat(np.arange(len(ALPHABET)), per_label)
    return [p for group in kept for p in group], labels


def _bank_cache_path() -> Path | None:
    """Where the default bank is kept between processes: keyed by the code and data that
    make it, so that a change to either builds a fresh one. None disables the cache."""
    root = os.environ.get("ALPRSIM_CACHE_DIR")
    if root == "":
        return None
    folder = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "alprsim"
    digest = hashlib.sha256(cv2.__version__.encode() + repr(available_faces()).encode())
    here = Path(__file__)
    for name in ("training.py", "glyphs.py", "plate_drawing.py", "imaging.py", "segmentation.py"):
        digest.update(here.with_name(name).read_bytes())
    return folder / f"glyph-bank-{digest.hexdigest()[:16]}.npz"


def build_default_bank() -> GlyphBank:
    """Drawn glyphs of every typeface plus ``CAMERA_PER_LABEL`` camera samples per character."""
    return build_glyph_bank(per_glyph=GLYPHS_PER_FACE, extra=camera_patches())


@lru_cache(maxsize=1)
def default_bank() -> GlyphBank:
    """The reader's bank: built on first use (under a minute), then cached on disk."""
    path = _bank_cache_path()
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                return GlyphBank(data["mean"], data["projection"], data["vectors"], data["labels"],
                                 tuple(str(f) for f in data["faces"]))
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache is rebuilt below
    bank = build_default_bank()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, mean=bank.mean, projection=bank.projection, vectors=bank.vectors,
                     labels=bank.labels, faces=np.array(bank.faces))
            os.replace(tmp, path)
            for stale in path.parent.glob("glyph-bank-*.npz"):  # banks of older code
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only home: build again next time
    return bank
