"""Bodies beyond what schemathesis generates, against a real server on loopback: non-UTF-8
text, huge arrays, deeply nested JSON, content types the API does not speak. Each gets a 4xx
whose detail names the problem, never a 5xx, and the next good request still succeeds."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.service.conftest import OPEN_PACK, Server

GOOD_SEARCH = {"user": "officer 1", "reason": "211PC robbery", "case_number": "26-01628",
               "query": {"plate": "7ABC123", "start_s": 0, "end_s": 3600}}
JSON = "application/json"


def _deep(depth: int) -> bytes:
    return b'{"user": "u", "reason": ' + b"[" * depth + b"]" * depth + b"}"


# (id, path, body, content type, status, words the detail must contain)
BAD_BODIES = [
    ("non-UTF-8 bytes", "/v1/searches", b'{"user": "u", "reason": "\xff\xfe\xfa"}', JSON, 422, "UTF-8"),
    ("Latin-1 text", "/v1/searches", '{"user": "u", "reason": "caf\u00e9"}'.encode("latin-1"), JSON, 422, "UTF-8"),
    ("UTF-16 JSON", "/v1/searches", json.dumps(GOOD_SEARCH).encode("utf-16"), JSON, 422, "UTF-8"),
    ("random bytes", "/v1/searches", bytes(range(256)) * 8, JSON, 422, "JSON"),
    ("truncated JSON", "/v1/searches", json.dumps(GOOD_SEARCH).encode()[:40], JSON, 422, "JSON"),
    ("empty body", "/v1/searches", b"", JSON, 422, "body"),
    ("deeply nested array", "/v1/searches", b"[" * 100_000 + b"]" * 100_000, JSON, 422, "nested"),
    ("deeply nested field", "/v1/searches", _deep(50_000), JSON, 422, "nested"),
    ("a million cameras", "/v1/searches",
     json.dumps({**GOOD_SEARCH, "query": {"plate": "7ABC123", "cameras": [1] * 1_000_000}}).encode(), JSON, 422,
     "cameras"),
    ("a huge reads batch", "/v1/reads/batches",
     json.dumps({"reads": {"time_s": [0] * 1_000_000, "camera": [0] * 1_000_000, "plate": ["7ABC123"] * 1_000_000}}
                ).encode(), JSON, 413, "limit"),
    ("a batch over the read limit", "/v1/reads/batches",
     json.dumps({"reads": {"time_s": [0] * 60_000, "camera": [0] * 60_000, "plate": ["7ABC123"] * 60_000}}).encode(),
     JSON, 422, "50000"),
    ("a body over the size limit", "/v1/searches", b'{"user": "' + b"a" * (17 * 2**20) + b'"}', JSON, 413, "limit"),
    ("NaN and infinity", "/v1/searches", b'{"user": "u", "time_s": NaN, "query": {"start_s": Infinity}}', JSON, 422,
     "time_s"),
    ("text/plain", "/v1/searches", json.dumps(GOOD_SEARCH).encode(), "text/plain", 415, "text/plain"),
    ("application/xml", "/v1/searches", b"<search><user>u</user></search>", "application/xml", 415,
     "application/xml"),
    ("form data", "/v1/searches", b"user=u&reason=x", "application/x-www-form-urlencoded", 415,
     "application/x-www-form-urlencoded"),
    ("multipart", "/v1/searches", b"--x\r\nContent-Disposition: form-data; name=user\r\n\r\nu\r\n--x--\r\n",
     "multipart/form-data; boundary=x", 415, "multipart/form-data"),
    ("JSON with a non-UTF-8 charset", "/v1/searches", json.dumps(GOOD_SEARCH).encode("utf-16"),
     "application/json; charset=utf-16", 415, "UTF-8"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("bodies") / "bodies.sqlite").start()
    admin = srv.client()
    admin.create_org("oak", "Oakland PD", "local", "CA", owns_cameras=True, devices=5)
    admin.set_pack(OPEN_PACK)
    agency = admin.create_key("oak", "agency")["key"]
    camera = admin.create_key("oak", "camera")["key"]
    yield srv, {"/v1/searches": agency, "/v1/reads/batches": camera}
    srv.stop()


def good_search(srv: Server, key: str) -> httpx.Response:
    return httpx.post(f"{srv.url}/v1/searches", json=GOOD_SEARCH, headers={"Authorization": f"Bearer {key}"},
                      timeout=30)


@pytest.mark.parametrize(("path", "body", "content_type", "status", "named"),
                         [pytest.param(*row[1:], id=row[0]) for row in BAD_BODIES])
def test_a_bad_body_gets_a_4xx_naming_the_problem_and_the_service_keeps_serving(served, path, body, content_type,
                                                                               status, named):
    srv, keys = served
    response = httpx.post(f"{srv.url}{path}", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {keys[path]}", "Content-Type": content_type})
    assert response.status_code == status, response.text[:500]
    assert named.lower() in response.text.lower(), response.text[:500]
    assert len(response.content) < 10_000  # the answer does not echo the body back
    assert good_search(srv, keys["/v1/searches"]).status_code == 200


def test_the_server_printed_no_traceback(served):
    srv, keys = served
    assert good_search(srv, keys["/v1/searches"]).status_code == 200
    assert "Traceback" not in srv.output()
