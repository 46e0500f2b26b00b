"""Plate images: draw a state's plate with OpenCV and photograph it the way a pole camera does.

``render_plate(text, params, seed, state)`` returns a BGR uint8 crop around the plate
(grey with ``colour=False``), as a vehicle detector would hand it to the plate reader.
The picture goes through, in order: the flat plate (``cameras.plate_drawing``: state
style, condensed glyphs, header, stickers) on a car's bumper, perspective
(yaw, pitch, roll, at an apparent plate height in pixels), lighting (day exposure and
shadows, or night infrared with a dark scene, a dimmer plate and headlight glare), motion
blur from speed and exposure time, focus blur, rain, sensor noise and JPEG compression.
Every random choice comes from the generator made from ``seed``, so the same seed gives
the same image, byte for byte.

Conditions are named profiles (``CONDITION_PROFILES``): ranges from which ``sample_params``
draws one picture's parameters. The four fast-model conditions (``cameras.misread
.CONDITIONS``) have a profile each; ``clean`` is a frontal, sharp, well-lit plate. The
chosen ranges, and why, are in the comment above ``CONDITION_PROFILES``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import cv2
import numpy as np

from cameras.plate_drawing import CANON_H, CANON_W, PLATE_H_M, PLATE_STYLES, PLATE_W_M, draw_plate

__all__ = ["CLEAN", "CONDITION_PROFILES", "PLATE_STYLES", "ConditionProfile", "RenderParams", "condition_profile",
           "parse_params", "render_plate", "sample_params"]


# ---------------------------------------------------------------------------------
# Picture parameters and condition profiles.


@dataclass(frozen=True)
class RenderParams:
    """One picture's conditions. Angles in degrees; intensities in 0..1 unless noted."""

    plate_height_px: float = 64.0  # apparent plate height in the crop
    yaw_deg: float = 0.0  # horizontal viewing angle
    pitch_deg: float = 0.0  # camera looking down
    roll_deg: float = 0.0
    speed_mps: float = 0.0
    exposure_s: float = 1 / 2000
    focus_sigma_px: float = 0.3
    light: float = 1.0  # plate brightness (exposure; retro-reflection at night)
    ambient: float = 1.0  # scene brightness around the plate
    shadow: float = 0.0  # darkness of a shadow band across the plate (day)
    glare: float = 0.0  # headlight glare strength (night)
    rain: float = 0.0
    noise_sigma: float = 1.0  # sensor noise, 8-bit grey levels
    jpeg_quality: int = 95
    infrared: bool = False  # night cameras see in monochrome infrared

    def motion_blur_px(self) -> float:
        """Blur length: the plate's motion across the image during the exposure.

        A car moving along the road, seen along a line of sight at pitch and yaw, moves
        across the image at speed * sin(angle between road and line of sight).
        """
        cos_a = np.cos(np.radians(self.pitch_deg)) * np.cos(np.radians(self.yaw_deg))
        px_per_m = self.plate_height_px / PLATE_H_M
        return float(self.speed_mps * self.exposure_s * px_per_m * np.sqrt(max(0.0, 1 - cos_a * cos_a)))


CLEAN = RenderParams()


@dataclass(frozen=True)
class ConditionProfile:
    """Ranges one condition draws pictures from (uniform unless said otherwise).

    ``p_rain``, ``p_shadow`` and ``p_glare`` are chances per picture; exposures are
    log-uniform; yaw and roll are normal with the given spread, clipped to +-2 spreads.
    """

    name: str
    plate_height_px: tuple[float, float]
    yaw_sd_deg: float
    pitch_deg: tuple[float, float]
    roll_sd_deg: float
    speed_mps: tuple[float, float]
    exposure_s: tuple[float, float]
    focus_sigma_px: tuple[float, float]
    light: tuple[float, float]
    ambient: tuple[float, float]
    noise_sigma: tuple[float, float]
    jpeg_quality: tuple[int, int]
    p_shadow: float = 0.0
    p_glare: float = 0.0
    glare: tuple[float, float] = (0.0, 0.0)
    p_rain: float = 0.0
    infrared: bool = False


