"""Real service processes on 127.0.0.1 (a free port each), started with ``alprsim serve``'s
code (``python -m scenarios.cli_serve``), stopped or killed by their own pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from lookup.client import LookupClient
from sim import plates
from sim.records import Reads

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "test-admin-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ``serve`` process over a SQLite file; ``start`` again after ``kill`` to restart."""

    def __init__(self, db: Path, admin_key: str | None = ADMIN_KEY, args: tuple[str, ...] = ()):
        self.db = db
        self.admin_key = admin_key
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = db.parent / f"{db.stem}-{self.port}.log"

    def start(self, timeout_s: float = 60.0) -> Server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("ALPRSIM_ADMIN_KEY", None)
        if self.admin_key is not None:
            env["ALPRSIM_ADMIN_KEY"] = self.admin_key
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scenarios.cli_serve", "--db", str(self.db), "--port", str(self.port),
             "--log-level", "error", *self.args],
            cwd=ROOT, env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on port {self.port} did not answer within {timeout_s} s")

    def kill(self) -> None:
        """kill -9: no shutdown, no flushing beyond what SQLite already committed."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def output(self) -> str:
        """What the server printed (stdout and stderr, every start)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def client(self, key: str | None = None, **kwargs) -> LookupClient:
        """A client with ``key`` (default: the admin key)."""
        return LookupClient(self.url, key or self.admin_key, **kwargs)


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "service.sqlite").start()
    yield srv
    srv.stop()


def make_reads(rng: np.random.Generator, n: int, t0: int = 0, span_s: int = 3600,
               pool: tuple[str, ...] = ("7ABC123", "8XYZ999", "5SOW350", "6TRJ244")) -> Reads:
    """Synthetic reads, sorted by time, plates from ``pool``."""
    return Reads.from_columns({
        "time_s": np.sort(rng.integers(t0, t0 + span_s, n)), "camera": rng.integers(0, 20, n),
        "owner": np.zeros(n), "plate": plates.encode_many(list(rng.choice(pool, n))),
        "plate_state": np.zeros(n), "confidence": rng.random(n).astype(np.float32),
        "make": rng.integers(0, 5, n), "colour": rng.integers(0, 5, n), "body": rng.integers(0, 3, n),
        "vehicle": np.full(n, -1)})


OPEN_PACK = {"name": "open", "source": "tests", "layers": [{"policy": {
    "name": "open", "source": "tests", "layer": "baseline", "default": "allow"}}]}
