"""Drawing a state's plate flat, as it is made: typefaces, glyphs, colours, layout.

Typefaces: OpenCV 5 draws its "Hershey" font constants with a built-in sans face at
several weights, and also has 'uni' and 'italic'; TrueType faces shipped with matplotlib
(a dependency: DejaVu sans, mono and serif, Computer Modern sans, STIX
serif) add typefaces of other designs when installed. Characters are condensed
into plate boxes about half as wide as tall, as plate fonts are. ``PLATE_STYLES`` gives
each state in ``sim.plates.PLATE_FORMATS`` a simplified look (not a replica).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np

from sim.plates import PLATE_FORMATS

PLATE_W_M, PLATE_H_M = 0.305, 0.152  # a 12 x 6 inch US plate
CANON_W, CANON_H = 240, 120  # canonical plate drawing, pixels
_CHAR_H = 56  # character height on the canonical plate (2.75 in of 6 in, as in CA)
_CHAR_TOP = 36

# ---------------------------------------------------------------------------------
# Typefaces.

_DEJAVU = {"dejavu-sans-bold": "DejaVuSans-Bold.ttf", "dejavu-mono-bold": "DejaVuSansMono-Bold.ttf",
           "dejavu-mono": "DejaVuSansMono.ttf", "dejavu-serif-bold": "DejaVuSerif-Bold.ttf",
           "dejavu-sans": "DejaVuSans.ttf", "cm-sans": "cmss10.ttf",
           "stix-bold": "STIXGeneralBol.ttf"}
_BUILTIN = {"sans-400": ("sans", 400), "sans-600": ("sans", 600), "sans-800": ("sans", 800),
            "uni": ("uni", 0), "italic": ("italic", 400)}


def _dejavu_dir() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=1)
def available_faces() -> tuple[str, ...]:
    """Typeface keys this machine can draw (built-in ones always; DejaVu if installed)."""
    folder = _dejavu_dir()
    extra = tuple(k for k, f in _DEJAVU.items() if folder is not None and (folder / f).exists())
    return tuple(_BUILTIN) + extra


@cache
def _font(face: str) -> tuple[cv2.FontFace, int]:
    if face in _BUILTIN:
        name, weight = _BUILTIN[face]
        return cv2.FontFace(name), weight
    folder = _dejavu_dir()
    if face not in _DEJAVU or folder is None or not (folder / _DEJAVU[face]).exists():
        raise ValueError(f"typeface {face!r} is not available; available: {', '.join(available_faces())}")
    return cv2.FontFace(str(folder / _DEJAVU[face])), 0


def draw_text(img: np.ndarray, text: str, org: tuple[int, int], color, face: str, size_px: int) -> None:
    """Draw ``text`` with its baseline-left at ``org`` (in place)."""
    font, weight = _font(face)
    cv2.putText(img, text, org, color, font, int(size_px), weight)


@lru_cache(maxsize=4096)
def glyph_mask(face: str, char: str) -> np.ndarray:
    """One character's ink as float32 in [0, 1], cropped to its bounding box, ~96 px tall."""
    canvas = np.zeros((160, 160), np.uint8)
    draw_text(canvas, char, (24, 124), 255, face, 120)
    ys, xs = np.nonzero(canvas > 32)
    if len(ys) == 0:
        raise ValueError(f"typeface {face!r} has no glyph for {char!r}")
    mask = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255.0
    mask.setflags(write=False)
    return mask


@lru_cache(maxsize=8192)
def fitted_glyph(face: str, char: str, height: int, max_width: int, condense: float, bold: int) -> np.ndarray:
    """A glyph condensed into a plate box: ``height`` tall, ``condense`` x its natural
    width but at most ``max_width``, dilated ``bold`` pixels sideways."""
    mask = glyph_mask(face, char)
    width = int(np.clip(round(mask.shape[1] / mask.shape[0] * height * condense), 2, max_width))
    fitted = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)
    if bold:
        fitted = cv2.dilate(fitted, np.ones((1, 1 + 2 * bold), np.uint8))
    fitted.setflags(write=False)
    return fitted


# ---------------------------------------------------------------------------------
# Plate styles: colours, header, typeface and grouping per issuing state.


