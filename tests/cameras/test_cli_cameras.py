"""``alprsim cameras ...`` through typer's CliRunner on a local app."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from scenarios.cli_cameras import register


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """alprsim (test)."""

    register(app)
    return app


runner = CliRunner()


def test_render_then_read_round_trips(app, tmp_path):
    out = tmp_path / "plate.png"
    result = runner.invoke(app, ["cameras", "render", "7ABC123", "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert out.exists()
    result = runner.invoke(app, ["cameras", "read", str(out), "--json"])
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output.strip().splitlines()[0])
    assert reading["text"] == "7ABC123" and not reading["no_read"]


def test_render_takes_conditions_and_a_state(app, tmp_path):
    out = tmp_path / "night.png"
    result = runner.invoke(app, ["cameras", "render", "ABC1234", "--state", "TX", "--out", str(out),
                                 "--conditions", "night,plate_height_px=40,rain=0.5"])
    assert result.exit_code == 0, result.output
    assert "infrared=True" in result.output and "rain=0.5" in result.output


@pytest.mark.parametrize("args, words", [
    (["render", "7ABC12!", "--out", "x.png"], "PLATE"),
    (["render", "7ABC123", "--out", "x.png", "--conditions", "fog=1"], "'fog'"),
    (["render", "7ABC123", "--out", "x.png", "--state", "ZZ"], "--state"),
    (["evaluate", "--samples", "0"], "--samples"),
    (["calibrate", "--samples", "2"], "--samples"),
    (["acoustic", "--densities", "a,b"], "--densities"),
])
def test_bad_arguments_are_named(app, args, words):
    result = runner.invoke(app, ["cameras", *args])
    assert result.exit_code == 2
    assert words in result.output


def test_read_names_a_file_that_is_not_an_image(app, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    result = runner.invoke(app, ["cameras", "read", str(bad)])
    assert result.exit_code == 2 and "notes.txt" in result.output


def test_evaluate_prints_rates_per_condition(app):
    result = runner.invoke(app, ["cameras", "evaluate", "--samples", "40", "--workers", "1", "--json",
                                 "--live-plates", "20000"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    rates = out["conditions"]
    assert set(rates) == {"clean", "day", "day_fast", "night", "night_fast"}
    assert all(0 <= r["exact"] <= 1 and 0 <= r["no_read"] <= 1 for r in rates.values())
    # the confusion structure and live-plate figures are there for every fast-model condition
    for condition in ("day", "day_fast", "night", "night_fast"):
        r = rates[condition]
        assert r["fast_confusable_share"] is not None and 0 <= r["fast_confusable_share"] <= 1
        assert 0 <= r["misread_live_hits"] <= r["ca_misreads"]
        assert all(len(pair) == 3 for pair in r["top_confusions"])
        # before and after the plate format, and on standard plates alone: a share or null
        for key in ("confusable_share", "confusable_share_unformatted", "confusable_share_standard"):
            assert key in r and (r[key] is None or 0 <= r[key] <= 1)
    assert rates["clean"]["fast_misread"] is None  # the fast model has no clean condition
    assert out["live_plates"] == 20000 and 0 <= out["overall"]["misread"] <= 1


def test_calibrate_writes_an_artefact_where_asked(app, tmp_path):
    out = tmp_path / "tables.json"
    result = runner.invoke(app, ["cameras", "calibrate", "--samples", "16", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["conditions"] == ["day", "day_fast", "night", "night_fast"]


def test_gallery_and_acoustic_write_their_files(app, tmp_path):
    result = runner.invoke(app, ["cameras", "gallery", "--samples", "5", "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g" / "index.md").exists()
    result = runner.invoke(app, ["cameras", "acoustic", "--densities", "2,8", "--events", "20",
                                 "--plot", str(tmp_path / "a.png"), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 2 and (tmp_path / "a.png").exists()
