"""``alprsim serve``: first start, restart, the admin key, a scenario's owners."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from lookup.client import ApiError
from scenarios.cli_serve import register
from tests.conftest import FIXTURES
from tests.service.conftest import Server


def test_first_start_prints_a_new_admin_key_once_and_restarts_keep_everything(tmp_path):
    srv = Server(tmp_path / "first.sqlite", admin_key=None, args=("--scenario", str(FIXTURES / "two-towns.yaml")))
    srv.start()
    srv.stop()
    printed = re.findall(r"ALPRSIM_ADMIN_KEY=(\S+)", srv.output())
    assert len(printed) == 1
    key = printed[0]
    srv.start()  # second start: the stored hash, nothing printed
    admin = srv.client(key)
    try:
        assert [o["slug"] for o in admin.orgs()] == ["alpha-ca-pd", "beta-ca-pd"]
        assert admin.orgs()[1]["retention_days"] == 1.0 and admin.orgs()[0]["devices"] == 12
        assert admin.pack()["name"] == "open"
        assert len(re.findall(r"ALPRSIM_ADMIN_KEY=", srv.output())) == 1
        agency = admin.create_key("alpha-ca-pd")["key"]
    finally:
        srv.stop()
    srv.admin_key = "a-new-admin-key-from-the-environment"
    srv.start()
    try:
        try:
            srv.client(key).orgs()
            raise AssertionError("the replaced admin key still works")
        except ApiError as error:
            assert error.status == 401
        assert srv.client(agency).sharing()["shares"] == []  # keys survive restarts
        assert len(srv.client().orgs()) == 2  # owners are registered once
    finally:
        srv.stop()


def test_bad_options_stop_before_serving(tmp_path):
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["--scenario", "no-such-scenario", "--db", str(tmp_path / "x.sqlite")],
                                env={"ALPRSIM_ADMIN_KEY": "k"})
    assert result.exit_code == 2 and "no-such-scenario" in result.output
    result = CliRunner().invoke(app, ["--synchronous", "SOMETIMES", "--db", str(tmp_path / "y.sqlite")],
                                env={"ALPRSIM_ADMIN_KEY": "k"})
    assert result.exit_code == 2 and "SOMETIMES" in result.output