# The conditions, tuned (cameras.calibration) so that day reads land near the ~10% plate
# errors reported for deployed engines (FACTS.md, IPVM, unconfirmed) and night reads are
# worse. Shared by all four: plates 24-60 px tall (a 12 in plate at 5-15 m for a pole
# camera), yaw spread 12 deg, camera looking down 5-25 deg, roll spread 2.5 deg, JPEG
# quality 40-90, 8% of pictures in rain. "fast" means 20-35 m/s, else 4-20 m/s.
_DAY = dict(plate_height_px=(24, 60), yaw_sd_deg=12.0, pitch_deg=(5, 25), roll_sd_deg=2.5,
            exposure_s=(1 / 1500, 1 / 600),  # daylight shutter
            focus_sigma_px=(0.3, 0.9), light=(0.7, 1.15), ambient=(0.6, 1.2), noise_sigma=(1.5, 5.0),
            jpeg_quality=(40, 90), p_shadow=0.2, p_rain=0.08)
_NIGHT = dict(plate_height_px=(24, 60), yaw_sd_deg=12.0, pitch_deg=(5, 25), roll_sd_deg=2.5,
              exposure_s=(1 / 1000, 1 / 400),  # longer under infrared flash: more motion blur
              focus_sigma_px=(0.4, 0.9), light=(0.35, 0.8),  # retro-reflective plate, dimmer
              ambient=(0.08, 0.3),  # dark street
              noise_sigma=(3.0, 8.0),  # sensor gain
              jpeg_quality=(40, 90), p_glare=0.35, glare=(0.1, 0.6),  # headlights in a third
              p_rain=0.08, infrared=True)
CONDITION_PROFILES: dict[str, ConditionProfile] = {
    "clean": ConditionProfile("clean", plate_height_px=(56, 72), yaw_sd_deg=0.0, pitch_deg=(0, 0), roll_sd_deg=0.0,
                              speed_mps=(0, 0), exposure_s=(1 / 4000, 1 / 4000), focus_sigma_px=(0.3, 0.3),
                              light=(1.0, 1.0), ambient=(1.0, 1.0), noise_sigma=(1.0, 1.0), jpeg_quality=(95, 95)),
    "day": ConditionProfile("day", speed_mps=(4, 20), **_DAY),
    "day_fast": ConditionProfile("day_fast", speed_mps=(20, 35), **_DAY),
    "night": ConditionProfile("night", speed_mps=(4, 20), **_NIGHT),
    "night_fast": ConditionProfile("night_fast", speed_mps=(20, 35), **_NIGHT),
}


def condition_profile(name: str) -> ConditionProfile:
    try:
        return CONDITION_PROFILES[name]
    except KeyError:
        raise ValueError(f"condition {name!r} is unknown; known: {', '.join(CONDITION_PROFILES)}") from None


def sample_params(condition: str | ConditionProfile, rng: np.random.Generator,
                  speed_mps: float | None = None) -> RenderParams:
    """Draw one picture's parameters from a condition profile (``speed_mps`` if known)."""
    p = condition_profile(condition) if isinstance(condition, str) else condition
    u = rng.random(16)

    def span(lo_hi, k):
        lo, hi = lo_hi
        return lo + (hi - lo) * u[k]

    z = np.clip(rng.standard_normal(2), -2, 2)
    lo_e, hi_e = np.log(p.exposure_s[0]), np.log(p.exposure_s[1])
    return RenderParams(
        plate_height_px=float(span(p.plate_height_px, 0)),
        yaw_deg=float(p.yaw_sd_deg * z[0]),
        pitch_deg=float(span(p.pitch_deg, 1)),
        roll_deg=float(p.roll_sd_deg * z[1]),
        speed_mps=float(span(p.speed_mps, 2) if speed_mps is None else speed_mps),
        exposure_s=float(np.exp(lo_e + (hi_e - lo_e) * u[3])),
        focus_sigma_px=float(span(p.focus_sigma_px, 4)),
        light=float(span(p.light, 5)),
        ambient=float(span(p.ambient, 6)),
        shadow=float(0.3 + 0.4 * u[8]) if u[7] < p.p_shadow else 0.0,
        glare=float(span(p.glare, 10)) if u[9] < p.p_glare else 0.0,
        rain=float(0.3 + 0.7 * u[12]) if u[11] < p.p_rain else 0.0,
        noise_sigma=float(span(p.noise_sigma, 13)),
        jpeg_quality=int(round(span(p.jpeg_quality, 14))),
        infrared=p.infrared,
    )


