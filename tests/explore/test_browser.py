"""The explore page in a real browser (Debian's chromium driven by Playwright), offline."""

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.explore.conftest import CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, explore_url):
    """A page whose every non-loopback request is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    started = time.perf_counter()
    page.goto(explore_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=sankey] svg.main-svg")
    page.load_s = time.perf_counter() - started
    yield page
    context.close()


def _leak(page) -> int:
    return int(page.get_by_test_id("leak-total").inner_text().replace(",", ""))


def test_page_needs_no_network_beyond_loopback(page):
    assert page.outside == []
    assert page.evaluate("typeof Plotly") == "object"


def test_sankey_and_map_render_non_empty(page, tmp_path):
    sankey = page.get_by_test_id("sankey")
    assert sankey.locator("svg.main-svg").count() >= 1
    assert sankey.locator("g.sankey-node").count() >= 4  # beneficiary, channel, requester, owner at least
    assert sankey.locator("path.sankey-link").count() >= 3
    box = sankey.bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    map_ = page.get_by_test_id("map")
    assert map_.locator("circle.cam").count() > 0
    assert len(map_.locator("path.roads").get_attribute("d")) > 1000
    assert map_.bounding_box()["height"] > 100
    page.screenshot(path=str(tmp_path / "explore-overview.png"), full_page=True)
    sankey.screenshot(path=str(tmp_path / "explore-sankey.png"))
    map_.screenshot(path=str(tmp_path / "explore-map.png"))


def test_choosing_strict_shows_the_strict_runs_federal_figure(page, explore_app, tmp_path):
    runs = explore_app.state.runs
    default = runs.get(runs.default).headline.federal_distinct_reads
    strict = runs.get("strict").headline.federal_distinct_reads
    assert strict < default  # else the test could not tell the policies apart
    assert _leak(page) == default
    page.get_by_test_id("policy-select").select_option("strict")
    page.wait_for_function(f"document.querySelector('[data-testid=leak-total]').textContent.trim() === '{strict}'")
    assert _leak(page) == strict
    assert re.search(r"showing strict", page.locator("#status").inner_text())
    page.screenshot(path=str(tmp_path / "explore-strict.png"), full_page=True)
    assert page.outside == []


def test_selecting_a_search_shows_its_audit_row_and_true_face(page, explore_app, tmp_path):
    runs = explore_app.state.runs
    trace = runs.get(runs.default)
    # a federal search that an in-state agency made and Oakland's cameras answered
    chosen = next(s for s in trace.searches if s.beneficiary_kind == "federal" and s.org != s.beneficiary
                  and s.published_for("oakland-ca-pd") is not None and s.distinct_reads)
    row = page.locator(f"#searches-table tr[data-id='{chosen.search_id}']")
    row.focus()
    page.keyboard.press("Enter")  # keyboard selection
    audit = page.get_by_test_id("audit-row")
    audit.get_by_text("Oakland CA PD's network audit").wait_for()
    published = dict(chosen.published_for("oakland-ca-pd").columns)
    text = audit.inner_text()
    assert published["Org Name"] in text and published["Search Time"] in text
    assert chosen.beneficiary_name not in text  # the published row does not name the true beneficiary
    true_face = page.get_by_test_id("true-face").inner_text()
    assert chosen.beneficiary_name in true_face and chosen.channel in true_face
    assert row.get_attribute("aria-selected") == "true"
    assert page.locator("#map circle.cam.hit").count() == len(chosen.read_cameras)
    page.screenshot(path=str(tmp_path / "explore-search.png"), full_page=True)


def test_the_page_reads_at_phone_width(browser, explore_url, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
    page.goto(explore_url + "/")
    page.wait_for_selector("[data-testid=sankey] svg.main-svg")
    # nothing but the table's own scroller is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "explore-phone.png"), full_page=True)
    context.close()


def test_the_page_opens_before_the_run_and_fills_in_when_it_is_computed(browser, tmp_path):
    """A policy not yet run is computed on request, with a progress indicator meanwhile."""
    import threading

    import uvicorn

    from scenarios.explore import create_app
    from scenarios.files import load_scenario
    from tests.explore.conftest import _free_port

    app = create_app(load_scenario("classroom"), packs=["ca-sb34"], warm=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        context = browser.new_context()
        page = context.new_page()
        outside = []
        page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                   else (outside.append(r.request.url), r.abort()))
        response = page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        assert "computing the run under ca-sb34" in response.text()  # no run yet when the page was made
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        figure = app.state.runs.get("ca-sb34").headline.federal_distinct_reads
        assert _leak(page) == figure
        assert page.locator("#status").inner_text().startswith("showing ca-sb34")
        assert outside == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
