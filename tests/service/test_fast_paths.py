"""The service's fast paths answer exactly as the paths they shortcut.

- a batch's columns checked in numpy (``schemas._fast_columns``) give the same reads, and
  the same refusals, as pydantic's per-value checks;
- a search answer written by orjson from the columns (``search_json``) is the
  ``SearchOut`` body;
- a body with a number orjson would read as a float is read by ``json.loads``;
- a search that finds the database busy waits for it in a worker thread.
"""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import lookup.api.schemas as schemas
from lookup.access import Principal, SharingSettings
from lookup.api import Limits, create_app
from lookup.api.routes import batch_reads, search_json, search_out
from lookup.api.schemas import BatchIn
from lookup.persistent import PersistentService
from lookup.requests import Organization, ReadQuery, SearchRequest
from sim.plates import (
    ALPHABET,
    PLATE_LEN,
    PlateError,
    encode,
    encode_symbols,
    normalise,
    symbols_of,
)
from sim.records import READ_COLUMNS, Reads

ADMIN = Principal("admin", "admin", None)
ADMIN_KEY = "fast-path-admin-key"
OPEN = {"name": "open", "source": "test", "layers": [{"policy": {
    "name": "open", "source": "test", "layer": "baseline", "default": "allow"}}]}

ODD_PLATES = ["", "ab-12 c", "TOO-LONG-PLATE-99", "ÄB12", "A\nB", "........", "123456789", 7, None]
ODD_NUMBERS = [True, False, 256, -1, 2**31, 2**63, -(2**63) - 1, 10**20, 1.0, 0.5, 1.5, -0.0, float("nan"),
               float("inf"), "7", None, [1]]
LIMITS = {"time_s": (-10**6, 10**6), "camera": (0, 2**31 - 1), "plate_state": (0, 255), "make": (0, 255),
          "colour": (0, 255), "body": (0, 255)}


@st.composite
def batches(draw):
    """A valid batch (bounds included), then, half the time, one odd value, a ragged
    column, an unknown field or a column that is not a list."""
    n = draw(st.integers(0, 6))
    reads = {"plate": draw(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .-]{0,7}", fullmatch=True),
                                    min_size=n, max_size=n))}
    for name, (lo, hi) in LIMITS.items():
        if name in ("time_s", "camera") or draw(st.booleans()):
            reads[name] = draw(st.lists(st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi])),
                                        min_size=n, max_size=n))
    if draw(st.booleans()):
        reads["confidence"] = draw(st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0, 1])),
                                            min_size=n, max_size=n))
    fault = draw(st.sampled_from(["none", "none", "none", "cell", "cell", "cell", "ragged", "extra", "scalar"]))
    name = draw(st.sampled_from(sorted(reads)))
    if fault == "cell" and n:
        odd = draw(st.sampled_from(ODD_PLATES if name == "plate" else ODD_NUMBERS))
        reads[name][draw(st.integers(0, n - 1))] = odd
    elif fault == "ragged":
        reads[name] = reads[name] + reads[name][:1] if n else [1]
    elif fault == "extra":
        reads["extra"] = [1] * n
    elif fault == "scalar":
        reads[name] = 1
    return {"batch_id": "b-1", "reads": reads}


def _validate(body: dict) -> tuple[str, object]:
    try:
        model = BatchIn.model_validate(body)
    except ValidationError as error:
        return "refused", [(e["loc"], e["type"]) for e in error.errors()]
    reads = batch_reads(model, 50_000)
    return "read", {name: getattr(reads, name).tolist() for name in READ_COLUMNS}


@settings(max_examples=400, deadline=None)
@given(batches())
def test_a_batch_checked_in_numpy_is_read_and_refused_as_value_by_value(body):
    fast = _validate(body)
    event("fast path" if schemas._fast_columns(body["reads"]) is not None else "per-value path")
    event(fast[0])
    original = schemas._fast_columns
    schemas._fast_columns = lambda data: None
    try:
        slow = _validate(body)
    finally:
        schemas._fast_columns = original
    assert fast == slow


def test_the_fast_check_takes_a_plain_batch_and_leaves_odd_ones_to_pydantic():
    plain = {"time_s": [1, 2], "camera": [3, 4], "plate": ["ab 12", "7XYZ123"], "confidence": [0.5, 1]}
    assert schemas._fast_columns(plain) is not None
    for odd in ({**plain, "time_s": [1, 2.0]}, {**plain, "camera": [3, "4"]}, {**plain, "plate": ["ab", 5]},
                {**plain, "make": [1, 256]}, {**plain, "confidence": [0.5, float("nan")]},
                {**plain, "time_s": [1, 2**63]}, {**plain, "plate": ["ab", "123456789"]}):
        assert schemas._fast_columns(odd) is None


