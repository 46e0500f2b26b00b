"""The explore app: a factory, a few routes, one domain call each.

The world is built, the searches planned and the traffic simulated once
(``trace_view.prepare``); each built-in policy pack then replays the same searches on the
same reads (common random numbers). The scenario's own
policy is run first, the other packs in a background thread once the first page is out;
a pack not yet run is run when asked for, so a policy switch waits at most one run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import plotly
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from scenarios.builder import build_world
from scenarios.experiment import load_policy
from scenarios.explore.views import map_view, run_view, search_view
from scenarios.policy_files import builtin_pack_names
from scenarios.trace_view import RunTrace, map_geometry, prepare, trace_policy

HERE = Path(__file__).resolve().parent
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
# the packs offered in the selector, in the order a class meets them
PACK_ORDER = ("open", "flock-2025", "ca-sb34", "ca-sb34-sb54", "strict", "il-2024", "va-2025")


class PolicyRuns:
    """Each pack's run of one world and one plan, computed once and kept.

    A page's request goes before the background warm-up: the warm-up takes the lock only
    while no request is waiting for it (a plain lock is not fair, and would let the
    warm-up run every pack before the first page).
    """

    def __init__(self, spec, default: str, packs: list[str]):
        self.spec, self.default, self.packs = spec, default, packs
        self._lock = threading.Lock()  # one run at a time
        self._world_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._built = None  # the world alone: enough for the page's map
        self._waiting = 0
        self._prepared = None
        self._geometry = None
        self._runs: dict[str, RunTrace] = {}
        self.page_served = threading.Event()  # the default run has gone out to a page

    def _world(self):
        """The world, its planned searches and its traffic (the traffic after the map)."""
        world = self.world()
        with self._world_lock:
            if self._prepared is None:
                self._prepared = prepare(self.spec, world)
            return self._prepared

    def _compute(self, policy: str) -> RunTrace:
        with self._lock:
            if policy not in self._runs:
                self._runs[policy] = trace_policy(self._world(), policy)
            return self._runs[policy]

    def get(self, policy: str) -> RunTrace:
        run = self._runs.get(policy)
        if run is not None:
            return run
        self._waiting += 1
        try:
            return self._compute(policy)
        finally:
            self._waiting -= 1

    def ready(self) -> list[str]:
        return [p for p in self.packs if p in self._runs]

    def world(self):
        """The world (built on first use; the page's map needs nothing more)."""
        with self._build_lock:
            if self._built is None:
                self._built = build_world(self.spec)
                self._geometry = map_geometry(self._built)
            return self._built

    @property
    def geometry(self):
        self.world()
        return self._geometry

    def ready_run(self, policy: str) -> RunTrace | None:
        return self._runs.get(policy)

    def warm(self, grace_s: float = 2.0) -> None:
        """Run the default, then every other pack once a page has the default's figures
        (a daemon thread calls this; the grace lets the browser draw them first)."""
        self._compute(self.default)
        if self.page_served.wait(timeout=15.0):
            time.sleep(grace_s)
        for name in [p for p in self.packs if p != self.default]:
            while self._waiting:
                time.sleep(0.05)
            self._compute(name)


def create_app(spec, policy: str | None = None, packs: list[str] | None = None, warm: bool = True) -> FastAPI:
    """The explore app for a scenario; ``policy`` is shown first (default: the scenario's)."""
    names = builtin_pack_names()
    packs = packs or [p for p in PACK_ORDER if p in names] + sorted(set(names) - set(PACK_ORDER))
    default = policy or spec.extra.get("policy") or "ca-sb34"
    for name in {default, *packs}:
        load_policy(name, spec)  # a bad name is a clear error now, not in the warm-up thread
    if default not in packs:
        packs = [default, *packs]
    runs = PolicyRuns(spec, default, packs)
    app = FastAPI(title="alprsim explore", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runs = runs
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    if warm:
        threading.Thread(target=runs.warm, name="explore-warm", daemon=True).start()

    def _run(policy: str) -> RunTrace:
        if policy not in runs.packs:
            raise HTTPException(404, f"policy {policy!r} is not one of {', '.join(runs.packs)}")
        return runs.get(policy)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        """The page at once: the map needs only the world; the figures come with the
        default run (embedded when it is ready, else fetched by the page)."""
        world = runs.world()
        trace = runs.ready_run(default)
        names_of = {o.slug: o.name for o in spec.owners}
        if trace is not None:
            runs.page_served.set()
        return templates.TemplateResponse(request, "index.html", {
            "spec": spec, "packs": runs.packs, "default": default,
            "map": map_view(runs.geometry, world.owners, names_of),
            "run": run_view(trace) if trace else None})

    plotly_bytes: list[bytes] = []

    @app.get("/plotly.min.js")
    def plotly_js():
        # from memory, in one piece: a file streamed in chunks waits on the GIL for each
        # chunk while the warm-up thread runs a policy
        if not plotly_bytes:
            plotly_bytes.append(PLOTLY_JS.read_bytes())
        return Response(plotly_bytes[0], media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/policies")
    def policies():
        return {"policies": runs.packs, "default": default, "ready": runs.ready()}

    @app.get("/api/run/{policy}")
    def run(policy: str):
        response = JSONResponse(run_view(_run(policy)))
        if policy == default:
            runs.page_served.set()
        return response

    @app.get("/api/run/{policy}/search/{search_id}")
    def search(policy: str, search_id: str):
        trace = _run(policy)
        try:
            return search_view(trace, trace.search(search_id))
        except KeyError:
            raise HTTPException(404, f"no search {search_id!r} in this run") from None

    return app
