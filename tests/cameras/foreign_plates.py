"""A second plate renderer, independent of ``cameras.plate_drawing``: Pillow, a typeface
the recogniser never saw, another layout, as a new user would draw test plates.

Characters are drawn with Pillow's own embedded typeface (Aileron Regular, a Helvetica-
like sans; ``PIL.ImageFont.load_default``), which is not among the recogniser's glyph
sources (OpenCV's built-in faces and matplotlib's TTFs). The plate is white with dark
blue characters at their natural widths, a thin border and a header word; the picture
is rotated a little, blurred a little and shrunk to a camera's crop size. Nothing here
imports from ``cameras``.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

PLATE_W, PLATE_H = 300, 150


def foreign_typeface() -> str:
    """The name of the typeface these plates are drawn in."""
    return " ".join(ImageFont.load_default(size=20).getname())


def draw_foreign_plate(text: str, rng: np.random.Generator, bold: bool = False) -> np.ndarray:
    """A grey crop (uint8) around a plate reading ``text``, drawn by Pillow."""
    img = Image.new("L", (PLATE_W, PLATE_H), 238)
    draw = ImageDraw.Draw(img)
    draw.rectangle((2, 2, PLATE_W - 3, PLATE_H - 3), outline=70, width=3)
    header = ImageFont.load_default(size=22)
    box = draw.textbbox((0, 0), "STATE", font=header)
    draw.text(((PLATE_W - (box[2] - box[0])) / 2, 10), "STATE", font=header, fill=90)
    size = int(rng.integers(66, 80))
    font = ImageFont.load_default(size=size)
    box = draw.textbbox((0, 0), text, font=font, stroke_width=1 if bold else 0)
    width = box[2] - box[0]
    if width > PLATE_W - 30:  # too wide: draw smaller
        font = ImageFont.load_default(size=int(size * (PLATE_W - 30) / width))
        box = draw.textbbox((0, 0), text, font=font, stroke_width=1 if bold else 0)
    x = (PLATE_W - (box[2] - box[0])) / 2 - box[0]
    y = 48 + (80 - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), text, font=font, fill=40, stroke_width=1 if bold else 0, stroke_fill=40)
    plate = np.asarray(img, np.float32)
    # on a darker bumper, mildly rotated, blurred, shrunk to a camera crop
    canvas = np.full((PLATE_H * 2, int(PLATE_W * 1.6)), float(rng.uniform(60, 140)), np.float32)
    y0, x0 = PLATE_H // 2, int(PLATE_W * 0.3)
    canvas[y0:y0 + PLATE_H, x0:x0 + PLATE_W] = plate
    angle = float(rng.uniform(-4, 4))
    centre = (canvas.shape[1] / 2, canvas.shape[0] / 2)
    rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
    canvas = cv2.warpAffine(canvas, rot, (canvas.shape[1], canvas.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(0.6, 1.6)))
    plate_h_px = float(rng.uniform(44, 70))
    scale = plate_h_px / PLATE_H
    small = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small += rng.normal(0, 2.0, small.shape).astype(np.float32)
    return np.clip(small, 0, 255).astype(np.uint8)


def random_ca_plates(rng: np.random.Generator, n: int) -> list[str]:
    """California-layout texts (digit, three letters, three digits; no I, O or Q)."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return ["".join([str(rng.integers(1, 10)), *(letters[i] for i in rng.integers(0, len(letters), 3)),
                     *(str(d) for d in rng.integers(0, 10, 3))]) for _ in range(n)]