@pytest.fixture()
def service(tmp_path):
    service = PersistentService(tmp_path / "s.sqlite", ADMIN_KEY)
    service.create_org(ADMIN, Organization("oakland", "Oakland PD", "local", "CA"), owns_cameras=True, devices=5,
                       retention_days=3650)
    service.create_org(ADMIN, Organization("alameda", "Alameda SO", "sheriff", "CA"))
    service.set_pack(ADMIN, OPEN)
    service.set_sharing(ADMIN, SharingSettings(("alameda",), True, False), "oakland")
    rng = np.random.default_rng(3)
    n = 50
    reads = Reads.from_columns({
        "time_s": np.sort(rng.integers(0, 86_400, n)), "camera": rng.integers(0, 5, n), "owner": np.zeros(n),
        "plate": np.full(n, 0), "plate_state": np.zeros(n), "confidence": rng.random(n).astype(np.float32),
        "make": rng.integers(0, 40, n), "colour": rng.integers(0, 12, n), "body": rng.integers(0, 6, n),
        "vehicle": np.full(n, -1)})
    reads = Reads(**{**reads.columns(), "plate": np.where(np.arange(n) % 2 == 0, encode("7ABC123"), encode("4XYZ9"))})
    service.ingest(Principal("cam", "camera", "oakland"), reads, "seed")
    service.set_clock(ADMIN, 86_400)
    yield service
    service.close()


def test_a_search_answer_written_from_the_columns_is_the_search_out_body(service):
    who = Principal("k", "agency", "alameda")
    for i, query in enumerate((ReadQuery(plate="7ABC123"), ReadQuery(plate_pattern="4XY*"), ReadQuery(make=3),
                               ReadQuery(plate="NOPE1"))):
        served = service.search(who, SearchRequest(f"r{i}", "alameda", "officer", 0, "stolen vehicle", "plate",
                                                   query))
        response = search_json(served)
        code, model, headers = search_out(served)
        assert response.status_code == code
        assert orjson.loads(response.body) == json.loads(model.model_dump_json())
    assert len(orjson.loads(search_json(served).body)["reads"]["id"]) == 0
    assert orjson.loads(response.body)["audit"]["time_s"] == 86_400


@pytest.fixture()
def client(service, tmp_path):
    path = service.db.path
    _, key = service.create_key(ADMIN, "alameda", "agency")
    service.close()
    app = create_app(path, ADMIN_KEY, limits=Limits(key_requests_per_s=0))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c, app


def test_a_twenty_digit_number_is_read_as_an_integer_not_a_float(client):
    c, _ = client
    answer = c.post("/v1/searches", content=b'{"user": "u", "query": {"make": 100000000000000000000}}',
                    headers={"content-type": "application/json"})
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "query", "make"]
    assert error["type"] == "less_than_equal"  # read as a float it would be "int_from_float"


def test_a_search_waits_for_a_busy_database_in_a_worker_thread_and_is_served(client):
    c, app = client
    lock = app.state.service.db.lock
    held = threading.Event()

    def hold():
        with lock:
            held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    start = time.perf_counter()
    answer = c.post("/v1/searches", json={"request_id": "busy-1", "user": "u", "reason": "stolen vehicle",
                                          "query": {"plate": "7ABC123"}})
    waited = time.perf_counter() - start
    holder.join()
    assert answer.status_code == 200, answer.text
    assert answer.json()["reads_returned"] == 25
    assert waited >= 0.2  # it waited for the holder rather than searching beside it
    rows = c.get("/v1/audit/searches").json()["rows"]
    assert [r["request_id"] for r in rows] == ["busy-1"]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(r"[A-Za-z0-9 .-]{0,12}", fullmatch=True), st.text(max_size=10)))
def test_a_search_plate_is_coded_in_python_as_the_batch_path_codes_it(text):
    plate = normalise(text)
    if not 1 <= len(plate) <= PLATE_LEN or any(ch not in ALPHABET for ch in plate):
        with pytest.raises(PlateError, match=re.escape(repr(text))):
            encode(text)
        return
    assert encode(text) == int(encode_symbols(symbols_of(plate)[None, :])[0])
