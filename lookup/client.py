"""An httpx client for the lookup service's HTTP API (docs/api.md), one key per client.

Methods return the JSON bodies as plain data. A search returns its body for 200 (served),
403 (denied: the body names the deciding rules) and 429 (rate limited) alike, with the
status, since denied is an answer, not a failure; every other non-2xx raises ``ApiError``
with the status and the service's message. Connection failures are retried a few times
for idempotent calls (and for batches, which carry a batch id).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import orjson

from lookup.requests import SearchRequest
from sim.plates import decode_many
from sim.records import Reads


class ApiError(Exception):
    def __init__(self, status: int, detail: Any, headers: httpx.Headers | None = None):
        self.status = status
        self.detail = detail
        self.headers = headers or httpx.Headers()
        super().__init__(f"HTTP {status}: {detail}")


@dataclass(frozen=True)
class SearchAnswer:
    status: int  # 200 served, 403 denied, 429 rate limited
    body: dict[str, Any]
    retry_after_s: float | None  # from Retry-After on a 429


def reads_body(reads: Reads) -> dict[str, list]:
    """A batch of reads as the API's columns (owner and ground-truth vehicle left out)."""
    return {"time_s": reads.time_s.tolist(), "camera": reads.camera.tolist(),
            "plate": decode_many(reads.plate) if len(reads) else [], "plate_state": reads.plate_state.tolist(),
            "confidence": np.round(reads.confidence.astype(np.float64), 6).tolist(), "make": reads.make.tolist(),
            "colour": reads.colour.tolist(), "body": reads.body.tolist()}


def batch_json(reads: Reads, batch_id: str | None = None) -> bytes:
    """``POST /v1/reads/batches``'s body as JSON bytes (orjson: a 20,000-read batch in a few
    ms, where ``json.dumps`` took ~25)."""
    body: dict[str, Any] = {"reads": reads_body(reads)}
    if batch_id is not None:
        body["batch_id"] = batch_id
    return orjson.dumps(body)


def search_body(request: SearchRequest) -> dict[str, Any]:
    """The declared fields of a request, as ``POST /v1/searches`` takes them (the org is the key's)."""
    q = request.query
    query = {k: v for k, v in (("plate", q.plate), ("plate_pattern", q.plate_pattern), ("make", q.make),
                                ("colour", q.colour), ("body", q.body), ("start_s", q.start_s), ("end_s", q.end_s),
                                ("cameras", None if q.cameras is None else [int(c) for c in q.cameras]))
             if v is not None}
    for key in ("make", "colour", "body", "start_s", "end_s"):
        if key in query:
            query[key] = int(query[key])
    # no time_s: the service assigns the time of a search from its clock
    body = {"request_id": request.request_id, "user": request.user, "reason": request.reason, "search_type": request.search_type, "query": query,
            "offense_type": request.offense_type, "case_number": request.case_number,
            "on_behalf_of": request.on_behalf_of}
    return {k: v for k, v in body.items() if v is not None}


