"""Values on the command line: out of range, negative, NaN, paths that cannot take outputs.

Each row: an id, the argv (``{good}`` stands for a valid file of a kind, ``{file}`` for an
existing plain file, ``{dir}`` for an existing folder, ``{rand}`` for random bytes), and the
text the one ``error:`` line must name. Malformed option syntax (``--days abc``) is click's
own usage error and is not listed here.
"""

from __future__ import annotations

import random

import pytest

from tests.fuzz.conftest import assert_refused, invoke, no_files_under

SCENARIO = "{good:scenario}"
BAD_VALUES = [
    ("run --days nan", ["run", SCENARIO, "--days", "nan"], "--days"),
    ("run --days inf", ["run", SCENARIO, "--days", "inf"], "--days"),
    ("run --days -1", ["run", SCENARIO, "--days", "-1"], "--days"),
    ("run --days 1e9", ["run", SCENARIO, "--days", "1e9"], "--days"),
    ("run --seed -1", ["run", SCENARIO, "--seed", "-1"], "--seed"),
    ("run --seed 2**64", ["run", SCENARIO, "--seed", str(2**64)], "--seed"),
    ("run --warmup-days nan", ["run", SCENARIO, "--warmup-days", "nan"], "--warmup-days"),
    ("run --replications 0", ["run", SCENARIO, "--replications", "0"], "--replications"),
    ("compare --warmup-days -1", ["compare", SCENARIO, "--policy", "open", "--warmup-days", "-1"], "--warmup-days"),
    ("compare --warmup-days inf", ["compare", SCENARIO, "--policy", "open", "--warmup-days", "inf"],
     "--warmup-days"),
    ("run --out is a file", ["run", SCENARIO, "--out", "{file}"], "{file}"),
    ("run --out under a file", ["run", SCENARIO, "--out", "{file}/out"], "{file}"),
    ("run --policy missing", ["run", SCENARIO, "--policy", "{dir}/nope.yaml"], "nope.yaml"),
    ("run --policy random bytes", ["run", SCENARIO, "--policy", "{rand}"], "{rand}"),
    ("run --reads-format xml", ["run", SCENARIO, "--reads-format", "xml"], "--reads-format"),
    ("run unknown built-in", ["run", "no-such-scenario"], "no-such-scenario"),
    ("compare --days nan", ["compare", SCENARIO, "--policy", "open", "--days", "nan"], "--days"),
    ("compare --seed -1", ["compare", SCENARIO, "--policy", "open", "--seed", "-1"], "--seed"),
    ("compare --out is a file", ["compare", SCENARIO, "--policy", "open", "--out", "{file}"], "{file}"),
    ("compare --policy random bytes", ["compare", SCENARIO, "--policy", "{rand}"], "{rand}"),
    ("policies show unknown pack", ["policies", "show", "no-such-pack"], "no-such-pack"),
    ("audit --out is a file", ["audit", "{good:portal_csv}", "--out", "{file}"], "{file}"),
    ("audit --tz Mars/Olympus", ["audit", "{good:portal_csv}", "--tz", "Mars/Olympus"], "--tz"),
    ("audit --tz ../etc", ["audit", "{good:portal_csv}", "--tz", "../etc"], "--tz"),
    ("audit --state 99", ["audit", "{good:portal_csv}", "--state", "99"], "--state"),
    ("audit --format pdf", ["audit", "{good:portal_csv}", "--format", "pdf"], "--format"),
    ("replay --window-days nan", ["replay", "{good:portal_csv}", "--policy", "open", "--window-days", "nan"],
     "--window-days"),
    ("replay --window-days -1", ["replay", "{good:portal_csv}", "--policy", "open", "--window-days", "-1"],
     "--window-days"),
    ("replay --owner-kind alien", ["replay", "{good:portal_csv}", "--policy", "open", "--owner-kind", "alien"],
     "--owner-kind"),
    ("replay --out is a file", ["replay", "{good:portal_csv}", "--policy", "open", "--out", "{file}"], "{file}"),
    ("network scan --owner-state 12", ["network", "scan", "{good:edges_csv}", "--owner-state", "12"],
     "--owner-state"),
    ("network scan --out is a file", ["network", "scan", "{good:edges_csv}", "--out", "{file}"], "{file}"),
    ("cameras render --seed -1", ["cameras", "render", "7ABC123", "--out", "{dir}/p.png", "--seed", "-1"], "--seed"),
    ("cameras render --conditions rain=nan", ["cameras", "render", "7ABC123", "--out", "{dir}/p.png",
                                              "--conditions", "rain=nan"], "rain"),
    ("cameras render --conditions plate_height_px=-5", ["cameras", "render", "7ABC123", "--out", "{dir}/p.png",
                                                        "--conditions", "plate_height_px=-5"], "plate_height_px"),
    ("cameras render --conditions plate_height_px=1e9", ["cameras", "render", "7ABC123", "--out", "{dir}/p.png",
                                                         "--conditions", "plate_height_px=1000000000"],
     "plate_height_px"),
    ("cameras render --out is a folder", ["cameras", "render", "7ABC123", "--out", "{dir}"], "{dir}"),
    ("cameras render --out .xyz", ["cameras", "render", "7ABC123", "--out", "{dir}/p.xyz"], "p.xyz"),
    ("cameras render --out under a file", ["cameras", "render", "7ABC123", "--out", "{file}/p.png"], "{file}"),
    ("cameras render plate !!", ["cameras", "render", "!!", "--out", "{dir}/p.png"], "PLATE"),
    ("cameras calibrate --samples -1", ["cameras", "calibrate", "--samples", "-1", "--out", "{dir}/m.json"],
     "--samples"),
    ("cameras calibrate --seed -1", ["cameras", "calibrate", "--samples", "40", "--seed", "-1", "--out",
                                     "{dir}/m.json"], "--seed"),
    ("cameras calibrate --workers 0", ["cameras", "calibrate", "--samples", "40", "--workers", "0", "--out",
                                       "{dir}/m.json"], "--workers"),
    ("cameras calibrate --out is a folder", ["cameras", "calibrate", "--samples", "40", "--out", "{dir}"], "{dir}"),
    ("cameras evaluate --samples 0", ["cameras", "evaluate", "--samples", "0"], "--samples"),
    ("cameras evaluate --workers -2", ["cameras", "evaluate", "--samples", "10", "--workers", "-2"], "--workers"),
    ("cameras acoustic --densities nan", ["cameras", "acoustic", "--densities", "nan"], "--densities"),
    ("cameras acoustic --events 0", ["cameras", "acoustic", "--events", "0"], "--events"),
    ("serve --db random bytes", ["serve", "--db", "{rand}", "--port", "0"], "{rand}"),
    ("serve --db is a folder", ["serve", "--db", "{dir}", "--port", "0"], "{dir}"),
    ("serve --db under a file", ["serve", "--db", "{file}/db.sqlite", "--port", "0"], "{file}"),
    ("serve --synchronous sometimes", ["serve", "--db", "{dir}/new.sqlite", "--synchronous", "sometimes",
                                       "--port", "0"], "--synchronous"),
]


@pytest.fixture
def places(tmp_path, valid):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    plain = tmp_path / "a-file.txt"
    plain.write_text("not a folder\n")
    rand = tmp_path / "random.bin"
    rand.write_bytes(random.Random(3000).randbytes(3000))
    names = {"{file}": str(plain), "{dir}": str(folder), "{rand}": str(rand)}

    def fill(text: str) -> str:
        for key, value in names.items():
            text = text.replace(key, value)
        if text.startswith("{good:"):
            text = str(valid(text[6:-1]))
        return text

    return fill, folder


@pytest.mark.parametrize(("argv", "named"), [pytest.param(a, n, id=i) for i, a, n in BAD_VALUES])
def test_a_bad_value_gets_one_named_error_and_exit_2(argv, named, places):
    fill, folder = places
    before = sorted(folder.rglob("*"))
    result = invoke([fill(a) for a in argv])
    assert_refused(result, fill(named))
    assert sorted(folder.rglob("*")) == before, "a failed command wrote into a folder"
    assert no_files_under(folder / "out") == []