@dataclass(frozen=True)
class PlateStyle:
    """How one state's standard passenger plate looks (simplified, not a replica)."""

    state: str
    header: str
    header_face: str
    header_bgr: tuple[int, int, int]
    background_bgr: tuple[int, int, int]
    ink_bgr: tuple[int, int, int]
    face: str  # the characters' typeface (drawn condensed into plate boxes)
    groups: tuple[int, ...] = ()  # character groups when the text fits the state pattern
    separator: str = ""  # "", "dash", "dot", "emblem"
    separator_bgr: tuple[int, int, int] = (40, 40, 40)
    footer: str = ""
    condense: float = 0.78
    bold: int = 0


PLATE_STYLES: dict[str, PlateStyle] = {
    "CA": PlateStyle("CA", "California", "italic", (40, 30, 200), (242, 240, 238), (110, 40, 20),
                     "dejavu-mono-bold", footer="DMV.CA.GOV"),
    "NV": PlateStyle("NV", "NEVADA", "sans-600", (150, 90, 30), (235, 225, 205), (120, 50, 15), "sans-600",
                     (3, 4), "dot", (120, 50, 15), "HOME MEANS NEVADA"),
    "OR": PlateStyle("OR", "OREGON", "sans-600", (40, 110, 30), (230, 236, 232), (120, 60, 25), "sans-800",
                     (3, 3), "emblem", (40, 110, 30)),
    "AZ": PlateStyle("AZ", "ARIZONA", "sans-800", (40, 40, 120), (200, 225, 240), (30, 30, 100),
                     "dejavu-sans-bold", (3, 4), "", footer="GRAND CANYON STATE"),
    "TX": PlateStyle("TX", "TEXAS", "sans-800", (20, 20, 20), (238, 238, 238), (20, 20, 20), "dejavu-sans-bold",
                     (3, 4), "emblem", (20, 20, 20), "THE LONE STAR STATE"),
    "WA": PlateStyle("WA", "Washington", "sans-600", (140, 60, 20), (220, 215, 205), (140, 60, 20), "sans-600",
                     (3, 4), "dash", (140, 60, 20)),
    "GA": PlateStyle("GA", "GEORGIA", "sans-800", (30, 30, 30), (240, 245, 245), (30, 30, 30), "dejavu-mono-bold",
                     (3, 4), "", footer="IN GOD WE TRUST"),
    "FL": PlateStyle("FL", "FLORIDA", "sans-800", (60, 120, 20), (245, 245, 245), (50, 110, 20), "uni",
                     (3, 3), "emblem", (30, 140, 250), "SUNSHINE STATE", bold=1),
    "NY": PlateStyle("NY", "NEW YORK", "sans-800", (120, 50, 20), (200, 235, 245), (110, 40, 20), "sans-800",
                     (3, 4), "dash", (110, 40, 20), "EMPIRE STATE"),
}
assert set(PLATE_STYLES) == set(PLATE_FORMATS), "every plate format needs a style"


def _style(state: str) -> PlateStyle:
    try:
        style = PLATE_STYLES[state]
    except KeyError:
        raise ValueError(f"plate state {state!r} has no style; known: {', '.join(PLATE_STYLES)}") from None
    if style.face not in available_faces():  # DejaVu missing: fall back to a built-in face
        style = replace(style, face="sans-800")
    return style


