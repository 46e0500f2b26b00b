"""The image path: recogniser speed and accuracy, and the calibration's wall time.

Figures, each beside a baseline measured in the same run:

- ``recogniser_crops_per_second``: ``PlateRecogniser.read_many`` on rendered day and
  night crops, against the same localisation and segmentation followed by plain
  ``cv2.matchTemplate`` of every character against every glyph template (one per
  character per typeface, TM_CCOEFF_NORMED); both accuracies are reported too;
- ``calibration_20k_seconds``: ``cameras calibrate`` on 20,000 pictures (render + read +
  tables) with the default worker processes, against one process on 2,000 pictures
  scaled by 10. The target is under a minute.

Run: ``python -m benchmarks recogniser`` (``RECOGNISER_BENCH_SAMPLES`` changes the 20,000).
"""

from __future__ import annotations

import os
import time

import cv2
import numpy as np

from benchmarks import emit, log
from cameras.calibration import calibrate, draw_samples, render_sample, run_samples
from cameras.plate_drawing import glyph_mask
from cameras.recogniser import default_recogniser, flatten_illumination, localise, segment_flat
from sim.plates import ALPHABET


def _template_reader():
    """Baseline classifier: every patch against every glyph template, best score wins."""
    bank = default_recogniser().bank
    templates = [(label, glyph_mask(face, ch)) for face in bank.faces for label, ch in enumerate(ALPHABET)]

    def read(image: np.ndarray) -> str:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        strip = localise(gray)
        if strip is None:
            return ""
        flat = flatten_illumination(strip)
        text = []
        for x, y, w, h in segment_flat(flat):
            patch = flat[y:y + h, x:x + w].astype(np.float32)
            best, best_label = -2.0, 0
            for label, mask in templates:
                t = cv2.resize(255 - 255 * mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
                score = cv2.matchTemplate(patch, t, cv2.TM_CCOEFF_NORMED)[0, 0]
                if score > best:
                    best, best_label = score, label
            text.append(ALPHABET[best_label])
        return "".join(text)

    return read


def bench_reader(n: int = 400) -> None:
    samples = draw_samples(n // 4, seed=77)
    images = [render_sample(samples, i) for i in range(len(samples))]
    reader = default_recogniser()
    reader.read_many(images[:20])  # warm caches
    t0 = time.perf_counter()
    readings = reader.read_many(images)
    ours = time.perf_counter() - t0
    ours_exact = np.mean([r.text == t for r, t in zip(readings, samples.text, strict=True)])
    baseline = _template_reader()
    m = min(len(images), 120)  # the baseline is slow: time a subset
    t0 = time.perf_counter()
    base_texts = [baseline(img) for img in images[:m]]
    base = (time.perf_counter() - t0) / m * len(images)
    base_exact = np.mean([t == s for t, s in zip(base_texts, samples.text[:m], strict=True)])
    ours_exact_subset = np.mean([r.text == t for r, t in zip(readings[:m], samples.text[:m], strict=True)])
    emit("recogniser_crops_per_second", len(images) / ours, "crops/s", baseline=len(images) / base,
         baseline_what="same localisation+segmentation, cv2.matchTemplate over all glyph templates",
         exact=round(float(ours_exact), 4), crops=len(images),
         exact_on_baseline_subset=round(float(ours_exact_subset), 4), baseline_exact=round(float(base_exact), 4),
         baseline_crops=m)


def bench_calibration() -> None:
    samples = int(os.environ.get("RECOGNISER_BENCH_SAMPLES", "20000"))
    default_recogniser()
    log(f"calibration: {samples:,} samples with the default workers ...")
    t0 = time.perf_counter()
    calibrate(samples)
    wall = time.perf_counter() - t0
    small = max(4, samples // 10)
    log(f"baseline: {small:,} samples in one process ...")
    t0 = time.perf_counter()
    run_samples(draw_samples(small // 4, seed=5), workers=1)
    single = (time.perf_counter() - t0) * samples / small
    emit(f"calibration_{samples // 1000}k_seconds", wall, "s", baseline=single,
         baseline_what=f"one process, {small:,} samples scaled x{samples / small:g}", target_s=60,
         cpus=os.cpu_count(), load_avg_1m=round(os.getloadavg()[0], 2))


def main() -> None:
    bench_reader()
    bench_calibration()


if __name__ == "__main__":
    main()
