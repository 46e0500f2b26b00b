"""schemathesis against the OpenAPI document of a real server: no 5xx, answers as documented."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis (the test extra) is not installed")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scenarios.service_run import pack_document  # noqa: E402
from tests.service.conftest import Server, make_reads  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
KEYS: dict[str, str] = {}
EXAMPLES = 8  # per operation and mode: bounded, so the run takes seconds


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite").start()
    admin = srv.client()
    admin.create_org("oak", "Oakland PD", "local", "CA", owns_cameras=True, devices=5)
    admin.create_org("fbi", "FBI", "federal", "US")
    admin.create_org("auditor", "State Auditor", "state", "CA")
    admin.set_pack(pack_document("ca-sb34-sb54"))
    admin.set_org_sharing("oak", ["fbi"], national_lookup=True)
    KEYS.update(admin=admin.http.headers["Authorization"],
                agency="Bearer " + admin.create_key("oak", "agency")["key"],
                camera="Bearer " + admin.create_key("oak", "camera")["key"],
                auditor="Bearer " + admin.create_key("auditor", "auditor")["key"])
    camera = srv.client(KEYS["camera"].removeprefix("Bearer "))
    camera.ingest(make_reads(np.random.default_rng(0), 200))
    yield schemathesis.openapi.from_url(f"{srv.url}/openapi.json")
    srv.stop()


def key_for(path: str) -> str:
    if path.startswith("/v1/admin"):
        return KEYS["admin"]
    if path.startswith("/v1/reads"):
        return KEYS["camera"]
    if path.startswith("/v1/audit"):
        return KEYS["auditor"]
    return KEYS["agency"]


def test_the_api_answers_every_generated_request_as_documented(api_schema):
    # schemathesis's own pytest plugin does not run under pytest 9: drive its strategies with hypothesis
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):
                case.call_and_validate(headers={"Authorization": key_for(case.path)}, checks=CHECKS, timeout=20)

            try:
                run()
            except Unsatisfiable:  # nothing to negate (an operation without parameters)
                continue
            except (Exception, BaseExceptionGroup) as error:  # collect every operation's first failure, then report them all
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
        operations += 1
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
