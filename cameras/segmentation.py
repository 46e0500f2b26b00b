"""Find a plate's characters in a camera crop: localise the row, straighten it, cut it up.

The reader's first two stages (``cameras.recogniser`` classifies what they cut out; the
glyph bank's camera samples, ``cameras.training``, are cut out here the same way):

1. localise: binarise dark-on-light detail (adaptive threshold), keep blobs shaped like
   characters, and take the largest row of blobs of similar height as the plate's
   characters; fit lines through their tops and bottoms and warp that band to an
   upright strip (this undoes perspective and roll);
2. segment: binarise the strip again, keep blobs of character height, join the pieces of
   broken characters and split blobs that hold two; a blob that may be one wide
   character or two touching ones keeps both cuts (the classifier picks).
"""

from __future__ import annotations

import cv2
import numpy as np

from cameras.glyphs import STRIP_CHAR_H

__all__ = ["Box", "Cell", "character_cells", "flatten_illumination", "localise", "segment", "segment_cells",
           "segment_flat"]

_STRIP_PAD = 7
_FIND_H = 110  # localisation works on crops scaled down to this height
_PATCH_PAD = 1  # pixels of strip kept around each character box



def _char_blobs(binary: np.ndarray, min_h: float, max_h: float) -> np.ndarray:
    """(n, 5) x, y, w, h, area of blobs shaped like characters."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    s = stats[1:]
    w, h, area = s[:, 2], s[:, 3], s[:, 4]
    # up to four touching characters make one wide blob at low resolution
    keep = (h >= min_h) & (h <= max_h) & (w <= 4.5 * h) & (w >= 1) & (area >= 0.12 * w * h)
    return s[keep]


def _median(values) -> float:
    """Median of a short sequence (np.median's overhead dominates at this size)."""
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    xm, ym = x.mean(), y.mean()
    dx = x - xm
    slope = float((dx * (y - ym)).sum() / max((dx * dx).sum(), 1e-9))
    return slope, float(ym - slope * xm)


def _binarisations(smooth: np.ndarray, block: int):
    """Dark detail on light, two ways: a local mean threshold, and a black-hat (which
    ignores shadows and dark regions wider than a stroke)."""
    yield cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 6)
    size = max(5, block // 3) | 1
    hat = cv2.morphologyEx(smooth, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    yield cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _best_row(blobs: np.ndarray) -> tuple[np.ndarray, float]:
    """The row of similar-height, aligned blobs with the most ink (height squared, per
    character; a wide blob counts as the characters it holds), three characters at least."""
    if len(blobs) < 2:
        return blobs[:0], 0.0
    h = blobs[:, 3].astype(np.float32)
    cy = blobs[:, 1] + h / 2
    cx = blobs[:, 0] + blobs[:, 2] / 2.0
    count = np.maximum(1.0, np.round(blobs[:, 2] / (0.6 * h)))  # touching characters count
    weight = h ** 2 * count
    members = (np.abs(h[None, :] - h[:, None]) <= 0.28 * h[:, None]) & (
        np.abs(cy[None, :] - cy[:, None]) <= 0.45 * h[:, None])
    potential = members @ weight
    best, best_score = blobs[:0], 0.0
    seen: set[bytes] = set()
    for i in np.argsort(-potential):
        if potential[i] <= best_score:
            break  # no later row can beat the best one
        member = members[i]
        key = member.tobytes()
        if key in seen or member.sum() < 2:
            continue
        seen.add(key)
        # a plate row is compact: keep the larger side of a wide gap between blobs
        xs = np.sort(cx[member])
        gaps = np.diff(xs)
        if gaps.max() > 3.5 * h[i]:
            cut = int(np.argmax(gaps))
            lo, hi = (xs[0], xs[cut]) if cut + 1 >= len(xs) - cut - 1 else (xs[cut + 1], xs[-1])
            member = member & (cx >= lo) & (cx <= hi)
        score = float(member @ weight)
        if float(member @ count) >= 3 and score > best_score:
            best, best_score = blobs[member], score
    return best, best_score


def localise(gray: np.ndarray) -> np.ndarray | None:
    """The characters' band as an upright strip (STRIP_CHAR_H tall characters), or None."""
    # find the row on a copy at most _FIND_H tall (cheaper); warp from the full image
    shrink = min(1.0, _FIND_H / gray.shape[0])
    small = gray if shrink == 1.0 else cv2.resize(gray, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    h_img = small.shape[0]
    block = max(11, int(h_img * 0.35) | 1)
    smooth = cv2.GaussianBlur(small, (3, 3), 0)
    best, best_score = None, 0.0
    for binary in _binarisations(smooth, block):
        row, score = _best_row(_char_blobs(binary, max(5, 0.08 * h_img), 0.75 * h_img))
        if len(row) and score > best_score:
            best, best_score = row, score
    if best is None:
        return None
    x, y, w, h = (best[:, k].astype(np.float64) / shrink for k in range(4))
    cx = x + w / 2
    char_h = _median(h)
    if len(best) >= 3 and np.ptp(cx) > 0:
        top = _line_fit(cx, y)
        bottom = _line_fit(cx, y + h)
    else:
        top, bottom = (0.0, float(y.min())), (0.0, float((y + h).max()))
    slope = (top[0] + bottom[0]) / 2
    # the band's sides are perpendicular to the text line
    x_left, x_right = x.min() - 0.5 * char_h, (x + w).max() + 0.5 * char_h
    pts = []
    for xe, line, pad in ((x_left, top, -1), (x_right, top, -1), (x_right, bottom, 1), (x_left, bottom, 1)):
        ye = line[0] * xe + line[1] + pad * 0.12 * char_h
        pts.append((xe, ye))
    src = np.array(pts, np.float32)
    # shift the bottom corners along the text line's normal so sides stay perpendicular
    normal_dx = -slope * (src[3, 1] - src[0, 1])
    src[2, 0] += normal_dx
    src[3, 0] += normal_dx
    band_h = STRIP_CHAR_H * 1.24
    scale = band_h / max(np.mean([src[3, 1] - src[0, 1], src[2, 1] - src[1, 1]]), 1.0)
    width = int(min(max((x_right - x_left) * scale, 20), 600))
    dst = np.array([[0, _STRIP_PAD], [width, _STRIP_PAD], [width, _STRIP_PAD + band_h],
                    [0, _STRIP_PAD + band_h]], np.float32)
    out_h = int(band_h + 2 * _STRIP_PAD)
    return cv2.warpPerspective(gray, cv2.getPerspectiveTransform(src, dst), (width, out_h),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


_FLAT_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (STRIP_CHAR_H // 2 | 1, STRIP_CHAR_H // 2 | 1))


def flatten_illumination(strip: np.ndarray) -> np.ndarray:
    """Divide by the plate's own brightness (a closing wider than any stroke), so that a
    shadow edge or a glare gradient across the plate does not move the threshold."""
    background = cv2.morphologyEx(strip, cv2.MORPH_CLOSE, _FLAT_KERNEL)
    background = cv2.blur(background, (STRIP_CHAR_H // 4 | 1, STRIP_CHAR_H // 4 | 1))
    return cv2.divide(strip, np.maximum(background, 1), scale=255)


def segment(strip: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Character boxes (x, y, w, h) left to right in an upright strip."""
    return segment_flat(flatten_illumination(strip))


def segment_flat(flat: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Character boxes in a strip whose illumination is already flattened (every
    ambiguous wide blob cut into the characters its width suggests)."""
    return [box for cell in segment_cells(flat) for box in cell[0]]


Box = tuple[int, int, int, int]
Cell = list[list[Box]]  # alternative readings of one blob: itself, or the characters it holds


def segment_cells(flat: np.ndarray) -> list[Cell]:
    """Blobs left to right, each with its alternative cuts (the first is the default).

    Thresholds a little either side of Otsu's level are tried (a darker one keeps the
    blurred gaps between characters open, a lighter one keeps faint strokes whole) and
    the most plausible row of characters is kept. A blob a little wider than the row's
    characters is either one wide character (an M or a W in a typeface that is not
    condensed) or two touching ones: both cuts are kept, and the classifier decides."""
    otsu, _ = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    lo = float(np.partition(flat.ravel(), flat.size // 50)[flat.size // 50])
    best, best_score = [], -1.0
    for factor in (0.85, 0.7, 1.0):
        _, binary = cv2.threshold(flat, lo + factor * (otsu - lo), 255, cv2.THRESH_BINARY_INV)
        cells, splits = _cells(binary)
        boxes = [box for cell in cells for box in cell[0]]
        score = _row_plausibility(boxes) - 0.5 * splits
        if score > best_score + 0.25:
            best, best_score = cells, score
        if splits == 0 and score >= 6 and len(boxes) == score:
            break  # every blob is a plausible character: look no further
    return best


def _row_plausibility(boxes: list[tuple[int, int, int, int]]) -> float:
    """How much a set of boxes looks like a plate's characters: count of boxes of the
    common height and a character's width, up to a plate's length."""
    if not boxes:
        return 0.0
    h = np.array([b[3] for b in boxes], np.float32)
    w = np.array([b[2] for b in boxes], np.float32)
    typical = _median(h)
    good = (np.abs(h - typical) <= 0.15 * typical) & (w >= 0.12 * h) & (w <= 0.75 * h)
    return float(min(good.sum(), 8)) - 0.5 * max(0, len(boxes) - 8)


def _cells(binary: np.ndarray) -> tuple[list[Cell], int]:
    """Character cells in one binarised strip, and how many blobs had to be cut apart."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    s = stats[1:]
    height, width = binary.shape
    # frame edges and bolts touch the strip's ends or run its whole height
    keep = ((s[:, 3] >= 0.3 * STRIP_CHAR_H) & (s[:, 3] <= 1.3 * STRIP_CHAR_H) & (s[:, 4] >= 12)
            & (s[:, 0] > 0) & (s[:, 0] + s[:, 2] < width) & ~((s[:, 1] == 0) & (s[:, 1] + s[:, 3] >= height)))
    s = s[keep]
    if not len(s):
        return [], 0
    s = s[np.argsort(s[:, 0])]
    # pieces of a character: blobs that overlap another blob horizontally are joined
    boxes: list[list[int]] = []
    for x, y, w, h, _ in s:
        if boxes:
            bx, by, bw, bh = boxes[-1]
            overlap = min(bx + bw, x + w) - max(bx, x)
            if overlap > 0.5 * min(w, bw):
                nx, ny = min(bx, x), min(by, y)
                boxes[-1] = [nx, ny, max(bx + bw, x + w) - nx, max(by + bh, y + h) - ny]
                continue
        boxes.append([int(x), int(y), int(w), int(h)])
    boxes = _join_slivers(boxes)
    tall = _drop_frame_edges([tuple(b) for b in boxes if b[3] >= 0.62 * STRIP_CHAR_H])
    if not tall:
        return [], 0
    # plate fonts are condensed: a character is about half as wide as tall; wider blobs
    # are touching characters (common at low resolution), cut where the ink is thinnest
    single = [b[2] for b in tall if 0.25 * b[3] < b[2] < 0.72 * b[3]]
    unit = min(max(_median(single), 0.3 * STRIP_CHAR_H), 0.6 * STRIP_CHAR_H) if single else 0.5 * STRIP_CHAR_H
    gap = 0.06 * STRIP_CHAR_H
    result: list[Cell] = []
    splits = 0
    for x, y, w, h in tall:
        parts = max(1, int(round((w + gap) / (unit + gap)))) if w > 1.4 * unit else 1
        if parts > 1:  # touching characters: cut at the thinnest columns
            splits += parts - 1
            cut = _cut(binary, (x, y, w, h), parts)
            # one fewer character than the width suggests, when it may be a wide one
            # (an M or W of a typeface that is not condensed is up to 1.4 times as wide
            # as tall): the classifier decides between the cuts
            fewer = parts - 1
            if w - (fewer - 1) * (unit + gap) <= 1.45 * h:
                result.append([cut, _cut(binary, (x, y, w, h), fewer) if fewer > 1 else [(x, y, w, h)]])
            else:
                result.append([cut])
        else:
            result.append([[(x, y, w, h)]])
    return result, splits


def _cut(binary: np.ndarray, box: Box, parts: int) -> list[Box]:
    """A blob of ``parts`` touching characters, cut near equal divisions where ink is thinnest."""
    x, y, w, h = box
    cols = (binary[y:y + h, x:x + w] > 0).sum(axis=0).astype(np.float32)
    cuts = []
    for k in range(1, parts):
        centre = k * w / parts
        # plate fonts are near monospace: cut near the equal division, where ink is thinnest
        lo, hi = max(1, int(centre - 0.2 * w / parts)), min(w - 1, int(centre + 0.2 * w / parts) + 1)
        if hi <= lo:
            cuts.append(int(centre))
            continue
        cost = cols[lo:hi] + 0.15 * h * np.abs(np.arange(lo, hi) - centre) / max(w / parts, 1)
        cuts.append(lo + int(np.argmin(cost)))
    edges = [0, *cuts, w]
    return [(x + a, y, b - a, h) for a, b in zip(edges[:-1], edges[1:], strict=True) if b - a > 1]


def _join_slivers(boxes: list[list[int]]) -> list[list[int]]:
    """Join a thin sliver to the neighbour it touches when the two still make one
    character's width: the outer strokes of an M or a W break off first in a blur."""
    out: list[list[int]] = []
    for box in boxes:
        if out:
            bx, by, bw, bh = out[-1]
            x, y, w, h = box
            gap = x - (bx + bw)
            thin = min(w, bw) < 0.2 * max(h, bh)
            if thin and gap <= 0.04 * STRIP_CHAR_H and (x + w - bx) <= 0.62 * max(h, bh):
                ny = min(by, y)
                out[-1] = [bx, ny, x + w - bx, max(by + bh, y + h) - ny]
                continue
        out.append(list(box))
    return out


def _drop_frame_edges(boxes: list[Box]) -> list[Box]:
    """A thin blob at either end that is set apart by much more than the characters'
    spacing, or does not line up with the row's tops and bottoms, is the plate frame's
    edge, not a '1'."""
    if len(boxes) < 4:
        return boxes
    top = _median([b[1] for b in boxes])
    bottom = _median([b[1] + b[3] for b in boxes])
    char_h = bottom - top

    def frame_like(box: Box, gap: float) -> bool:
        if box[2] >= 0.3 * box[3]:
            return False
        off_row = max(abs(box[1] - top), abs(box[1] + box[3] - bottom)) > 0.12 * char_h
        hairline = box[2] <= 0.05 * box[3]  # thinner than any character's stroke
        return off_row or hairline or gap > 2.5 * typical + 2

    gaps = [b[0] - (a[0] + a[2]) for a, b in zip(boxes[:-1], boxes[1:], strict=True)]
    typical = max(_median(gaps[1:-1]), 0.06 * STRIP_CHAR_H)
    if frame_like(boxes[0], gaps[0]):
        boxes, gaps = boxes[1:], gaps[1:]
    if frame_like(boxes[-1], gaps[-1]):
        boxes = boxes[:-1]
    return boxes


def character_cells(image: np.ndarray) -> list[list[list[np.ndarray]]] | None:
    """The character patches of one crop (BGR or grey), cut from the flattened upright
    strip: per blob, its alternative cuts, each a list of patches (the first cut is the
    default); None when no plate row is found."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    strip = localise(gray)
    if strip is None:
        return None
    strip = flatten_illumination(strip)
    pad = _PATCH_PAD
    h_s, w_s = strip.shape
    return [[[strip[max(0, y - pad):min(h_s, y + h + pad), max(0, x - pad):min(w_s, x + w + pad)]
              for x, y, w, h in alternative] for alternative in cell] for cell in segment_cells(strip)]
