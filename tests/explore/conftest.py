"""The explore app served by uvicorn on a free loopback port, for browser and HTTP tests."""

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from scenarios.explore import create_app
from scenarios.files import load_scenario

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def explore_app():
    """The classroom scenario's app, every pack computed before the tests start."""
    app = create_app(load_scenario("classroom"), warm=False)
    app.state.runs.page_served.set()  # no grace wait: compute every pack now
    app.state.runs.warm(grace_s=0)
    return app


@pytest.fixture(scope="session")
def explore_url(explore_app):
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(explore_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/policies", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
