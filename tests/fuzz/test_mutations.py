"""Property: whatever a mutation does to a valid scenario, policy, policy test file or portal
CSV, the command reading it answers with its exit code (0, or 1 for a policy test that
fails) or refuses with exit 2 and one ``error:`` line naming the file; never a traceback."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import invoke
from tests.fuzz.corpus import VALID

TOKENS = ["", "-1", "0", ".nan", ".inf", "-.inf", "1e400", "99999999999999999999", "[", "]", "{", "}", "*x",
          "&x", '"', "'", ",", ":", "- ", "null", "~", "yes", "2025-13-45", "\t", "\x00", "\ufeff", "é", "\\",
          "{a: [1, {b: *x}]}", "&x [*x]"]
token = st.one_of(st.sampled_from(TOKENS), st.text(max_size=12))


@st.composite
def mutated(draw, kind: str) -> bytes:
    text = VALID[kind].decode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        lines = text.splitlines(keepends=True)
        action = draw(st.sampled_from(["token", "token", "token", "delete", "duplicate", "truncate", "insert"]))
        spans = [m.span() for m in re.finditer(r"[^\s,:{}\[\]\"]+", text)]
        if action == "token" and spans:
            start, end = draw(st.sampled_from(spans))
            text = text[:start] + draw(token) + text[end:]
        elif action == "delete" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "".join(lines)
        elif action == "duplicate" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + lines[i:])
        elif action == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        else:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(token) + text[at:]
    return text.encode("utf-8", errors="surrogatepass") if draw(st.booleans()) else text.encode("utf-8", "replace")


def check(kind: str, data: bytes, argv, allowed=(0, 2)) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("input.csv" if kind == "portal_csv" else "input.yaml")
        path.write_bytes(data)
        result = invoke(argv(path, Path(folder) / "out"))
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{result.exception!r} on\n{data[:2000]!r}\n{result.output}")
        assert result.exit_code in allowed, result.output
        if result.exit_code == 2:
            errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert len(errors) == 1 and str(path) in errors[0], result.stderr


FAST = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(mutated("scenario"))
def test_a_mutated_scenario_validates_or_is_refused_by_name(data):
    check("scenario", data, lambda f, out: ["scenarios", "validate", str(f)])


@FAST
@given(mutated("policy"))
def test_a_mutated_policy_loads_or_is_refused_by_name(data):
    check("policy", data, lambda f, out: ["policies", "show", str(f)])


@FAST
@given(mutated("policy_tests"))
def test_a_mutated_policy_test_file_runs_or_is_refused_by_name(data):
    check("policy_tests", data, lambda f, out: ["policies", "test", str(f)], allowed=(0, 1, 2))


@FAST
@given(mutated("portal_csv"))
def test_a_mutated_portal_csv_is_audited_or_refused_by_name(data):
    check("portal_csv", data, lambda f, out: ["audit", str(f), "--out", str(out)])
