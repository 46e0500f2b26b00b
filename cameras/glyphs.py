"""The recogniser's "training": glyphs of every typeface, degraded, in a discriminant space.

``patch_features`` turns a character patch (dark ink on light, cut out of the upright
strip the reader builds) into pixels plus edge-orientation histograms. ``build_glyph_bank``
draws every character in every available typeface many times with random degradations
(size, blur, motion, contrast, noise) and, in half the samples, shape changes (condensed
to expanded widths, thinner and bolder strokes, slant), cuts each out the way
the reader cuts characters, and learns PCA followed by Fisher's linear discriminant on
the result. ``cameras.training`` adds characters cut from camera pictures and builds
the default bank (cached).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from cameras.plate_drawing import available_faces, fitted_glyph
from sim.plates import ALPHABET

FEAT_W, FEAT_H = 18, 32  # character patch size for matching
STRIP_CHAR_H = 40  # character height in the reader's upright strip
_BANK_SEED = 20240402


# ---------------------------------------------------------------------------------
# Character patches -> feature vectors (shared by the bank and the reader).


def patch_features(patches: list[np.ndarray]) -> np.ndarray:
    """Grey patches (dark ink on light, each cropped to one character) -> feature rows.

    Ink is made bright and stretched to [0, 1]; the patch is scaled to FEAT_H keeping its
    aspect (a narrow '1' stays narrow), centred, and the vector is centred and unit-length.
    """
    out = np.zeros((len(patches), FEAT_H, FEAT_W), np.float32)
    for i, patch in enumerate(patches):
        ink = 255.0 - patch.astype(np.float32)
        if ink.size > 4:
            ranked = np.partition(ink.ravel(), (ink.size // 10, ink.size * 19 // 20))
            lo, hi = ranked[ink.size // 10], ranked[ink.size * 19 // 20]
        else:
            lo, hi = 0.0, 1.0
        ink = np.minimum(np.maximum((ink - lo) * (1.0 / max(hi - lo, 8.0)), 0), 1)
        h, w = ink.shape
        width = min(max(round(FEAT_H * w / max(h, 1)), 2), FEAT_W)
        small = cv2.resize(ink, (width, FEAT_H), interpolation=cv2.INTER_AREA)
        x0 = (FEAT_W - width) // 2
        out[i, :, x0:x0 + width] = small
    flat = out.reshape(len(patches), -1)
    flat -= flat.mean(axis=1, keepdims=True)
    flat /= np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6)
    return np.hstack([flat, _gradient_histograms(out)])


def _gradient_histograms(images: np.ndarray, bins: int = 6, cell: tuple[int, int] = (4, 3)) -> np.ndarray:
    """HOG-like features: unsigned edge orientations, magnitude-weighted, per cell.

    Edges tell a D's straight side from an O's curve better than raw ink does."""
    n, h, w = images.shape
    gy = np.zeros_like(images)
    gx = np.zeros_like(images)
    gy[:, 1:-1] = images[:, 2:] - images[:, :-2]
    gx[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    magnitude = np.hypot(gx, gy)
    orientation = (np.arctan2(gy, gx) % np.pi) * (bins / np.pi)
    b = np.minimum(orientation.astype(np.int64), bins - 1)
    ch, cw = cell
    rows_c, cols_c = h // ch, w // cw
    rows = (np.arange(h) // ch).clip(max=rows_c - 1)
    cols = (np.arange(w) // cw).clip(max=cols_c - 1)
    cell_of_pixel = (rows[:, None] * cols_c + cols[None, :]).ravel() * bins  # (h*w,)
    per_image = rows_c * cols_c * bins
    index = (np.arange(n)[:, None] * per_image + cell_of_pixel[None, :] + b.reshape(n, -1)).ravel()
    hist = np.bincount(index, weights=magnitude.ravel(), minlength=n * per_image).astype(np.float32)
    flat = hist.reshape(n, -1)
    flat = np.sqrt(flat)  # damp strong edges, as HOG's block normalisation does
    flat -= flat.mean(axis=1, keepdims=True)
    flat /= np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6)
    return flat


# ---------------------------------------------------------------------------------
# The glyph bank: the "training" of the classifier, done at first use.


@dataclass(frozen=True)
class GlyphBank:
    """The kNN reference set: glyph features in a discriminant space, and their symbols.

    ``projection`` is PCA followed by Fisher's linear discriminant (whitened within-class
    scatter), learnt from the bank itself; distances there are Euclidean.
    """

    mean: np.ndarray  # (D,)
    projection: np.ndarray  # (D, K)
    vectors: np.ndarray  # (N, K), grouped by label, the same count per label
    labels: np.ndarray  # (N,) int16: index into ALPHABET
    faces: tuple[str, ...]
    sq_norms: np.ndarray = field(default=None, repr=False)  # (N,) |v|^2, derived

    def __post_init__(self) -> None:
        if self.sq_norms is None:
            object.__setattr__(self, "sq_norms", (self.vectors * self.vectors).sum(axis=1))

    def project(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) @ self.projection).astype(np.float32)


def _degraded_glyph(face: str, char: str, rng: np.random.Generator, vary_shape: bool = True) -> np.ndarray:
    """One training patch: a glyph drawn small, blurred and noisy, then upsampled and cut out
    the way the reader cuts characters out of a strip.

    With ``vary_shape`` the shape itself is varied too, so that the reader learns
    characters rather than one typeface's drawing of them: condensed to expanded widths,
    thinner and bolder strokes, a stronger slant either way. Without it, the glyph keeps
    its typeface's shape, condensed into a plate box (the fine differences between, say,
    a plate font's 0 and O survive in those samples)."""
    height = int(rng.integers(9, 34))
    # plate fonts are condensed into boxes about half as wide as tall; other typefaces
    # (and vanity or older plates) are drawn at their natural width or wider
    condense = float(rng.uniform(0.5, 1.25) if vary_shape else rng.uniform(0.6, 0.95))
    max_width = int(96 * (rng.uniform(0.3, 0.95) if vary_shape else rng.uniform(0.3, 0.7)))
    mask = fitted_glyph(face, char, 96, max_width, condense, int(rng.integers(0, 3)))
    # pixels at 96 px tall: thinner (erode) or bolder (dilate)
    stroke = int(rng.integers(-2, 4)) if vary_shape else 0
    if stroke:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(stroke) + 1, 2 * abs(stroke) + 1))
        if stroke > 0:  # bolder, with room to grow
            mask = cv2.dilate(cv2.copyMakeBorder(mask, stroke, stroke, stroke, stroke, cv2.BORDER_CONSTANT,
                                                 value=0), kernel)
        else:  # thinner; a hairline face eroded away would teach blanks, so keep it then
            thinner = cv2.erode(mask, kernel)
            mask = thinner if thinner.sum() > 0.4 * mask.sum() else mask
    shear = float(np.clip(rng.normal(0, 0.09 if vary_shape else 0.06), -0.25, 0.25))
    pad = 12
    canvas = np.zeros((mask.shape[0] + 2 * pad, mask.shape[1] + 2 * pad + 20), np.float32)
    canvas[pad:pad + mask.shape[0], pad + 10:pad + 10 + mask.shape[1]] = mask
    warp = np.float32([[1, shear, -shear * canvas.shape[0] / 2], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, warp, (canvas.shape[1], canvas.shape[0]))
    scale = height / mask.shape[0]
    small = cv2.resize(canvas, (max(4, int(canvas.shape[1] * scale)), max(4, int(canvas.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    blur = float(rng.uniform(0.0, 1.1))
    if blur > 0.3:
        small = cv2.GaussianBlur(small, (0, 0), blur)
    motion = float(rng.uniform(0, 0.15)) * height
    if motion >= 1.0:
        k = np.zeros((int(motion) | 1, 1), np.float32) + 1.0
        small = cv2.filter2D(small, -1, k / k.sum())
    contrast = float(rng.uniform(0.35, 1.0))
    grey = 220.0 - 200.0 * contrast * small + rng.normal(0, rng.uniform(0, 10), small.shape)
    up = STRIP_CHAR_H / height
    grey = cv2.resize(np.clip(grey, 0, 255).astype(np.uint8), None, fx=up, fy=up, interpolation=cv2.INTER_LINEAR)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n < 2:
        return grey
    big = stats[1:, cv2.CC_STAT_HEIGHT] >= 0.4 * stats[1:, cv2.CC_STAT_HEIGHT].max()
    boxes = stats[1:][big]
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return grey[y0:y1, x0:x1]


def build_glyph_bank(faces: tuple[str, ...] | None = None, per_glyph: int = 20, pca_dims: int = 128,
                     lda_dims: int = 35, shrinkage: float = 0.1, seed: int = _BANK_SEED,
                     extra: tuple[list[np.ndarray], np.ndarray] | None = None) -> GlyphBank:
    """Draw every character in every typeface ``per_glyph`` times with random degradations,
    and learn the discriminant projection the reader matches in.

    ``extra`` adds reference patches cut from pictures (``cameras.training``): (patches,
    labels), the same count for every label."""
    faces = faces if faces is not None else available_faces()
    faces = tuple(f for f in faces if f != "italic")  # plates are upright
    rng = np.random.default_rng(seed)
    extra_by_label: list[list[np.ndarray]] = [[] for _ in ALPHABET]
    if extra is not None:
        for patch, label in zip(extra[0], extra[1], strict=True):
            extra_by_label[int(label)].append(patch)
        if len({len(group) for group in extra_by_label}) > 1:
            raise ValueError("build_glyph_bank: extra patches need the same count for every label")
    patches, labels = [], []
    for label, char in enumerate(ALPHABET):  # grouped by label: per-class scores are a reshape
        for face in faces:
            for k in range(per_glyph):
                patches.append(_degraded_glyph(face, char, rng, vary_shape=k % 2 == 1))
                labels.append(label)
        patches += extra_by_label[label]
        labels += [label] * len(extra_by_label[label])
    feats = patch_features(patches).astype(np.float64)
    y = np.asarray(labels, np.int16)
    mean = feats.mean(axis=0)
    centred = feats - mean
    if len(centred) < centred.shape[1]:  # PCA: an SVD of few samples, or the scatter's eigenvectors
        pca = np.linalg.svd(centred, full_matrices=False)[2][:pca_dims].T
    else:
        pca = np.linalg.eigh(centred.T @ centred)[1][:, ::-1][:, :pca_dims]
    pca_dims = pca.shape[1]
    x = centred @ pca
    class_means = np.stack([x[y == c].mean(axis=0) for c in range(len(ALPHABET))])
    within = x - class_means[y]
    scatter = within.T @ within / len(x)
    scatter += shrinkage * np.trace(scatter) / pca_dims * np.eye(pca_dims)  # shrink: few samples per class
    values, vectors = np.linalg.eigh(scatter)
    whiten = vectors / np.sqrt(values)
    spread = (class_means - class_means.mean(axis=0)) @ whiten
    _, directions = np.linalg.eigh(spread.T @ spread)
    projection = (pca @ whiten @ directions[:, ::-1][:, :lda_dims]).astype(np.float32)
    bank = GlyphBank(mean.astype(np.float32), projection, np.empty((0, lda_dims), np.float32), y, faces)
    return GlyphBank(bank.mean, projection, bank.project(feats.astype(np.float32)), y, faces)
