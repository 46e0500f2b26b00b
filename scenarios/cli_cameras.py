"""``alprsim cameras render | read | evaluate | calibrate | gallery | acoustic``: the image path.

Each command parses, makes one call into ``cameras``, and prints. Images are read and
written with OpenCV (PNG, JPEG, whatever it knows).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from cameras.acoustic import error_vs_density, plot_error_vs_density
from cameras.calibration import (
    ARTEFACT,
    DEFAULT_SEED,
    calibrate,
    draw_samples,
    write_artefact,
)
from cameras.evaluation import ConditionFigures, evaluate, overall
from cameras.image_path import sample_gallery, write_gallery
from cameras.imaging import CONDITION_PROFILES, PLATE_STYLES, parse_params, render_plate
from cameras.live_plates import DEFAULT_LIVE_PLATES
from cameras.misread import CONDITIONS
from cameras.recogniser import default_recogniser
from scenarios.cli_errors import user_error
from scenarios.output_files import output_folder_problem, staged_outputs
from sim.plates import PLATE_LEN, normalise


def _fail(message: str) -> typer.Exit:
    return user_error(message)


# --conditions overrides a person may ask for (assumption: beyond these a picture is not a plate
# photograph, and a huge plate_height_px would allocate gigabytes)
PARAM_RANGES = {"plate_height_px": (4, 512), "yaw_deg": (-85, 85), "pitch_deg": (-85, 85), "roll_deg": (-90, 90),
                "speed_mps": (0, 100), "exposure_s": (1e-6, 1), "focus_sigma_px": (0, 50), "light": (0, 10),
                "ambient": (0, 10), "shadow": (0, 1), "glare": (0, 1), "rain": (0, 1), "noise_sigma": (0, 255),
                "jpeg_quality": (1, 100)}


def _check_params(conditions: str, params) -> None:
    for token in conditions.split(","):
        key = token.split("=", 1)[0].strip()
        if "=" in token and key in PARAM_RANGES:
            low, high = PARAM_RANGES[key]
            value = getattr(params, key)
            if not (math.isfinite(value) and low <= value <= high):
                raise _fail(f"--conditions: {key}={value!r} is outside [{low:g}, {high:g}]")


def _check_seed(seed: int) -> None:
    if not 0 <= seed < 2**63:
        raise _fail(f"--seed {seed}: must be a non-negative 63-bit integer")


def _check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise _fail(f"--workers {workers}: must be at least 1")


def _out() -> Console:
    return Console(soft_wrap=False, width=140)


def _rates_table(title: str, rates: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("condition", "samples", "exact plate", "no-read", "misread (of reads)"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    for condition, r in rates.items():
        table.add_row(condition, f"{r['samples']:,}", f"{r['exact']:.1%}", f"{r['no_read']:.1%}", f"{r['misread']:.1%}")
    return table


def _pct(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"  # NaN: nothing to measure


def _figures_table(title: str, figures: dict[str, ConditionFigures]) -> Table:
    table = Table(title=title, title_justify="left")
    columns = ("condition", "samples", "exact", "no-read", "misread", "fast", "confusable", "std plates",
               "before fmt", "fast", "top confusions", "on live plates", "fast")
    for column in columns:
        table.add_column(column, justify="left" if column in ("condition", "top confusions") else "right")
    for condition, f in figures.items():
        top = " ".join(f"{t}>{r}" for t, r, _ in f.top_confusions[:4])
        table.add_row(condition, f"{f.samples:,}", f"{f.exact:.1%}", f"{f.no_read:.1%}", f"{f.misread:.1%}",
                      _pct(f.fast_misread), _pct(f.confusable_share), _pct(f.confusable_share_standard),
                      _pct(f.confusable_share_unformatted),
                      _pct(f.fast_confusable_share), top or "-",
                      f"{f.misread_live_hits}/{f.ca_misreads}", _pct(f.fast_misread_live_share))
    table.caption = ("misread: of reads; fast: the fast model on the same plates; confusable: share of "
                     "substitutions within 0/O/D/Q 1/I/L/7 2/Z 5/S 8/B 6/G (engine; engine on standard "
                     "plates, without personalised ones; classifier before the plate format; fast model); "
                     "on live plates: misread California plates that spell another live plate")
    table.caption_justify = "left"
    return table


def register(app: typer.Typer) -> None:
    """Add the ``cameras`` command group to ``app``."""
    cameras = typer.Typer(no_args_is_help=True, help="Plate images, the recogniser, its calibration, "
                                                     "and acoustic sensors.")
    app.add_typer(cameras, name="cameras")

    @cameras.command()
    def render(
        plate: str = typer.Argument(..., help="plate text, e.g. 7ABC123"),
        out: Path = typer.Option(..., "--out", help="image file to write (.png, .jpg)"),
        conditions: str = typer.Option("clean", "--conditions",
                                       help="a condition (" + ", ".join(CONDITION_PROFILES) + ") and/or "
                                       "picture parameters, e.g. 'night,plate_height_px=30,rain=0.6'"),
        state: str = typer.Option("CA", "--state", help="plate layout: " + ", ".join(PLATE_STYLES)),
        seed: int = typer.Option(0, "--seed", help="seed of the picture's randomness"),
    ) -> None:
        """Draw a plate as a camera would photograph it."""
        text = normalise(plate)
        if not 1 <= len(text) <= PLATE_LEN or not text.isalnum() or not text.isascii():
            raise _fail(f"PLATE {plate!r}: 1 to {PLATE_LEN} letters and digits")
        if state.upper() not in PLATE_STYLES:
            raise _fail(f"--state {state!r}: known layouts are {', '.join(PLATE_STYLES)}")
        _check_seed(seed)
        rng = np.random.default_rng(seed)
        try:
            params = parse_params(conditions, rng)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        _check_params(conditions, params)
        if out.is_dir() or not cv2.haveImageWriter(str(out)):
            raise _fail(f"--out {out}: {'is a folder' if out.is_dir() else 'OpenCV cannot write that file type'}")
        image = render_plate(text, params, rng, state.upper())
        try:
            with staged_outputs(out.parent) as staged:
                if not cv2.imwrite(str(staged.path(out.name)), image):
                    raise OSError(f"OpenCV could not write {out}")
        except OSError as exc:
            raise _fail(f"--out {out}: cannot write ({exc.strerror or exc})") from None
        _out().print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}); {params}", highlight=False)

    @cameras.command()
    def read(
        images: list[Path] = typer.Argument(..., help="image files (crops around a plate)"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    ) -> None:
        """Read the plate text in each image."""
        loaded = []
        for path in images:
            if not path.is_file():
                raise _fail(f"{path}: {'is a directory, not an image' if path.is_dir() else 'no such file'}")
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise _fail(f"{path}: not an image OpenCV can read")
            loaded.append(image)
        readings = default_recogniser().read_many(loaded)
        console = _out()
        for path, r in zip(images, readings, strict=True):
            if as_json:
                print(json.dumps({"image": str(path), "text": r.text, "no_read": r.no_read,
                                  "confidence": round(r.confidence, 4), "char_confidence": list(r.char_confidence)}))
            else:
                shown = "(no read)" if r.no_read else r.text
                console.print(f"{path}\t{shown}\t{r.confidence:.2f}", highlight=False)

    @cameras.command("evaluate")
    def evaluate_cmd(
        samples: int = typer.Option(2000, "--samples", help="pictures in all, split over the conditions"),
        seed: int = typer.Option(DEFAULT_SEED + 1, "--seed"),
        workers: int | None = typer.Option(None, "--workers", help="processes (default: CPUs, at most 4)"),
        live_plates: int = typer.Option(DEFAULT_LIVE_PLATES, "--live-plates",
                                        help="cars in the live population of sequential California plates"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Accuracy, no-reads, misreads, the confusion structure and misreads that land on
        live plates, per condition, on fresh pictures (and the fast model beside them)."""
        if samples < 1:
            raise _fail(f"--samples {samples}: must be at least 1")
        _check_seed(seed)
        _check_workers(workers)
        if live_plates < 1:
            raise _fail(f"--live-plates {live_plates}: must be at least 1")
        figures = evaluate(samples, seed, workers=workers, live_plates=live_plates)
        pooled = overall(figures)
        if as_json:
            print(json.dumps({"samples": samples, "seed": seed, "live_plates": live_plates,
                              "conditions": {c: f.to_json() for c, f in figures.items()},
                              "overall": {k: round(v, 5) for k, v in pooled.items()}}, indent=1))
            return
        out = _out()
        out.print(_figures_table(f"Recogniser on {samples:,} rendered plates (seed {seed}); "
                                 f"{live_plates:,} live sequential California plates", figures))
        if pooled:
            out.print(f"over the four conditions: image path misreads {pooled['misread']:.1%} of reads, "
                      f"the fast model {pooled['fast_misread']:.1%}; no-reads {pooled['no_read']:.1%}",
                      highlight=False)

    @cameras.command("calibrate")
    def calibrate_cmd(
        samples: int = typer.Option(20000, "--samples", help="pictures in all, split over the conditions"),
        out: Path = typer.Option(ARTEFACT, "--out", help="artefact to write (default: the shipped one)"),
        seed: int = typer.Option(DEFAULT_SEED, "--seed"),
        workers: int | None = typer.Option(None, "--workers", help="processes (default: CPUs, at most 4)"),
    ) -> None:
        """Render and read plates under each condition; write the fast model's tables."""
        if samples < len(CONDITIONS):
            raise _fail(f"--samples {samples}: need at least one per condition ({len(CONDITIONS)})")
        _check_seed(seed)
        _check_workers(workers)
        problem = "is a folder" if out.is_dir() else output_folder_problem(out.parent)
        if problem:
            raise _fail(f"--out {out}: {problem}")
        model, readings = calibrate(samples, seed, workers)
        try:
            with staged_outputs(out.parent) as staged:
                write_artefact(model, staged.path(out.name))
        except OSError as exc:
            raise _fail(f"--out {out}: cannot write ({exc.strerror or exc})") from None
        path = out
        _out().print(_rates_table(f"Image path on {len(readings.samples):,} plates",
                                  {c: readings.rates(c) for c in CONDITIONS}))
        _out().print(f"wrote {path}", highlight=False)

    @cameras.command()
    def gallery(
        out: Path = typer.Option(Path("alprsim-gallery"), "--out", help="folder for PNGs and index.md"),
        samples: int = typer.Option(24, "--samples", help="crops in all, split over the conditions"),
        seed: int = typer.Option(DEFAULT_SEED + 3, "--seed"),
    ) -> None:
        """Write crops and what the recogniser read from them, for a person to look at."""
        per = max(1, samples // (len(CONDITIONS) + 1))
        items = sample_gallery(draw_samples(per, seed, ("clean", *CONDITIONS)))
        _out().print(f"wrote {write_gallery(items, out)}", highlight=False)

    @cameras.command()
    def acoustic(
        densities: str = typer.Option("0.5,1,2,4,8,16", "--densities", help="sensors per km², comma-separated"),
        events: int = typer.Option(200, "--events", help="shots per density"),
        seed: int = typer.Option(0, "--seed"),
        plot: Path | None = typer.Option(None, "--plot", help="PNG of error against density"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Gunshot localisation error and fix rate against sensor density."""
        try:
            values = [float(d) for d in densities.split(",") if d.strip()]
        except ValueError:
            raise _fail(f"--densities {densities!r}: numbers separated by commas") from None
        if not values or not all(math.isfinite(v) and v > 0 for v in values):
            raise _fail(f"--densities {densities!r}: give positive densities")
        if events < 1:
            raise _fail(f"--events {events}: must be at least 1")
        table = error_vs_density(values, events, seed)
        if plot is not None:
            plot_error_vs_density(table, plot)
        if as_json:
            print(json.dumps(table, indent=1))
            return
        t = Table(title=f"Gunshot localisation, {events} shots per density", title_justify="left")
        for column in ("sensors/km²", "fixed", "median error (m)", "p90 error (m)"):
            t.add_column(column, justify="right")
        for r in table:
            t.add_row(f"{r['density_per_km2']:g}", f"{r['fix_rate']:.0%}", f"{r['median_error_m']:.1f}",
                      f"{r['p90_error_m']:.1f}")
        _out().print(t)
        if plot is not None:
            _out().print(f"wrote {plot}", highlight=False)
