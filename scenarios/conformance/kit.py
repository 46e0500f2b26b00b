"""The kit's machinery: numbered tests, the session they share, and the runner.

A test is a function of the ``Session`` that returns a message (passed), raises
``Failed`` (with what was seen), or ``Skipped`` (with the reason it cannot run here:
never counted as passed). ``run`` executes the chosen levels in order and reports each
result to a callback (the CLI's progress bar).
"""

from __future__ import annotations

import secrets
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from lookup.policy import PolicyPack
from scenarios.conformance.fixture import Keys

STATUSES = ("passed", "failed", "skipped", "error")


class Failed(AssertionError):
    """The service did not do what the test requires."""


class Skipped(Exception):
    """The test cannot run against this service (and so has not passed)."""


@dataclass(frozen=True)
class Check:
    id: str  # AUTH-01, POL-17, ...
    level: int  # 1 access, 2 policy, 3 audit and data
    title: str
    run: Callable[[Session], str | None]
    requirement: str = ""  # the rule or law it checks


@dataclass(frozen=True)
class Result:
    id: str
    level: int
    title: str
    status: str  # one of STATUSES
    message: str
    seconds: float


@dataclass
class Session:
    """What the tests share: the service, its keys, the pack, and a per-run tag that keeps
    this run's request ids, plates and hotlist entries apart from earlier runs'."""

    url: str
    keys: Keys
    pack_name: str
    pack: PolicyPack
    admin_key: str | None = None
    db_path: str | None = None  # the service's SQLite file, for the tamper tests (ours only)
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    timeout_s: float = 30.0
    notes: dict[str, Any] = field(default_factory=dict)  # what tests leave for later ones and the verdict
    _clients: dict[str | None, httpx.Client] = field(default_factory=dict)
    _counter: int = 0

    def client(self, key: str | None) -> httpx.Client:
        if key not in self._clients:
            headers = {} if key is None else {"Authorization": f"Bearer {key}"}
            self._clients[key] = httpx.Client(base_url=self.url.rstrip("/"), headers=headers, timeout=self.timeout_s)
        return self._clients[key]

    def close(self) -> None:
        for c in self._clients.values():
            c.close()

    def key(self, org: str, role: str = "agency") -> str:
        found = self.keys.get(org, role)
        if found is None:
            raise Skipped(f"no {role} key for {org} (pass --admin-key, or --key {org}"
                          f"{'' if role == 'agency' else ':' + role}=KEY)")
        return found

    def call(self, method: str, path: str, key: str | None = None, *, headers: dict | None = None,
             **kwargs) -> httpx.Response:
        """One request; a throttle's 429 (not a search answer) is waited out a few times."""
        client = self.client(key)
        for _ in range(5):
            response = client.request(method, path, headers=headers, **kwargs)
            if response.status_code != 429 or _is_search_answer(response):
                return response
            time.sleep(min(5.0, float(response.headers.get("Retry-After", "1") or 1)))
        return response

    def admin(self) -> str:
        if self.admin_key is None:
            raise Skipped("needs the admin key (--admin-key) and our admin routes")
        return self.admin_key

    def request_id(self, stem: str) -> str:
        self._counter += 1
        return f"conf-{self.tag}-{stem}-{self._counter}"

    def plate(self, n: int) -> str:
        """This run's plate number ``n`` (7 characters, unique to the run)."""
        return f"K{self.tag[:4].upper()}{n:02d}"

    def search(self, org: str, reason: str = "stolen vehicle", plate: str | None = None, **fields
               ) -> httpx.Response:
        body = {"request_id": self.request_id(org), "user": "conformance", "reason": reason,
                "search_type": "plate", "query": {"plate": plate or self.plate(0)}, "case_number": "26-00001"}
        body.update({k: v for k, v in fields.items() if v is not None})
        self.notes["last_request_id"] = body["request_id"]
        return self.call("POST", "/v1/searches", self.key(org), json=body)

    def openapi(self) -> dict | None:
        if "openapi" not in self.notes:
            try:
                response = self.call("GET", "/openapi.json")
                self.notes["openapi"] = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                self.notes["openapi"] = None
        return self.notes["openapi"]


def _is_search_answer(response: httpx.Response) -> bool:
    try:
        return "status" in response.json()
    except ValueError:
        return False


def decision_of(response: httpx.Response, owner: str) -> str:
    """served, denied or rate_limited on ``owner``'s network: its entry in the answer's
    ``networks`` where the service lists them, else the status code alone."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    for network in body.get("networks", []) if isinstance(body, dict) else []:
        if isinstance(network, dict) and network.get("owner") == owner:
            if network.get("searched"):
                return "served"
            return "rate_limited" if network.get("effect") == "rate_limited" else "denied"
    return {200: "served", 403: "denied", 429: "rate_limited"}.get(response.status_code,
                                                                   f"HTTP {response.status_code}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def run(session: Session, checks: Sequence[Check], on_result: Callable[[Result], None] | None = None
        ) -> list[Result]:
    results = []
    for check in checks:
        t0 = time.perf_counter()
        try:
            message = check.run(session) or "ok"
            status = "passed"
        except Skipped as why:
            status, message = "skipped", str(why)
        except Failed as why:
            status, message = "failed", str(why)
        except AssertionError as why:
            status, message = "failed", str(why) or "assertion failed"
        except httpx.HTTPError as error:
            status, message = "error", f"{type(error).__name__}: {error}"
        except Exception as error:  # a test that breaks is reported, the run goes on
            status = "error"
            message = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"
        result = Result(check.id, check.level, check.title, status, message, time.perf_counter() - t0)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


__all__ = ["Check", "Failed", "Result", "STATUSES", "Session", "Skipped", "decision_of", "expect", "run"]
