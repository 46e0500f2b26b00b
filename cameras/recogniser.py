"""Read plate text from a camera crop with OpenCV and numpy only (nothing downloaded).

Four stages, as classic plate readers do (1 and 2 in ``cameras.segmentation``):

1. localise the row of characters and warp it upright, and 2. segment it into character
   blobs (``cameras.segmentation`` says how); a blob that may be one wide character (an M
   or a W of a typeface that is not condensed) or two touching ones keeps both cuts, and
   the classifier picks the cut whose pieces look most like glyphs (or, when that makes a
   plate of no format's length, the other one);
3. classify: each character patch becomes a small normalised image (pixels plus
   edge-orientation histograms) and is matched by nearest neighbours, in a PCA +
   Fisher-discriminant space, against a bank of glyphs drawn in every available
   typeface with random degradations and shape changes (``cameras.glyphs``), and of
   characters cut from camera pictures (``cameras.training``; built on first use,
   cached): it reads typefaces it was not built on, and tells small blurred letters
   apart by what a camera leaves of them;
4. plate grammar (``cameras.plate_grammar``): as deployed engines do, ambiguous
   characters are resolved by the plate format of the state, when the caller knows it
   (``read(image, state="CA")``), else by whichever state's format fits best; a reading
   no format fits (a vanity plate) is read as it is. ``Reading.format_state`` says which
   format was used ("" when none), ``Reading.unformatted`` what the classifier read.

A read is ``Reading(text, char_confidence, confidence, no_read)``; a crop where no row
of ``min_chars`` to ``max_chars`` characters is found, whose confidence is below
``min_confidence``, or whose blobs resemble no glyph (``max_glyph_distance``) is a
no-read, not a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cameras.glyphs import GlyphBank, patch_features
from cameras.plate_grammar import apply_syntax, fit_format, format_length, format_lengths
from cameras.segmentation import (
    character_cells,
    flatten_illumination,
    localise,
    segment,
    segment_cells,
    segment_flat,
)
from cameras.training import default_bank
from sim.plates import ALPHABET

__all__ = ["NO_READ", "PlateRecogniser", "Reading", "apply_syntax", "default_recogniser", "flatten_illumination",
           "localise", "read_plate", "segment", "segment_cells", "segment_flat"]


@dataclass(frozen=True)
class Reading:
    """What the reader made of one crop. ``text`` is "" for a no-read."""

    text: str
    char_confidence: tuple[float, ...]
    confidence: float
    no_read: bool
    format_state: str = ""  # whose plate format the text was fitted to; "" if read freely
    unformatted: str = ""  # the classifier's own reading, before the plate format


NO_READ = Reading("", (), 0.0, True)


# ---------------------------------------------------------------------------------
# The reader.


@dataclass(frozen=True)
class PlateRecogniser:
    """Localise, segment and classify. ``read_many`` batches the matching over many crops.

    A character's class score is minus the squared distance to its nearest glyph of that
    class (mean of the ``k`` nearest); scores become probabilities by a softmax.
    """

    bank: GlyphBank
    k: int = 1
    # softmax temperature: minimises the negative log-likelihood of the true characters on
    # 18,817 day and day_fast patches of other seeds (1.0: 0.099, 2.0: 0.055, 3.0: 0.047, 4.0: 0.051)
    temperature: float = 3.0
    min_chars: int = 4
    max_chars: int = 8
    min_confidence: float = 0.25
    max_glyph_distance: float = 44.0  # mean squared distance to the nearest glyph (LDA units)
    syntax_max_loss: float = 6.0

    def cells(self, image: np.ndarray) -> list[list[list[np.ndarray]]] | None:
        """The character cells of one crop (each: alternative cuts, each a list of patches),
        or None when no plate row of ``min_chars`` to ``max_chars`` characters is found."""
        cells = character_cells(image)
        if cells is None or not self.min_chars <= sum(len(cell[0]) for cell in cells) <= self.max_chars:
            return None
        return cells

    def characters(self, image: np.ndarray) -> list[np.ndarray] | None:
        """The character patches of one crop (default cuts), or None when no plate row is found."""
        cells = self.cells(image)
        return None if cells is None else [p for cell in cells for p in cell[0]]

    def log_probabilities(self, patches: list[np.ndarray]) -> np.ndarray:
        """(n, len(ALPHABET)) log-probabilities of each patch's symbol."""
        return self.match(patches)[0]

    def match(self, patches: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Log-probabilities (n, len(ALPHABET)) and each patch's squared distance to the
        nearest glyph of any class (large: not a character at all)."""
        if not patches:
            return np.empty((0, len(ALPHABET))), np.empty(0)
        z = self.bank.project(patch_features(patches))
        v, v_sq = self.bank.vectors, self.bank.sq_norms
        best = np.empty((len(patches), len(ALPHABET)), np.float32)
        for lo in range(0, len(patches), 256):  # blocks keep the distance table in cache
            # -|z - v|^2 up to a per-row constant |z|^2
            closeness = (z[lo:lo + 256] @ v.T) * 2.0 - v_sq
            closeness = closeness.reshape(len(closeness), len(ALPHABET), -1)
            if self.k == 1:
                best[lo:lo + 256] = closeness.max(axis=2)
            else:
                best[lo:lo + 256] = -np.partition(-closeness, self.k - 1, axis=2)[:, :, :self.k].mean(axis=2)
        nearest = (z.astype(np.float64) ** 2).sum(axis=1) - best.max(axis=1)
        scores = best.astype(np.float64) / (2.0 * self.temperature)
        scores -= scores.max(axis=1, keepdims=True)
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True)), nearest

    def read(self, image: np.ndarray, state: str | None = None) -> Reading:
        return self.read_many([image], None if state is None else [state])[0]

    def read_many(self, images: list[np.ndarray], states: list[str | None] | None = None) -> list[Reading]:
        """Read every crop; ``states[i]`` is the issuing state of crop ``i`` when known (its
        plate format then resolves ambiguous characters), None when unknown."""
        if states is not None and len(states) != len(images):
            raise ValueError(f"read_many: {len(states)} states for {len(images)} images")
        per_image = [self.cells(img) for img in images]
        flat = [p for cells in per_image if cells for cell in cells for alt in cell for p in alt]
        log_p, nearest = self.match(flat)
        readings, k = [], 0
        for i, cells in enumerate(per_image):
            if not cells:
                readings.append(NO_READ)
                continue
            state = None if states is None else states[i]
            n = sum(len(alt) for cell in cells for alt in cell)
            lp, dist = self._choose_cuts(cells, log_p[k:k + n], nearest[k:k + n], state)
            k += n
            labels, fitted = fit_format(lp, self.syntax_max_loss, state)
            char_p = np.exp(lp[np.arange(len(labels)), labels])
            text = "".join(ALPHABET[j] for j in labels)
            conf = tuple(round(float(v), 4) for v in char_p)
            plate_conf = round(float(np.exp(np.mean(np.log(np.maximum(char_p, 1e-9))))), 6)
            # blobs that resemble no glyph (texture, noise, rain) are not a plate
            if plate_conf < self.min_confidence or float(dist.mean()) > self.max_glyph_distance:
                readings.append(Reading("", conf, plate_conf, True))
            else:
                free = "".join(ALPHABET[j] for j in lp.argmax(axis=1))
                readings.append(Reading(text, conf, plate_conf, False, fitted, free))
        return readings

    def _choose_cuts(self, cells, log_p: np.ndarray, nearest: np.ndarray, state: str | None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the cut whose patches lie nearest the glyphs; but when that makes a
        plate of no format's length (the state's, when known) and one blob's other cut
        alone gives one, that cut (the cheapest such)."""
        rows, extra = [], []  # chosen patch rows; (cost, cell, rows) of the runner-up cuts
        k = 0
        for c, cell in enumerate(cells):
            spans = []
            for alt in cell:
                spans.append((float(nearest[k:k + len(alt)].mean()), list(range(k, k + len(alt)))))
                k += len(alt)
            best = min(range(len(spans)), key=lambda j: spans[j][0])
            rows.append(spans[best][1])
            extra += [(spans[j][0] - spans[best][0], c, spans[j][1]) for j in range(len(spans)) if j != best]
        targets = {format_length(state)} if state is not None else format_lengths()
        length = sum(len(r) for r in rows)
        if extra and length not in targets:
            fits = [e for e in extra if length - len(rows[e[1]]) + len(e[2]) in targets]
            if fits:
                _, c, alt_rows = min(fits)
                rows[c] = alt_rows
        chosen = [r for cell_rows in rows for r in cell_rows]
        return log_p[chosen], nearest[chosen]


@lru_cache(maxsize=2)
def default_recogniser() -> PlateRecogniser:
    """The reader with the default glyph bank (built once per process)."""
    return PlateRecogniser(default_bank())


def read_plate(image: np.ndarray) -> Reading:
    return default_recogniser().read(image)
