"""``alprsim run --service URL``: the simulator drives a real service over loopback."""

import json

from typer.testing import CliRunner

from scenarios.cli import app
from tests.conftest import FIXTURES
from tests.service.conftest import ADMIN_KEY, Server

FIGURES = ("searches_served", "reads_delivered", "vehicles_exposed", "targets", "targets_located")


def test_a_run_against_the_service_gives_the_in_process_figures(tmp_path):
    server = Server(tmp_path / "service.sqlite", args=("--approval-seed", "7")).start()  # the fixture's seed
    try:
        runner = CliRunner()
        args = ["run", str(FIXTURES / "two-towns.yaml"), "--days", "1", "--policy", "ca-sb34", "--reads-format", "none"]
        remote = runner.invoke(app, [*args, "--service", server.url, "--out", str(tmp_path / "remote")],
                               env={"ALPRSIM_ADMIN_KEY": ADMIN_KEY})
        assert remote.exit_code == 0, remote.output + server.output()[-2000:]
    finally:
        server.stop()
    local = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    a = json.loads((tmp_path / "remote" / "report.json").read_text())
    b = json.loads((tmp_path / "local" / "report.json").read_text())
    assert a["records_sha256"] == b["records_sha256"]
    assert a["searches"] == b["searches"]
    for kind in ("federal", "out_of_state"):
        assert {k: a["leakage"][kind][k] for k in FIGURES} == {k: b["leakage"][kind][k] for k in FIGURES}
    assert a["cost"] == b["cost"]
    assert a["audit"]["chain_verified"] and a["audit"]["rows"] == b["audit"]["rows"]


def test_a_service_that_is_not_there_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "0.1", "--policy", "ca-sb34",
                                      "--service", "http://127.0.0.1:9", "--out", str(tmp_path)],
                                env={"ALPRSIM_ADMIN_KEY": ADMIN_KEY})
    assert result.exit_code == 2 and "--service http://127.0.0.1:9" in result.output
