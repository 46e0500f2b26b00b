"""The explore app over HTTP: offline assets, the JSON the page redraws from, clear 404s."""

import httpx

from scenarios.explore.app import PLOTLY_JS

TESTIDS = ("map", "sankey", "searches-table", "policy-select", "leak-total", "audit-row", "true-face")


def test_the_page_carries_every_testid_and_no_outside_url(explore_url):
    html = httpx.get(explore_url + "/").text
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_plotly_js_comes_from_the_installed_package(explore_url):
    body = httpx.get(explore_url + "/plotly.min.js").content
    assert body == PLOTLY_JS.read_bytes() and len(body) > 1_000_000


def test_each_pack_is_the_same_requests_under_another_policy(explore_url, explore_app):
    runs = explore_app.state.runs
    first = httpx.get(f"{explore_url}/api/run/ca-sb34").json()
    strict = httpx.get(f"{explore_url}/api/run/strict").json()
    assert [s["id"] for s in first["searches"]] == [s["id"] for s in strict["searches"]]
    assert strict["headline"]["federal_distinct_reads"] == runs.get("strict").headline.federal_distinct_reads
    sankey = first["sankey"]
    assert sum(v for v, s in zip(sankey["value"], sankey["source"], strict=True)
               if sankey["labels"][s] in {b["name"] for b in first["beneficiaries"] if b["kind"] == "federal"}) \
        == first["headline"]["federal_distinct_reads"]


def test_unknown_policy_and_search_are_404(explore_url):
    r = httpx.get(f"{explore_url}/api/run/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = httpx.get(f"{explore_url}/api/run/ca-sb34/search/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]