class LookupClient:
    """One key's view of a running service at ``base_url``."""

    def __init__(self, base_url: str, key: str | None, timeout_s: float = 30.0, retries: int = 3,
                 transport: httpx.BaseTransport | None = None):
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s,
                                 transport=transport)
        self.retries = retries

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> LookupClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method: str, path: str, retry: bool = False, ok: tuple[int, ...] = (), **kwargs) -> httpx.Response:
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            try:
                response = self.http.request(method, path, **kwargs)
                break
            except httpx.TransportError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
        if response.status_code >= 400 and response.status_code not in ok:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail, response.headers)
        return response

    # -- members --------------------------------------------------------------------------
    def healthz(self) -> dict:
        return self._call("GET", "/healthz", retry=True).json()

    def ingest(self, reads: Reads, batch_id: str | None = None) -> dict:
        """POST one batch; returns {batch_id, first_id, count, duplicate}."""
        return self._call("POST", "/v1/reads/batches", retry=batch_id is not None, content=batch_json(reads, batch_id),
                          headers={"content-type": "application/json"}).json()

    def search(self, request: SearchRequest | dict) -> SearchAnswer:
        body = request if isinstance(request, dict) else search_body(request)
        response = self._call("POST", "/v1/searches", ok=(403, 429), json=body)
        data = response.json()
        if response.status_code == 403 and "networks" not in data:
            raise ApiError(403, data.get("detail"), response.headers)
        retry = response.headers.get("Retry-After")
        return SearchAnswer(response.status_code, data, None if retry is None else float(retry))

    def hotlist(self) -> list[dict]:
        return self._call("GET", "/v1/hotlist", retry=True).json()

    def add_hotlist(self, plate: str, reason: str, **fields) -> dict:
        return self._call("POST", "/v1/hotlist", json={"plate": plate, "reason": reason, **fields}).json()

    def remove_hotlist(self, entry_id: int) -> None:
        self._call("DELETE", f"/v1/hotlist/{int(entry_id)}")

    def check_hotlist(self, since_s: int, user: str = "hotlist") -> list[dict]:
        body = {"since_s": since_s, "user": user}
        return self._call("POST", "/v1/hotlist/check", json=body).json()

    def sharing(self) -> dict:
        return self._call("GET", "/v1/sharing", retry=True).json()

    def set_sharing(self, shares=(), state_share: bool = False, national_lookup: bool = False) -> dict:
        return self._call("PUT", "/v1/sharing", retry=True, json={
            "shares": list(shares), "state_share": state_share, "national_lookup": national_lookup}).json()

    # -- audit ------------------------------------------------------------------------------
    def audit_page(self, kind: str = "searches", after: int = -1, limit: int = 100, **params) -> dict:
        """One JSON page of ``kind`` (searches or network); params: org=, owner=, include_unsearched=."""
        query = {"after": after, "limit": limit, **{k: v for k, v in params.items() if v is not None}}
        return self._call("GET", f"/v1/audit/{kind}", retry=True, params=query).json()

    def audit_rows(self, kind: str = "searches", limit: int = 1000, **params) -> Iterator[dict]:
        """Every row of an export, page by page."""
        after = -1
        while True:
            page = self.audit_page(kind, after, limit, **params)
            yield from page["rows"]
            if page["next_after"] is None:
                return
            after = page["next_after"]

    def audit_csv(self, kind: str = "searches", after: int = -1, limit: int = 1000, **params) -> tuple[str, int | None]:
        """One CSV page and the ``after`` of the next (None at the end)."""
        query = {"format": "csv", "after": after, "limit": limit,
                 **{k: v for k, v in params.items() if v is not None}}
        response = self._call("GET", f"/v1/audit/{kind}", retry=True, params=query)
        following = response.headers.get("X-Next-After")
        return response.text, None if following is None else int(following)

    def verify(self) -> dict:
        return self._call("GET", "/v1/audit/verify", retry=True).json()

    # -- admin ------------------------------------------------------------------------------
    def create_org(self, slug: str, name: str, kind: str, state: str, tags=(), owns_cameras: bool = False,
                   devices: int = 0, retention_days: float = 30.0) -> dict:
        return self._call("POST", "/v1/admin/orgs", json=_org_body(slug, name, kind, state, tags, owns_cameras,
                                                                     devices, retention_days)).json()

    def update_org(self, slug: str, name: str, kind: str, state: str, tags=(), owns_cameras: bool = False,
                   devices: int = 0, retention_days: float = 30.0) -> dict:
        return self._call("PUT", f"/v1/admin/orgs/{slug}", retry=True, json=_org_body(
            slug, name, kind, state, tags, owns_cameras, devices, retention_days)).json()

    def put_org(self, slug: str, name: str, kind: str, state: str, **fields) -> dict:
        """Create the organization, or update it if it exists."""
        try:
            return self.create_org(slug, name, kind, state, **fields)
        except ApiError as error:
            if error.status != 409:
                raise
            return self.update_org(slug, name, kind, state, **fields)

    def orgs(self) -> list[dict]:
        return self._call("GET", "/v1/admin/orgs", retry=True).json()

    def create_key(self, org: str, role: str = "agency", label: str = "") -> dict:
        return self._call("POST", "/v1/admin/keys", json={"org": org, "role": role, "label": label}).json()

    def keys(self, org: str | None = None) -> list[dict]:
        return self._call("GET", "/v1/admin/keys", retry=True, params={} if org is None else {"org": org}).json()

    def revoke_key(self, key_id: str) -> dict:
        return self._call("DELETE", f"/v1/admin/keys/{key_id}", retry=True).json()

    def set_pack(self, document: dict) -> dict:
        return self._call("PUT", "/v1/admin/pack", retry=True, json=document).json()

    def pack(self) -> dict:
        return self._call("GET", "/v1/admin/pack", retry=True).json()

    def set_policy(self, owner: str, document: dict | None) -> dict:
        if document is None:
            return self._call("DELETE", f"/v1/admin/orgs/{owner}/policy", retry=True).json()
        return self._call("PUT", f"/v1/admin/orgs/{owner}/policy", retry=True, json=document).json()

    def set_org_sharing(self, org: str, shares=(), state_share: bool = False, national_lookup: bool = False) -> dict:
        return self._call("PUT", f"/v1/admin/orgs/{org}/sharing", retry=True, json={
            "shares": list(shares), "state_share": state_share, "national_lookup": national_lookup}).json()

    def purge(self) -> int:
        """Apply retention at the server clock."""
        return self._call("POST", "/v1/admin/purge", retry=True, json={}).json()["deleted"]

    def set_clock(self, now_s: int | None) -> dict:
        """Set the simulated clock (None: back to the wall clock); returns {now_s, mode}."""
        return self._call("PUT", "/v1/admin/clock", retry=True,
                          json={"now_s": None if now_s is None else int(now_s)}).json()

    def clock(self) -> dict:
        return self._call("GET", "/v1/admin/clock", retry=True).json()

    def stats(self) -> dict:
        return self._call("GET", "/v1/admin/stats", retry=True).json()


def _org_body(slug, name, kind, state, tags, owns_cameras, devices, retention_days) -> dict:
    return {"slug": slug, "name": name, "kind": kind, "state": state, "tags": sorted(tags),
            "owns_cameras": bool(owns_cameras), "devices": int(devices), "retention_days": float(retention_days)}


__all__ = ["ApiError", "LookupClient", "SearchAnswer", "reads_body", "search_body"]