@lru_cache(maxsize=64)
def _blank_plate(state: str) -> np.ndarray:
    """Background, frame, header and footer of a state's plate (no characters, stickers)."""
    s = _style(state)
    plate = np.empty((CANON_H, CANON_W, 3), np.uint8)
    plate[:] = s.background_bgr
    cv2.rectangle(plate, (1, 1), (CANON_W - 2, CANON_H - 2), (50, 50, 50), 3)
    size = 22 if s.header_face == "italic" else 17
    font, weight = _font(s.header_face)
    box = cv2.getTextSize((CANON_W, CANON_H), s.header, (0, 0), font, size, weight)
    draw_text(plate, s.header, ((CANON_W - box[2]) // 2, 27), s.header_bgr, s.header_face, size)
    if s.footer:
        font, weight = _font("sans-600")
        box = cv2.getTextSize((CANON_W, CANON_H), s.footer, (0, 0), font, 10, weight)
        draw_text(plate, s.footer, ((CANON_W - box[2]) // 2, CANON_H - 9), s.header_bgr, "sans-600", 10)
    plate.setflags(write=False)
    return plate


def _layout(text: str, style: PlateStyle) -> tuple[list[tuple[str, int, int]], list[int], int]:
    """Character boxes (char, x, width) and separator centres for ``text`` on ``style``."""
    fmt = PLATE_FORMATS.get(style.state)
    groups = style.groups if (style.groups and fmt is not None and len(text) == len(fmt.pattern)
                              and sum(style.groups) == len(text)) else (len(text),)
    n = len(text)
    sep_w = 22 if style.separator else 12
    gaps = (len(groups) - 1) * sep_w
    pitch = min(28.0, (CANON_W - 44 - gaps) / max(n, 1))
    box_w = int(pitch - 5)  # real plates leave about a quarter inch between characters
    total = n * pitch + gaps
    x = (CANON_W - total) / 2
    boxes, seps, k = [], [], 0
    for g, size in enumerate(groups):
        for _ in range(size):
            boxes.append((text[k], int(round(x + 1.5)), box_w))
            x += pitch
            k += 1
        if g < len(groups) - 1:
            seps.append(int(round(x + sep_w / 2)))
            x += sep_w
    return boxes, seps, box_w


def _luma(bgr: tuple[int, int, int]) -> int:
    return int(round(0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]))


@lru_cache(maxsize=64)
def _blank_plate_grey(state: str) -> np.ndarray:
    grey = cv2.cvtColor(_blank_plate(state), cv2.COLOR_BGR2GRAY)
    grey.setflags(write=False)
    return grey


def draw_plate(text: str, state: str = "CA", rng: np.random.Generator | None = None,
               grey: bool = False) -> np.ndarray:
    """The flat plate (CANON_H x CANON_W, BGR or grey) with ``text``; ``rng`` adds stickers."""
    style = _style(state)
    plate = (_blank_plate_grey(state) if grey else _blank_plate(state)).copy()

    def paint(bgr: tuple[int, int, int]):
        return _luma(bgr) if grey else bgr

    ink = np.float32(_luma(style.ink_bgr)) if grey else np.array(style.ink_bgr, np.float32)
    boxes, seps, _ = _layout(text, style)
    coverage = np.zeros((_CHAR_H, CANON_W), np.float32)  # the characters' ink, blended once
    for char, x, box_w in boxes:
        mask = fitted_glyph(style.face, char, _CHAR_H, box_w, style.condense, style.bold)
        x0 = x + (box_w - mask.shape[1]) // 2
        coverage[:, x0:x0 + mask.shape[1]] = np.maximum(coverage[:, x0:x0 + mask.shape[1]], mask)
    band = plate[_CHAR_TOP:_CHAR_TOP + _CHAR_H].astype(np.float32)
    m = coverage if grey else coverage[:, :, None]
    plate[_CHAR_TOP:_CHAR_TOP + _CHAR_H] = (band + (ink - band) * m).astype(np.uint8)
    mid = _CHAR_TOP + _CHAR_H // 2
    for cx in seps:
        if style.separator == "dash":
            cv2.rectangle(plate, (cx - 5, mid - 2), (cx + 5, mid + 2), paint(style.separator_bgr), -1)
        elif style.separator == "dot":
            cv2.circle(plate, (cx, mid), 3, paint(style.separator_bgr), -1, cv2.LINE_AA)
        elif style.separator == "emblem":
            pts = np.array([[cx, mid - 7], [cx + 5, mid + 5], [cx - 5, mid + 5]], np.int32)
            cv2.fillPoly(plate, [pts], paint(style.separator_bgr), cv2.LINE_AA)
    if rng is not None:
        # registration stickers in the upper corners, colours vary by year
        for x0 in (8, CANON_W - 38):
            if rng.random() < 0.8:
                colour = tuple(int(c) for c in rng.integers(30, 230, size=3))
                cv2.rectangle(plate, (x0, 7), (x0 + 30, 26), paint(colour), -1)
    return plate
