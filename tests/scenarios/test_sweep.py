"""alprsim sweep: a tiny sweep end to end, executors agree, resume, and named errors."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from scenarios import sweep as sweep_module
from scenarios.cli import app
from scenarios.sweep_file import SweepError, load_sweep, set_path
from scenarios.sweep_summary import point_summaries

TWO_TOWNS = Path(__file__).resolve().parents[1] / "fixtures" / "two-towns.yaml"
OUTPUTS = ["leakage.federal.reads_delivered", "cost.legit.without_hit",
           "leakage.federal.targets_located / leakage.federal.targets"]
TINY = f"""\
scenario: {TWO_TOWNS}
days: 2
replications: 2
seed: 3
policies: [ca-sb34, ca-sb34-sb54]
grid:
  "owners[alpha-ca-pd].cameras": [6, 12]
outputs: {json.dumps(OUTPUTS)}
"""
runner = CliRunner()


def _sweep(tmp: Path, *args: str, text: str = TINY, name: str = "tiny.yaml"):
    path = tmp / name
    path.write_text(text)
    return runner.invoke(app, ["sweep", str(path), *args])


def _table(out: Path):
    return pq.read_table(out / "results.parquet")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sweep")
    result = _sweep(tmp, "--out", str(tmp / "out"), "--workers", "2")
    assert result.exit_code == 0, result.output
    return tmp / "out"


def test_tiny_sweep_writes_one_row_per_run_with_intervals_and_plots(two_workers):
    table = _table(two_workers)
    assert table.num_rows == 2 * 2 * 2  # policies x points x replications
    cols = set(table.column_names)
    assert {"policy", "seed", "replication", "run_s", "owners[alpha-ca-pd].cameras", *OUTPUTS} <= cols
    rows = table.to_pylist()
    assert sorted({r["seed"] for r in rows}) == [3, 4]
    assert sorted({r["owners[alpha-ca-pd].cameras"] for r in rows}) == [6, 12]
    summary = json.loads((two_workers / "summary.json").read_text())
    assert len(summary["points"]) == 4
    for entry in summary["points"]:
        for output in OUTPUTS:
            iv = entry["outputs"][output]
            assert iv["n"] == 2
            mine = [r[output] for r in rows if r["policy"] == entry["policy"]
                    and r["owners[alpha-ca-pd].cameras"] == entry["point"]["owners[alpha-ca-pd].cameras"]]
            assert iv["mean"] == pytest.approx(sum(mine) / 2, abs=1e-3)
            assert iv["ci95"][0] <= iv["mean"] <= iv["ci95"][1]
        if entry["policy"] == "ca-sb34-sb54":
            assert entry["difference_from"] == "ca-sb34"
    # policies at a point share world and requests: sb54 never leaks more than sb34 on the same seed
    by = {(r["point"], r["seed"], r["policy"]): r for r in rows}
    for (point, seed, policy), r in by.items():
        if policy == "ca-sb34-sb54":
            assert r[OUTPUTS[0]] <= by[(point, seed, "ca-sb34")][OUTPUTS[0]]
    for png in ("frontier.png", "outputs.png"):
        data = (two_workers / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    report = (two_workers / "report.md").read_text()
    assert "![frontier](frontier.png)" in report and "![outputs](outputs.png)" in report


def test_more_cameras_read_more_federal_reads(two_workers):
    """Metamorphic: doubling Alpha's cameras (same seeds) delivers more federal reads in total.

    Two days, not one: over one day the federal searches found 50 reads either way once the
    misread model was recalibrated (issue 17; reads in all still rose by a fifth)."""
    rows = _table(two_workers).to_pylist()
    total = {n: sum(r[OUTPUTS[0]] for r in rows if r["owners[alpha-ca-pd].cameras"] == n) for n in (6, 12)}
    assert total[12] > total[6]


def _figures(out: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "run_s"} for r in _table(out).to_pylist()]


def test_one_worker_two_workers_and_dask_give_identical_results(two_workers, tmp_path):
    serial = _sweep(tmp_path, "--out", str(tmp_path / "serial"), "--workers", "1")
    assert serial.exit_code == 0, serial.output
    dask = _sweep(tmp_path, "--out", str(tmp_path / "dask"), "--dask", "local", "--workers", "2")
    assert dask.exit_code == 0, dask.output
    expected = _figures(two_workers)
    assert _figures(tmp_path / "serial") == expected
    assert _figures(tmp_path / "dask") == expected
    assert _table(tmp_path / "dask").schema.equals(_table(two_workers).schema)


def test_local_dask_workers_start_with_alprsim_imported():
    # a worker that imported alprsim inside its first run would bill the import to that run
    names = ["scenarios.sweep", "scenarios.builder", "agencies"]
    with sweep_module.DaskEngine("local", 1) as engine:
        # a lambda travels by value: unpickling it must not import the test module (and alprsim)
        loaded = engine._client.run(lambda names: [n for n in names if n in __import__("sys").modules], names)
    assert list(loaded.values()) == [names]


def test_resume_runs_only_what_is_missing(two_workers, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(two_workers, out)
    table = _table(out)
    kept = table.slice(0, 5)  # drop 3 of the 8 runs: 2 (point, seed) tasks to redo
    pq.write_table(kept, out / "results.parquet")
    calls = []
    real = sweep_module.run_task

    def counting(task):
        calls.append(task)
        return real(task)

    monkeypatch.setattr(sweep_module, "run_task", counting)
    result = _sweep(tmp_path, "--out", str(out), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert sum(len(t.policies) for t in calls) == 3
    assert "3 simulated now, 5 already" in " ".join(result.output.split())
    after = _table(out).to_pylist()
    assert len(after) == 8
    before_run_s = {r["run_key"]: r["run_s"] for r in kept.to_pylist()}
    assert all(r["run_s"] == before_run_s[r["run_key"]] for r in after if r["run_key"] in before_run_s)
    assert _figures(out) == _figures(two_workers)
    calls.clear()
    again = _sweep(tmp_path, "--out", str(out), "--workers", "1")
    assert again.exit_code == 0 and calls == []
    assert "0 simulated now, 8 already" in " ".join(again.output.split())


BAD = {
    "unknown path": ('grid:\n  "owners[alpha-ca-pd].camras": [1, 2]\n', 6, "did you mean cameras"),
    "unknown owner": ('grid:\n  "owners[gamma-ca-pd].cameras": [1, 2]\n', 6, "alpha-ca-pd, beta-ca-pd"),
    "bad value": ('grid:\n  "owners[alpha-ca-pd].cameras": [4, -3]\n', 6, "greater than or equal to 0"),
    "empty grid": ("grid: {}\n", 5, "grid: empty"),
    "empty axis": ('grid:\n  "agencies.local_scale": []\n', 6, "no values"),
    "range lo > hi": ("sample:\n  method: lhs\n  n: 4\n  ranges:\n    agencies.local_scale: [2.0, 0.5]\n", 9,
                      "lo must be below hi"),
    "grid and sample": ('grid:\n  "agencies.local_scale": [1.0]\nsample:\n  method: lhs\n  n: 4\n  ranges:\n'
                        "    agencies.local_scale: [0.5, 2.0]\n", 8, "not both"),
    "unknown method": ("sample:\n  method: halton\n  n: 4\n  ranges:\n    agencies.local_scale: [0.5, 2.0]\n", 6,
                       "sample.method"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_files_are_named_errors_before_any_run(case, tmp_path, monkeypatch):
    design, line, words = BAD[case]
    text = f"scenario: {TWO_TOWNS}\ndays: 1\nreplications: 1\npolicies: [ca-sb34]\n{design}outputs: [cost.legit.denied]\n"
    monkeypatch.setattr(sweep_module, "run_task", lambda task: pytest.fail("a run started"))
    result = _sweep(tmp_path, "--workers", "1", "--out", str(tmp_path / "o"), text=text, name="bad.yaml")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert message.startswith("error:") and "Traceback" not in message
    assert f"bad.yaml:{line}:" in message and words in message


def test_unknown_output_names_close_matches(tmp_path):
    text = (f"scenario: {TWO_TOWNS}\ndays: 0.25\nreplications: 1\npolicies: [ca-sb34]\n"
            "outputs:\n  - leakage.federal.reads_delivered\n  - cost.legit.denid\n")
    result = _sweep(tmp_path, "--workers", "1", "--out", str(tmp_path / "o"), text=text, name="outs.yaml")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "outs.yaml:7: outputs:" in message and "close: cost.legit.denied" in message


def test_unknown_policy_is_named_with_its_line(tmp_path):
    text = f"scenario: {TWO_TOWNS}\npolicies:\n  - ca-sb34\n  - no-such-pack\noutputs: [cost.legit.denied]\n"
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(SweepError, match=r"p\.yaml:4: policies: .*no-such-pack"):
        load_sweep(path)


def test_linked_paths_take_each_value_together(tmp_path):
    text = (f"scenario: {TWO_TOWNS}\npolicies: [ca-sb34]\ngrid:\n  cameras per town:\n"
            "    paths: ['owners[alpha-ca-pd].cameras', 'owners[beta-ca-pd].cameras']\n"
            "    values: [5, 50]\noutputs: [cost.legit.denied]\n")
    path = tmp_path / "l.yaml"
    path.write_text(text)
    sweep = load_sweep(path)
    assert sweep.points == ({"owners[alpha-ca-pd].cameras": 5, "owners[beta-ca-pd].cameras": 5},
                            {"owners[alpha-ca-pd].cameras": 50, "owners[beta-ca-pd].cameras": 50})
    resolved = sweep.resolved(sweep.points[1], 9)
    assert [o["cameras"] for o in resolved["owners"]] == [50, 50] and resolved["seed"] == 9
    assert [o["cameras"] for o in sweep.base["owners"]] == [12, 8]  # the base is untouched


def test_sampled_integer_fields_are_rounded_and_in_range(tmp_path):
    text = (f"scenario: {TWO_TOWNS}\npolicies: [ca-sb34]\nsample:\n  method: lhs\n  n: 16\n  ranges:\n"
            "    'owners[alpha-ca-pd].cameras': [4, 40]\n    agencies.local_scale: [0.5, 2.0]\n"
            "outputs: [cost.legit.denied]\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    sweep = load_sweep(path)
    cams = [p["owners[alpha-ca-pd].cameras"] for p in sweep.points]
    scales = [p["agencies.local_scale"] for p in sweep.points]
    assert len(cams) == 16 and all(isinstance(c, int) and 4 <= c <= 40 for c in cams)
    assert all(isinstance(s, float) and 0.5 <= s <= 2.0 for s in scales)
    assert len({int((s - 0.5) / (1.5 / 16)) for s in scales}) == 16  # latin: one point per stratum


def test_set_path_creates_missing_sections():
    data = {"owners": [{"slug": "a-pd", "cameras": 3}]}
    set_path(data, "agencies.targets.ice-ero", 40)
    set_path(data, "owners[a-pd].cameras", 7)
    assert data == {"owners": [{"slug": "a-pd", "cameras": 7}], "agencies": {"targets": {"ice-ero": 40}}}


def test_paired_difference_uses_the_same_seeds(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TINY)
    sweep = load_sweep(path)
    rows = []
    for i in range(2):
        for r in range(2):
            for k, policy in enumerate(sweep.policies):
                rows.append({"point": i, "policy": policy, "replication": r,
                             **dict.fromkeys(OUTPUTS, 10.0 * r + (3.0 if k else 0.0) + i)})
    entries = point_summaries(sweep, rows)
    diff = entries[1]["paired_difference"][OUTPUTS[0]]
    # the seeds differ by 10, the policies by exactly 3 on each seed: a zero-width paired interval
    assert diff["mean"] == 3.0 and diff["ci95"] == [3.0, 3.0]
    assert entries[1]["outputs"][OUTPUTS[0]]["ci95"][1] - entries[1]["outputs"][OUTPUTS[0]]["ci95"][0] > 50
    assert not math.isnan(entries[0]["outputs"][OUTPUTS[0]]["mean"])


def _sampled(tmp_path: Path, method: str, n: int) -> tuple:
    text = (f"scenario: {TWO_TOWNS}\nreplications: 2\npolicies: [ca-sb34, strict]\nsample:\n  method: {method}\n"
            f"  n: {n}\n  ranges:\n    agencies.local_scale: [0.5, 2.0]\n    agencies.hotlist_vehicle_share: "
            "[0.001, 0.01]\noutputs: [leakage.federal.reads_delivered, cost.legit.denied]\n")
    path = tmp_path / f"{method}.yaml"
    path.write_text(text)
    sweep = load_sweep(path)
    rows = []
    for i, point in enumerate(sweep.points):
        for r in range(2):
            for policy in sweep.policies:
                # leakage depends on local_scale alone; cost on the hotlist share alone
                rows.append({"point": i, "policy": policy, "replication": r, **point,
                             "leakage.federal.reads_delivered": 100 * point["agencies.local_scale"] + r,
                             "cost.legit.denied": 1000 * point["agencies.hotlist_vehicle_share"]})
    return sweep, rows


def test_sobol_indices_find_the_parameter_an_output_depends_on(tmp_path):
    from scenarios.sweep_summary import sensitivity
    sweep, rows = _sampled(tmp_path, "sobol", 64)
    assert len(sweep.points) == 64 * (2 + 2)
    s = sensitivity(sweep, rows)["by_policy"]["strict"]
    leak, cost = s["leakage.federal.reads_delivered"], s["cost.legit.denied"]
    assert leak["agencies.local_scale"]["ST"]["value"] > 0.9
    assert abs(leak["agencies.hotlist_vehicle_share"]["ST"]["value"]) < 0.05
    assert cost["agencies.hotlist_vehicle_share"]["S1"]["value"] > 0.8
    lo, hi = cost["agencies.hotlist_vehicle_share"]["S1"]["ci95"]
    assert lo <= cost["agencies.hotlist_vehicle_share"]["S1"]["value"] <= hi and hi > lo


def test_morris_ranks_the_influential_parameter_first_and_plots(tmp_path):
    from scenarios.sweep_report import write_report
    from scenarios.sweep_summary import summary
    sweep, rows = _sampled(tmp_path, "morris", 10)
    result = summary(sweep, rows, "test")
    m = result["sensitivity"]["by_policy"]["ca-sb34"]["leakage.federal.reads_delivered"]
    assert m["agencies.local_scale"]["mu_star"]["value"] > 10 * m["agencies.hotlist_vehicle_share"]["mu_star"]["value"]
    written = write_report(tmp_path / "out", sweep, rows, result)
    png = (tmp_path / "out" / "sensitivity.png").read_bytes()
    assert tmp_path / "out" / "sensitivity.png" in written and len(png) > 10_000
    assert "## Sensitivity (morris)" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize("name", ["camera-density.yaml", "proxy-willingness.yaml"])
def test_example_sweeps_load(name):
    sweep = load_sweep(Path(__file__).resolve().parents[2] / "examples" / "sweeps" / name)
    assert len(sweep.points) >= 4 and sweep.parameters


def test_bad_dask_address_is_a_named_error(tmp_path):
    result = _sweep(tmp_path, "--dask", "localhost:8786", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "--dask: 'localhost:8786' is not 'local' or a scheduler address" in " ".join(result.output.split())


def test_set_fixes_fields_at_every_point_and_names_a_bad_path(tmp_path):
    text = (f"scenario: {TWO_TOWNS}\npolicies: [ca-sb34]\nset:\n  agencies.follow_ups: 0\n"
            "grid:\n  agencies.local_scale: [0.5, 1.0]\noutputs: [cost.legit.denied]\n")
    path = tmp_path / "set.yaml"
    path.write_text(text)
    sweep = load_sweep(path)
    assert [sweep.resolved(p, 1)["agencies"]["follow_ups"] for p in sweep.points] == [0, 0]
    assert [p.label for p in sweep.parameters] == ["agencies.local_scale"]  # not a varied column
    path.write_text(text.replace("follow_ups: 0", "follow_upz: 0"))
    with pytest.raises(SweepError, match=r"set\.yaml:4: set\.agencies\.follow_upz: .*did you mean follow_ups"):
        load_sweep(path)
