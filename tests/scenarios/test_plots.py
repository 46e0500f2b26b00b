"""Report figures: PNGs embedded in report.md and compare.md, intervals over replications."""

import numpy as np
from matplotlib.image import imread
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.intervals import mean_ci95
from scenarios.plots import _figure, compare_png

runner = CliRunner()


def _png_has_ink(path) -> bool:
    pixels = imread(path)
    return pixels.shape[0] > 100 and pixels.shape[1] > 100 and float(np.std(pixels[..., :3])) > 0.05


def test_report_md_embeds_the_channel_figure(tmp_path):
    result = runner.invoke(app, ["run", "tests/fixtures/two-towns.yaml", "--policy", "open", "--out", str(tmp_path),
                                 "--reads-format", "none"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.md").read_text()
    assert "![Reads delivered to federal and out-of-state agencies, by channel](plots/leakage_by_channel.png)" in text
    assert _png_has_ink(tmp_path / "plots" / "leakage_by_channel.png")


def test_a_run_without_a_policy_has_no_leakage_figure(tmp_path):
    result = runner.invoke(app, ["run", "tests/fixtures/two-towns.yaml", "--out", str(tmp_path), "--reads-format", "none"])
    assert result.exit_code == 0, result.output
    assert "## Figures" not in (tmp_path / "report.md").read_text()
    assert not (tmp_path / "plots").exists()


def _report(reads: int, denied: int) -> dict:
    return {"leakage": {"federal": {"reads_delivered": reads}}, "cost": {"legit_denied": denied}}


def test_replications_give_the_t_interval_and_one_run_a_point():
    reps = [_report(r, 0) for r in (10, 14, 9, 13)]
    mean, lo, hi = _figure(reps, lambda r: r["leakage"]["federal"]["reads_delivered"])
    expected = mean_ci95([10, 14, 9, 13])
    assert (mean, lo, hi) == (expected.mean, expected.lo, expected.hi) and lo < mean < hi
    assert _figure(_report(7, 1), lambda r: r["cost"]["legit_denied"]) == (1.0, 1.0, 1.0)


def test_compare_figure_is_written_with_error_bars(tmp_path):
    path = compare_png({"a": [_report(r, 1) for r in (10, 14, 9)], "b": _report(3, 40)}, tmp_path / "c.png")
    assert _png_has_ink(path)
