"""``alprsim serve``: the lookup service over HTTP (uvicorn), on a SQLite file.

The admin key comes from ``ALPRSIM_ADMIN_KEY``; without it, the first start makes one
and prints it once (later starts keep the stored hash). ``--scenario`` registers the
scenario's camera owners as organizations and, on a new file, sets its policy pack.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from lookup.access import Principal, keyed_approvals, new_secret, refuse_approvals
from lookup.api import Limits, create_app
from lookup.persistent import PersistentService
from lookup.policy import PolicyError
from lookup.requests import Organization
from lookup.sqlite_store import SYNCHRONOUS
from scenarios.cli_errors import user_error
from scenarios.files import ScenarioError, load_scenario
from scenarios.service_run import pack_document
from scenarios.spec import ScenarioSpec

ADMIN = Principal("admin", "admin", None)
DEFAULT_PACK = "open"


def scenario_start(spec: ScenarioSpec) -> datetime:
    start = datetime.fromisoformat(spec.start)
    return start.replace(tzinfo=ZoneInfo(spec.timezone)) if start.tzinfo is None else start


def scenario_pack(spec: ScenarioSpec) -> str:
    """The scenario's policy pack name (``policy: NAME`` or ``policy: {pack: NAME}``)."""
    policy = spec.extra.get("policy")
    if isinstance(policy, str):
        return policy
    if isinstance(policy, dict) and isinstance(policy.get("pack"), str):
        return policy["pack"]
    return DEFAULT_PACK


def provision_owners(service: PersistentService, spec: ScenarioSpec) -> list[str]:
    """Register the scenario's owners that are not registered yet; set the pack if none is."""
    added = []
    known = {r.org.slug for r in service.orgs(ADMIN)}
    for owner in spec.owners:
        if owner.slug not in known:
            service.create_org(ADMIN, Organization(owner.slug, owner.name, owner.kind, owner.state),
                               owns_cameras=True, devices=owner.cameras, retention_days=owner.retention_days)
            added.append(owner.slug)
    if service.pack(ADMIN)[1] is None:
        service.set_pack(ADMIN, pack_document(scenario_pack(spec)))
    return added


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        scenario: str | None = typer.Option(None, "--scenario", help="built-in scenario name or YAML file"),
        db: Path = typer.Option(Path("alprsim-service.sqlite"), "--db", help="SQLite file (created if absent)"),
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(8000, "--port", min=0, max=65535),
        synchronous: str = typer.Option("NORMAL", "--synchronous",
                                        help="SQLite synchronous: NORMAL survives a process crash, FULL power loss"),
        max_batch_reads: int = typer.Option(Limits.max_batch_reads, "--max-batch-reads", min=1),
        approval_seed: int | None = typer.Option(
            None, "--approval-seed", help="owners grant approvals as a simulated run with this seed does "
            "(default: approvals are refused)"),
        log_level: str = typer.Option("warning", "--log-level"),
    ) -> None:
        """Run the lookup service over HTTP (OpenAPI at /docs and /openapi.json)."""
        import uvicorn

        err = typer.echo
        try:
            spec = load_scenario(scenario) if scenario else None
        except ScenarioError as exc:
            raise user_error(exc) from None
        if synchronous.upper() not in SYNCHRONOUS:
            raise user_error(f"--synchronous: {synchronous!r} is not one of {', '.join(SYNCHRONOUS)}")
        if db.is_dir():
            raise user_error(f"--db {db}: is a folder; name a SQLite file")
        key = os.environ.get("ALPRSIM_ADMIN_KEY") or None
        try:
            probe = PersistentService(db, key)
            probe.close()
        except (sqlite3.Error, OSError) as exc:  # not SQLite, damaged, or a path that cannot be made
            raise user_error(f"--db {db}: not a usable lookup-service database ({exc})") from None
        except ValueError:
            key = new_secret()
            typer.echo(f"ALPRSIM_ADMIN_KEY={key}")
            typer.echo("(the admin key: shown this once, stored only as a hash)", err=True)
        limits = Limits(max_batch_reads=max_batch_reads)
        try:
            approvals = refuse_approvals if approval_seed is None else keyed_approvals(approval_seed)
            app_ = create_app(db, key, synchronous=synchronous, limits=limits, approvals=approvals,
                              start=scenario_start(spec) if spec else None)
            if spec is not None:
                added = provision_owners(app_.state.service, spec)
                if added:
                    err(f"registered owners: {', '.join(added)}", err=True)
        except (ValueError, PolicyError, sqlite3.Error) as exc:
            raise user_error(exc) from None
        err(f"serving {db} on http://{host}:{port}", err=True)
        sys.stdout.flush()
        uvicorn.run(app_, host=host, port=port, log_level=log_level, access_log=False)


def main() -> None:
    """``python -m scenarios.cli_serve [options]``: the serve command alone."""
    app = typer.Typer(add_completion=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
