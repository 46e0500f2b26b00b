"""Partial output is never mistaken for a result: a command that fails leaves the folder as it
was (a previous result intact, nothing half-written under a final name)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scenarios.output_files import staged_outputs
from tests.fuzz.conftest import invoke
from tests.fuzz.corpus import VALID

ROOT = Path(__file__).resolve().parents[2]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_staged_files_appear_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "new" / "out"
    with pytest.raises(RuntimeError), staged_outputs(out) as staged:
        staged.path("a.csv").write_text("half")
        raise RuntimeError("disk full")
    assert not (tmp_path / "new").exists()  # the folders it made are gone too
    with staged_outputs(out, last=("report.json",)) as staged:
        staged.path("report.json").write_text("{}")
        staged.path("a.csv").write_text("x")
    assert snapshot(out) == {"a.csv": b"x", "report.json": b"{}"}


def test_the_completion_file_is_renamed_into_place_last(tmp_path, monkeypatch):
    order = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append(Path(b).name), real(a, b)))
    with staged_outputs(tmp_path, last=("report.json",)) as staged:
        for name in ("report.json", "report.md", "cameras.csv"):
            staged.path(name).write_text(name)
    assert order == ["report.md", "cameras.csv", "report.json"]


def test_a_staged_folder_replaces_the_previous_one_whole(tmp_path):
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "old.csv").write_text("old")
    with staged_outputs(tmp_path) as staged:
        folder = staged.path("audit")
        folder.mkdir()
        (folder / "new.csv").write_text("new")
    assert snapshot(tmp_path) == {"audit/new.csv": b"new"}


def test_an_audit_that_fails_midway_leaves_the_previous_result_intact(tmp_path, monkeypatch):
    import functools

    import scenarios.cli_forensics

    # two rows a chunk: rows 1..6 are classified and written before row 7's time is found unreadable
    monkeypatch.setattr(scenarios.cli_forensics, "iter_chunks",
                        functools.partial(scenarios.cli_forensics.iter_chunks, chunk_rows=2))
    good = tmp_path / "log.csv"
    good.write_bytes(VALID["portal_csv"])
    out = tmp_path / "out"
    assert invoke(["audit", str(good), "--out", str(out)]).exit_code == 0
    before = snapshot(out)
    assert set(before) == {"flags.csv", "summary.md"}
    good.write_bytes(VALID["portal_csv"].replace(b'"2025-04-23 12:00:00.000"', b'"the day after"'))
    result = invoke(["audit", str(good), "--out", str(out)])
    assert result.exit_code == 2 and f"{good}:8" in result.stderr
    assert snapshot(out) == before


def test_a_run_whose_writing_fails_leaves_no_report(tmp_path, monkeypatch):
    import scenarios.report

    out = tmp_path / "out"
    argv = ["run", str(ROOT / "tests/fixtures/two-towns.yaml"), "--days", "0.05", "--out", str(out)]
    assert invoke(argv).exit_code == 0
    before = snapshot(out)
    assert {"report.json", "report.md", "cameras.csv", "reads.parquet"} <= set(before)

    def disk_full(reads, records, path, chunk_rows=0):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scenarios.report, "write_reads_parquet", disk_full)
    result = invoke([*argv, "--seed", "99"])
    assert result.exit_code == 2 and "No space left on device" in result.stderr and str(out) in result.stderr
    assert snapshot(out) == before  # the seed-1 report and its reads, untouched; no seed-99 file at all

    fresh = tmp_path / "fresh"
    assert invoke([*argv[:-1], str(fresh)]).exit_code == 2
    assert not fresh.exists()
