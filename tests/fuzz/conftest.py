"""The corpus, written once per session, and what a refusal must look like."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.fuzz.corpus import valid_path, write_long_line


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="session")
def long_line(corpus_dir) -> Path:
    """200 MB on one line: readers must refuse it without reading it all."""
    return write_long_line(corpus_dir / "long-line.txt")


@pytest.fixture(scope="session")
def valid(corpus_dir):
    return lambda kind: valid_path(kind, corpus_dir)


@pytest.fixture(autouse=True)
def no_port_is_bound(monkeypatch):
    """``serve`` must refuse bad input before it binds a port: binding fails the test."""
    import uvicorn

    def refuse(*args, **kwargs):
        raise AssertionError("serve reached uvicorn.run (it would bind a port) with bad input")

    monkeypatch.setattr(uvicorn, "run", refuse)


def invoke(argv: list[str]) -> Result:
    from scenarios.cli import app

    return CliRunner().invoke(app, argv, catch_exceptions=True)


def assert_refused(result: Result, *named: str, line_of: str | None = None) -> str:
    """Exit 2, one ``error:`` line naming each of ``named`` (and ``line_of``:LINE), no traceback."""
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"exception {result.exception!r}\n{output}")
    assert "Traceback" not in output, output
    assert result.exit_code == 2, f"exit {result.exit_code}\n{output}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error: line on stderr, got\n{result.stderr}"
    for text in named:
        assert text in errors[0], f"{text!r} not named in {errors[0]!r}"
    if line_of is not None:
        assert re.search(re.escape(line_of) + r":\d+", errors[0]), f"no {line_of}:LINE in {errors[0]!r}"
    return errors[0]


def no_files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