def parse_params(spec: str, rng: np.random.Generator | None = None, where: str = "--conditions") -> RenderParams:
    """``"night,plate_height_px=30,rain=0.5"``: a profile name (sampled) and field overrides."""
    params = CLEAN
    overrides: dict[str, object] = {}
    types = {f.name: f.type for f in fields(RenderParams)}
    rng = rng if rng is not None else np.random.default_rng(0)
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        if "=" in token:
            key, value = (s.strip() for s in token.split("=", 1))
            if key not in types:
                raise ValueError(f"{where}: {key!r} is not a picture parameter; known: {', '.join(types)}")
            try:
                overrides[key] = (value.lower() in ("1", "true", "yes")) if types[key] == "bool" else (
                    int(value) if types[key] == "int" else float(value))
            except ValueError:
                raise ValueError(f"{where}: {key}={value!r} is not a number") from None
        else:
            params = sample_params(token, rng) if token != "clean" else CLEAN
    return replace(params, **overrides)


# ---------------------------------------------------------------------------------
# The camera.

_CAR_COLOURS = np.array([[235, 235, 235], [190, 190, 195], [40, 40, 40], [110, 110, 115], [35, 35, 170],
                         [140, 60, 20], [60, 90, 60], [200, 210, 220], [20, 20, 20], [90, 130, 170]], np.float32)


def _plate_quad(p: RenderParams) -> np.ndarray:
    """Projected plate corners (TL, TR, BR, BL), pixels, origin at the quad's top-left."""
    yaw, pitch, roll = np.radians([p.yaw_deg, p.pitch_deg, p.roll_deg])
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rot = (np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
           @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]))
    w, h = PLATE_W_M / 2, PLATE_H_M / 2
    corners = np.array([[-w, -h, 0], [w, -h, 0], [w, h, 0], [-w, h, 0]]) @ rot.T + [0, 0, 2.0]
    uv = corners[:, :2] / corners[:, 2:3]
    apparent_h = ((uv[3, 1] - uv[0, 1]) + (uv[2, 1] - uv[1, 1])) / 2
    uv *= p.plate_height_px / apparent_h
    return (uv - uv.min(axis=0)).astype(np.float32)


def _motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(np.radians(angle_deg)) * length / 2, np.sin(np.radians(angle_deg)) * length / 2
    cv2.line(k, (int(round(c - dx * 16)), int(round(c - dy * 16))), (int(round(c + dx * 16)), int(round(c + dy * 16))),
             1.0, 1, cv2.LINE_AA, shift=4)
    return k / max(k.sum(), 1e-6)


def _background(h: int, w: int, rng: np.random.Generator, grey: bool = False) -> np.ndarray:
    colour = _CAR_COLOURS[rng.integers(len(_CAR_COLOURS))]
    if grey:  # BT.601 luma, as cv2.cvtColor computes it
        colour = np.float32([colour @ np.float32([0.114, 0.587, 0.299])])
    shade = np.linspace(0.75 + 0.2 * rng.random(), 1.05, h, dtype=np.float32)[:, None, None]
    bg = (colour[None, None, :] * shade) * np.ones((1, w, 1), np.float32)
    for _ in range(int(rng.integers(1, 4))):  # bumper edges and grille bars
        y = int(rng.integers(0, h))
        bg[y:y + int(rng.integers(1, 4))] *= 0.35 + 0.5 * rng.random()
    return bg[:, :, 0] if grey else bg


