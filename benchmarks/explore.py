"""``alprsim explore`` on the classroom scenario: first page, page load and policy switch.

Figures:

- ``explore_first_map_s``: from ``create_app`` to the page with its map in chromium (the
  world built; the run still computing), and ``explore_first_figures_s``: to the Sankey
  drawn (the default policy run and traced), both against the simulation alone in the
  same run (``prepare`` + ``run_policy``, no tracing, no page);
- ``explore_trace_s``: ``trace_policy`` for one pack, against ``run_policy`` alone;
- ``explore_page_load_s``: median of five reloads once every pack is computed, against
  fetching the same files with httpx (the server's share);
- ``explore_policy_switch_s``: median over the packs of choosing one in ``policy-select``
  until ``leak-total`` shows its figure, against ``GET /api/run/PACK`` with httpx.

Browser figures need Debian's chromium at /usr/bin/chromium and Playwright; without them
only the first two figures are printed. Run: ``python -m benchmarks explore``.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from pathlib import Path

import httpx

from benchmarks import emit, log
from scenarios.experiment import run_policy
from scenarios.explore import create_app
from scenarios.files import load_scenario
from scenarios.trace_view import prepare, trace_policy

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _serve(app) -> tuple[str, object]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            httpx.get(url + "/plotly.min.js", timeout=1)
            return url, server
        except httpx.HTTPError:
            time.sleep(0.02)


def main() -> None:
    spec = load_scenario("classroom")
    t = time.perf_counter()
    prepared = prepare(spec)
    run_policy(prepared.world, "ca-sb34", prepared.planned, traffic=prepared.traffic)
    sim_only = time.perf_counter() - t
    t = time.perf_counter()
    trace_policy(prepared, "ca-sb34")
    traced = time.perf_counter() - t
    t = time.perf_counter()
    run_policy(prepared.world, "ca-sb34", prepared.planned, traffic=prepared.traffic)
    emit("explore_trace_s", traced, "s", baseline=time.perf_counter() - t, scenario="classroom")
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} is absent: browser figures skipped")
        emit("explore_simulation_only_s", sim_only, "s")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1") else r.abort())
        t = time.perf_counter()
        app = create_app(spec)
        url, server = _serve(app)
        page.goto(url + "/", wait_until="commit")
        page.wait_for_selector("[data-testid=map] circle.cam", state="attached")
        emit("explore_first_map_s", time.perf_counter() - t, "s", baseline=sim_only)
        page.wait_for_selector("[data-testid=sankey] svg.main-svg", timeout=300_000)
        emit("explore_first_figures_s", time.perf_counter() - t, "s", baseline=sim_only)
        runs = app.state.runs
        while len(runs.ready()) < len(runs.packs):
            time.sleep(0.1)
        loads, fetches = [], []
        for _ in range(5):
            t = time.perf_counter()
            page.reload()
            page.wait_for_selector("[data-testid=sankey] svg.main-svg")
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            for path in ("/", "/plotly.min.js", "/static/explore.js", "/static/explore.css"):
                httpx.get(url + path)
            fetches.append(time.perf_counter() - t)
        emit("explore_page_load_s", statistics.median(loads), "s", baseline=statistics.median(fetches))
        switches, gets = [], []
        for pack in [p for p in runs.packs if p != runs.default] + [runs.default]:
            figure = runs.get(pack).headline.federal_distinct_reads
            t = time.perf_counter()
            page.select_option("[data-testid=policy-select]", pack)
            page.wait_for_function(f"document.getElementById('status').textContent.startsWith('showing {pack} ')")
            switches.append(time.perf_counter() - t)
            assert int(page.inner_text("[data-testid=leak-total]")) == figure
            t = time.perf_counter()
            httpx.get(f"{url}/api/run/{pack}")
            gets.append(time.perf_counter() - t)
        emit("explore_policy_switch_s", statistics.median(switches), "s", baseline=statistics.median(gets),
             packs=len(switches), slowest_s=round(max(switches), 4))
        browser.close()
        server.should_exit = True
