"""A handful of the table's cells through the installed ``alprsim`` script in a real process:
the entry point answers as the in-process runs do (exit 2, one ``error:`` line, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.conftest import no_files_under
from tests.fuzz.corpus import bad_path
from tests.service.conftest import free_port

SCRIPT = Path(sys.executable).parent / "alprsim"
CASES = [  # (kind, bad input, argv before the file, argv after it)
    ("edges_csv", "random_bytes", ["network", "scan"], []),  # printed a traceback before issue 15
    ("policy_tests", "random_bytes", ["policies", "test"], []),  # likewise
    ("scenario", "deep_nesting", ["serve", "--scenario"], ["--port", "{port}"]),
]


@pytest.fixture(scope="module")
def finished(corpus_dir, long_line, tmp_path_factory) -> dict[int, tuple[subprocess.CompletedProcess, Path, Path]]:
    """Every case run at once (the script's imports dominate; in parallel they overlap)."""
    running = {}
    for i, (kind, bad, before, after) in enumerate(CASES):
        path = bad_path(kind, bad, corpus_dir, long_line)
        work = tmp_path_factory.mktemp(f"entry{i}")
        port = str(free_port())
        argv = [str(SCRIPT), *before, str(path), *(a.replace("{port}", port) for a in after)]
        if before[0] in ("network", "audit"):
            argv += ["--out", str(work / "out")]
        env = {**os.environ, "COLUMNS": "60"}  # a narrow terminal must not wrap the error line
        running[i] = (subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work,
                                       env=env), path, work)
    done = {}
    for i, (proc, path, work) in running.items():
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done[i] = (subprocess.CompletedProcess(proc.args, proc.returncode, out, err), path, work)
    return done


@pytest.mark.skipif(not SCRIPT.exists(), reason="the alprsim script is not installed beside this python")
@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[2][0]}-{c[1]}" for c in CASES])
def test_the_installed_script_refuses_like_the_in_process_runs(case, finished):
    done, path, work = finished[case]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(path) in errors[0], done.stderr
    assert no_files_under(work / "out") == []
    assert "serving" not in done.stderr  # serve stopped before binding its port