def render_plate(text: str, params: RenderParams = CLEAN, seed: int | np.random.Generator = 0,
                 state: str = "CA", colour: bool = True) -> np.ndarray:
    """A camera crop around a plate reading ``text``; same seed, same image.

    BGR uint8, or grey (h, w) uint8 when ``colour`` is False: the reader works in grey,
    and a grey picture costs a third of the arithmetic (calibration uses it).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    p = params
    grey = p.infrared or not colour
    flat = draw_plate(text, state, rng, grey)
    quad = _plate_quad(p)
    qw, qh = quad.max(axis=0)
    crop_h = int(np.ceil(qh * (1.6 + 0.8 * rng.random()))) + 4
    crop_w = int(np.ceil(qw * (1.3 + 0.5 * rng.random()))) + 4
    offset = np.array([(crop_w - qw) * (0.3 + 0.4 * rng.random()), (crop_h - qh) * (0.3 + 0.4 * rng.random())],
                      np.float32)
    quad = quad + offset
    # shrink the drawing close to the target size first, so that the warp does not alias
    scale = min(1.0, 1.5 * qh / CANON_H)
    if scale < 1.0:
        flat = cv2.resize(flat, (max(8, int(CANON_W * scale)), max(4, int(CANON_H * scale))),
                          interpolation=cv2.INTER_AREA)
    fh, fw = flat.shape[:2]
    src = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float32)
    homography = cv2.getPerspectiveTransform(src, quad)
    img = _background(crop_h, crop_w, rng, grey) * np.float32(p.ambient)
    # the plate is pasted over the car: pixels outside its outline keep the background
    cv2.warpPerspective(flat.astype(np.float32) * np.float32(p.light), homography, (crop_w, crop_h), dst=img,
                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    if p.shadow > 0:  # a shadow edge crossing the crop at a slant
        yy, xx = np.ogrid[0:crop_h, 0:crop_w]
        side = (xx - crop_w * rng.random()) * rng.normal() + (yy - crop_h * rng.random())
        dim = np.where(side > 0, np.float32(1 - p.shadow), np.float32(1))
        img *= dim if grey else dim[:, :, None]
    if p.glare > 0:  # headlights beside or below the plate: a bright bloom and a veil
        yy, xx = np.ogrid[0:crop_h, 0:crop_w]
        sigma = qh * (0.6 + 0.8 * rng.random())
        bloom = np.zeros((crop_h, crop_w), np.float32)
        for side in (-1, 1):
            if rng.random() < 0.7:
                cx = crop_w / 2 + side * (qw * (0.45 + 0.35 * rng.random()))
                cy = offset[1] + qh * (0.5 + 0.6 * rng.random())
                bloom += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma * sigma)).astype(np.float32)
        veil = np.float32(p.glare * 255) * (bloom + np.float32(0.15))
        img += veil if grey else veil[:, :, None]
    blur_px = p.motion_blur_px()
    if blur_px >= 1.0:
        direction = 90.0 + np.degrees(np.arctan2(np.sin(np.radians(p.yaw_deg)), np.sin(np.radians(max(p.pitch_deg, 1)))))
        img = cv2.filter2D(img, -1, _motion_kernel(blur_px, direction), borderType=cv2.BORDER_REFLECT)
    if p.focus_sigma_px > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), p.focus_sigma_px)
    if p.rain > 0:
        img = _rain(img, p.rain, qh, rng)
    if p.noise_sigma > 0:
        noise = rng.standard_normal((crop_h, crop_w), dtype=np.float32) * np.float32(p.noise_sigma)
        img += noise if grey else noise[:, :, None]  # one sensor, the same noise in each channel
    out = np.clip(img, 0, 255).astype(np.uint8)
    if p.jpeg_quality < 100:
        _, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(p.jpeg_quality)])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if colour and out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)  # infrared: monochrome in a colour file
    return out


def _rain(img: np.ndarray, rain: float, plate_h: float, rng: np.random.Generator) -> np.ndarray:
    """Streaks of falling drops in front of the lens, and the haze they bring."""
    h, w = img.shape[:2]
    streaks = np.zeros((h, w), np.float32)
    n = int(rain * h * w / 150)
    x0 = rng.integers(0, w, n)
    y0 = rng.integers(0, h, n)
    length = (0.2 + 0.3 * rng.random(n)) * plate_h
    slant = 0.25 * rng.normal()
    for x, y, ln in zip(x0, y0, length, strict=True):
        cv2.line(streaks, (int(x), int(y)), (int(x + slant * ln), int(y + ln)), 1.0, 1, cv2.LINE_AA)
    mean = img.mean(axis=(0, 1), keepdims=True)
    haze = np.float32(0.25 * rain)
    img = img * (1 - haze) + mean * haze
    streaks *= np.float32(60 * rain)
    return img + (streaks if img.ndim == 2 else streaks[:, :, None])
