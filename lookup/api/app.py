"""The FastAPI app, built by ``create_app``: no module-level state, one service per app.

Routes live in ``lookup.api.routes`` (reads, searches, hotlists, sharing), ``routes_audit``
and ``routes_admin``; each parses its body with ``lookup.api.schemas``, makes one call to
``lookup.persistent.PersistentService`` and maps the result. Here: authentication (a
bearer key, hashed and looked up), the request-size limit, and the mapping of domain
refusals to status codes (403, 404, 409, 422) with messages that name the field.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import anyio.to_thread
import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from lookup.access import (
    ApprovalPolicy,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Principal,
    refuse_approvals,
)
from lookup.api.group_commit import GroupCommit
from lookup.persistent import PersistentService
from lookup.policy import PolicyError, PolicyPack
from lookup.sqlite_store import AuditDamaged
from sim.plates import decode_many

DESCRIPTION = """The shared plate-lookup service of alprsim: batch ingest of camera reads,
searches decided by the owners' sharing policies, hotlists, sharing settings, and a
hash-chained audit log with exports. Every /v1 route wants `Authorization: Bearer <key>`.
The contract for testers is docs/api.md."""


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 16 * 2**20
    max_batch_reads: int = 50_000
    max_search_reads: int = 100_000
    # per-key throttle (real seconds, not simulated): a token bucket per key; 0 turns it off.
    # Assumption: well above one agency's interactive use, well below what a script can send.
    key_requests_per_s: float = 200.0
    key_burst: int = 400
    worker_threads: int = 1  # threads running routes (see create_app's lifespan)


class KeyThrottle:
    """A token bucket per key: ``take(key_id)`` is 0 if the request may go, else the
    seconds until it may (for Retry-After). Besides policies' rate limits, which count
    searches in simulated time, this bounds what one key can make the service do."""

    def __init__(self, per_s: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.per_s, self.burst, self.clock = float(per_s), float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key_id: str) -> float:
        if self.per_s <= 0:
            return 0.0
        now = self.clock()
        tokens, then = self._buckets.get(key_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.per_s)
        if tokens < 1.0:
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / self.per_s
        self._buckets[key_id] = (tokens - 1.0, now)
        return 0.0


def body_problem(content_type: bytes | None, body: bytes) -> tuple[int, object] | None:
    """(status, detail) for a body no route can read: not JSON (415), not UTF-8 (422)."""
    media, _, params = (content_type or b"application/json").decode("latin-1").partition(";")
    media = media.strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return 415, f"content type {media!r} is not supported: send application/json"
    charset = next((v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params.split(";"))
                    if k.strip().lower() == "charset"), "utf-8")
    if charset not in ("utf-8", "utf8"):
        return 415, f"charset {charset!r} is not supported: send UTF-8 JSON"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 422, _error_list(["body"], f"the body is not UTF-8 (byte 0x{body[exc.start]:02x} at offset "
                                          f"{exc.start}): send UTF-8 JSON", "json_invalid")
    return None


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (413) before any route reads them, and bodies
    that are not UTF-8 JSON (``body_problem``)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope, receive, send, size: str) -> None:
        response = JSONResponse({"detail": f"request body of {size} bytes exceeds the limit of "
                                           f"{self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, declared.decode("latin-1")[:20])
            return
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                await self._refuse(scope, receive, send, f"more than {self.max_bytes}")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        if total and scope.get("method") in ("POST", "PUT", "PATCH"):
            problem = body_problem(dict(scope.get("headers") or []).get(b"content-type"), b"".join(chunks))
            if problem is not None:
                await JSONResponse({"detail": problem[1]}, status_code=problem[0])(scope, receive, send)
                return
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def bearer_auth(service: PersistentService, throttle: KeyThrottle | None = None) -> Callable[..., Principal]:
    """A dependency: the caller of a valid, unrevoked key, or 401; 429 past the key's throttle."""
    scheme = HTTPBearer(auto_error=False, description="an API key: Authorization: Bearer <key>")

    async def principal(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> Principal:
        # async: the key check is in memory, so it needs no worker thread
        if credentials is None or not credentials.credentials:
            raise HTTPException(401, "missing key: send Authorization: Bearer <key>",
                                headers={"WWW-Authenticate": "Bearer"})
        who = service.authenticate(credentials.credentials)
        if who is None:
            raise HTTPException(401, "unknown or revoked key", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if throttle is not None and who.role != "admin":
            wait_s = throttle.take(who.key_id)
            if wait_s > 0:
                raise HTTPException(429, f"too many requests for this key: at most {throttle.per_s:g} per second "
                                         f"(bursts of {throttle.burst:g})",
                                    headers={"Retry-After": str(max(1, math.ceil(wait_s)))})
        return who

    return principal


def _error_list(loc: list, message: str, kind: str = "value_error") -> list[dict]:
    return [{"loc": loc, "msg": message, "type": kind}]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # no echo of the input (a whole oversized batch) nor of non-JSON context
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()[:20]]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body" (not UTF-8 JSON): bad input
            message = ("the body is nested too deeply" if isinstance(exc.__cause__, RecursionError)
                       else "the body is not valid UTF-8 JSON")
            return JSONResponse({"detail": _error_list(["body"], message, "json_invalid")}, status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid) -> JSONResponse:
        return JSONResponse({"detail": _error_list(["body", *exc.field.split(".")], str(exc))}, status_code=422)

    @app.exception_handler(PolicyError)
    async def bad_policy(request: Request, exc: PolicyError) -> JSONResponse:
        return JSONResponse({"detail": _error_list(["body", *exc.path], str(exc), "policy_error")}, status_code=422)

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        return JSONResponse({"detail": _error_list(["body"], "the body is nested too deeply")}, status_code=422)

    for kind, status in ((Forbidden, 403), (NotFound, 404), (Conflict, 409), (AuditDamaged, 500)):
        async def refused(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        app.add_exception_handler(kind, refused)


def create_app(db_path: str | Path, admin_key: str | None, *, synchronous: str = "NORMAL",
               approvals: ApprovalPolicy = refuse_approvals, start: datetime | None = None, limits: Limits = Limits(),
               policy: PolicyPack | None = None) -> FastAPI:
    """The service over the SQLite file ``db_path`` (created if absent).

    ``admin_key`` sets the admin key (kept as a hash); None keeps the one stored at the
    first start. ``approvals`` answers owner-approval requirements per request (default:
    refused; ``lookup.access.keyed_approvals(seed)`` draws them as the simulator does).
    ``start`` is the wall-clock instant of simulated time 0, for the CSV exports.
    ``policy`` decides instead of the stored pack (a Cedar or Rego file's ``ExternalPack``).
    """
    from lookup.api.routes import data_routes
    from lookup.api.routes_admin import admin_routes
    from lookup.api.routes_audit import audit_routes

    service = PersistentService(db_path, admin_key, synchronous, approvals, start, policy)
    # decoding plates builds a 1.9 M-entry table on first use (~0.2 s of CPU): at start, not in
    # the first search's answer
    decode_many(np.zeros(1, np.int64))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # Routes run in worker threads, but the database lock serialises searches and
        # batches anyway: more threads only fight for the GIL (each SQLite call gives it up
        # and waits to get it back), which made 4 clients ~50x slower than 1 here.
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.worker_threads
        yield
        service.close()

    app = FastAPI(title="alprsim lookup service", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.service = service
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    install_error_handlers(app)
    auth = bearer_auth(service, KeyThrottle(limits.key_requests_per_s, limits.key_burst))

    @app.get("/healthz", tags=["health"], summary="liveness (no key needed)")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.state.group_commit = GroupCommit(service.db)
    app.include_router(data_routes(service, auth, limits, app.state.group_commit))
    app.include_router(audit_routes(service, auth))
    app.include_router(admin_routes(service, auth))
    return app


__all__ = ["BodyLimit", "KeyThrottle", "Limits", "bearer_auth", "body_problem", "create_app"]
