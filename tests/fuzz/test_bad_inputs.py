"""Every file-reading command x every bad input: exit 2, one ``error:`` line naming the file
(and its line where it has one), no traceback, and no output left that looks like a result."""

from __future__ import annotations

import time

import pytest

from tests.fuzz.commands import COMMANDS, NAMES_A_LINE
from tests.fuzz.conftest import assert_refused, invoke, no_files_under
from tests.fuzz.corpus import BAD_INPUTS, JSON_KINDS, bad_path, content

CELLS = [pytest.param(command, bad, id=f"{command.name}-{bad}") for command in COMMANDS for bad in BAD_INPUTS
         if bad in ("missing", "directory", "long_line") or content(command.kind, bad) is not None]


@pytest.mark.parametrize(("command", "bad"), CELLS)
def test_a_bad_input_gets_one_named_error_and_exit_2(command, bad, corpus_dir, long_line, valid, tmp_path):
    path = bad_path(command.kind, bad, corpus_dir, long_line)
    out = tmp_path / "out"
    started = time.perf_counter()
    result = invoke(command.argv(path, out, valid))
    elapsed = time.perf_counter() - started
    if bad in command.reads:
        assert result.exit_code == 0, result.output
        return
    line_of = str(path) if bad in NAMES_A_LINE[command.kind] else None
    assert_refused(result, str(path), line_of=line_of)
    assert no_files_under(out) == [], "a failed command left output behind"
    if bad == "long_line" and command.kind not in JSON_KINDS:  # refused from the first megabytes
        assert elapsed < 5.0, f"{elapsed:.1f} s to refuse a 200 MB line"  # GeoJSON is parsed whole: no lines


def test_the_table_covers_every_command_that_reads_a_file():
    names = {c.name.split(" --")[0] for c in COMMANDS}
    assert {"run", "compare", "scenarios validate", "serve", "policies show", "policies test", "audit", "replay",
            "network scan", "cameras read"} <= names
