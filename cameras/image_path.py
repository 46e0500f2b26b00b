"""The slow, faithful recognition path as a misread model: photograph and read every pass.

``ImagePathMisreadModel`` implements ``cameras.misread.MisreadModel``: for each pass it
renders the plate under the pass's conditions (night or day, the pass's own speed; the
other picture parameters drawn from the condition's profile) and reads it with the
OpenCV recogniser. Each picture's randomness comes from the pass's key, so the result is
a function of the pass alone, like the fast model's. About 2-4 ms a pass: meant for
small scenarios (``alprsim run --camera-mode image``) and for checking the fast model.

``write_gallery`` saves the first crops a model saw, with what was read, for a person
to look at (PNG files, ``index.json`` and ``index.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cameras.calibration import Samples, render_sample
from cameras.imaging import render_plate, sample_params
from cameras.misread import CONDITIONS, Observation, condition_index, default_misread_model
from cameras.recogniser import PlateRecogniser, Reading, default_recogniser
from sim.plates import ALPHABET, PLATE_FORMATS, PLATE_LEN, STATES, symbols_of
from sim.random_streams import RandomStreams, keyed_bits

_SYMBOL_CHARS = np.array(list(" " + ALPHABET))


@dataclass(frozen=True)
class GalleryItem:
    """One crop the image path read, with the truth beside it."""

    image: np.ndarray  # BGR uint8
    truth: str
    reading: Reading
    condition: str
    state: str


def plate_text(symbols: np.ndarray) -> str:
    """Symbol indices (padding 0) back to the plate string."""
    return "".join(_SYMBOL_CHARS[symbols[symbols > 0]])


def layout_state(text: str) -> str:
    """The state whose standard layout fits ``text`` (California first); "CA" for others
    (vanity and special plates are drawn in California's layout)."""
    for state, fmt in PLATE_FORMATS.items():
        if len(fmt.pattern) != len(text):
            continue
        if all((slot == "D" and ch.isdigit()) or (slot == "L" and ch in fmt.letters) or slot == "A"
               for slot, ch in zip(fmt.pattern, text, strict=True)):
            return state
    return "CA"


class ImagePathMisreadModel:
    """Render and read every pass (``MisreadModel``). Keeps the first ``gallery_size``
    crops in ``gallery`` (those are drawn in colour; the rest in grey, which is what the
    reader uses anyway)."""

    name = "image"

    reads_plate_state = True  # capture passes each plate's state (see cameras.capture)

    def __init__(self, reader: PlateRecogniser | None = None, gallery_size: int = 0, batch: int = 500):
        self.reader = reader if reader is not None else default_recogniser()
        self.gallery_size = gallery_size
        self.batch = batch
        self.gallery: list[GalleryItem] = []
        # no-read rates per condition, as calibrated from this same path (callers that size
        # traffic from a model's no-read rate can use them)
        tables = default_misread_model()
        self.p_no_read = np.asarray(getattr(tables, "p_no_read", np.zeros(len(CONDITIONS))), float)

    def observe(self, true_symbols: np.ndarray, night: np.ndarray, speed_mps: np.ndarray, keys: np.ndarray,
                streams: RandomStreams, plate_state: np.ndarray | None = None) -> Observation:
        """``plate_state`` (indices into ``sim.plates.STATES``) picks each plate's layout;
        without it the layout is guessed from the text."""
        n = len(true_symbols)
        symbols = np.array(true_symbols, dtype=np.uint8, copy=True)
        confidence = np.zeros(n, np.float32)
        no_read = np.zeros(n, bool)
        if n == 0:
            return Observation(symbols, confidence, no_read)
        cond = condition_index(night, speed_mps)
        seeds = keyed_bits(np.asarray(keys, np.uint64), streams.stream_key("misread/image"), 1)[:, 0]
        for lo in range(0, n, self.batch):
            rows = range(lo, min(lo + self.batch, n))
            images, meta = [], []
            for i in rows:
                text = plate_text(true_symbols[i])
                state = STATES[int(plate_state[i])] if plate_state is not None else layout_state(text)
                rng = np.random.default_rng(int(seeds[i]))
                params = sample_params(CONDITIONS[cond[i]], rng, speed_mps=float(speed_mps[i]))
                colour = len(self.gallery) + len(images) < self.gallery_size
                images.append(render_plate(text, params, rng, state, colour=colour))
                meta.append((text, state, colour))
            # told the plate's state, as in calibration (an engine that recognises states)
            readings = self.reader.read_many(images, [state for _, state, _ in meta])
            for i, image, (text, state, colour), reading in zip(rows, images, meta, readings, strict=True):
                confidence[i] = reading.confidence
                no_read[i] = reading.no_read
                if not reading.no_read:
                    symbols[i] = symbols_of(reading.text[:PLATE_LEN])
                if colour:
                    self.gallery.append(GalleryItem(image, text, reading, CONDITIONS[cond[i]], state))
        return Observation(symbols, confidence, no_read)


def write_gallery(items: list[GalleryItem], out_dir: str | Path, title: str = "Plate crops and readings") -> Path:
    """Write each crop as PNG (enlarged so that a person can see it) plus ``index.json``
    and ``index.md``; returns the path of ``index.md``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, lines = [], [f"# {title}", "", "| crop | truth | read | confidence | condition | state |",
                       "|---|---|---|---|---|---|"]
    for k, item in enumerate(items, start=1):
        name = f"crop-{k:04d}.png"
        scale = max(1, int(np.ceil(120 / max(item.image.shape[0], 1))))
        big = cv2.resize(item.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(out / name), big)
        read = "(no read)" if item.reading.no_read else item.reading.text
        verdict = "" if item.reading.no_read else (" ✓" if item.reading.text == item.truth else " ✗")
        rows.append({"file": name, "truth": item.truth, "read": item.reading.text, "no_read": item.reading.no_read,
                     "confidence": round(item.reading.confidence, 4),
                     "char_confidence": list(item.reading.char_confidence),
                     "condition": item.condition, "state": item.state})
        lines.append(f"| ![{item.truth}]({name}) | {item.truth} | {read}{verdict} | "
                     f"{item.reading.confidence:.2f} | {item.condition} | {item.state} |")
    (out / "index.json").write_text(json.dumps(rows, indent=1) + "\n")
    index = out / "index.md"
    index.write_text("\n".join(lines) + "\n")
    return index


def sample_gallery(samples: Samples, reader: PlateRecogniser | None = None) -> list[GalleryItem]:
    """Gallery items for calibration-style samples (drawn in colour)."""
    reader = reader if reader is not None else default_recogniser()
    images = [render_sample(samples, i, colour=True) for i in range(len(samples))]
    return [GalleryItem(img, samples.text[i], r, samples.condition[i], samples.state[i])
            for i, (img, r) in enumerate(zip(images, reader.read_many(images, list(samples.state)), strict=True))]
