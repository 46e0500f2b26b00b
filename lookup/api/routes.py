"""Routes for the members of the network: read batches, searches, hotlists, sharing."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from lookup.access import HotlistEntry, Invalid, Principal, ServedSearch, SharingSettings
from lookup.api.group_commit import GroupCommit
from lookup.api.schemas import (
    AuditRowOut,
    BatchIn,
    BatchOut,
    ErrorOut,
    HotlistAlertOut,
    HotlistCheckIn,
    HotlistIn,
    HotlistOut,
    SearchIn,
    SearchOut,
    SharingIn,
    SharingOut,
)
from lookup.audit import AuditRow
from lookup.persistent import PersistentService
from lookup.requests import ReadQuery, SearchRequest
from sim.plates import decode_many, encode_many, normalise
from sim.records import Reads

ERRORS = {401: {"model": ErrorOut, "description": "missing, unknown or revoked key"},
          403: {"model": ErrorOut, "description": "the key's role or organization may not do this"},
          413: {"model": ErrorOut, "description": "request body too large"}}
_SEARCH_OR_ERROR = {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/SearchOut"},
                                                               {"$ref": "#/components/schemas/ErrorOut"}]}}}
SEARCH_ERRORS = {
    **ERRORS,
    403: {"description": "nothing was searched: the body names each network's deciding rule (SearchOut), "
                         "or the key may not search (detail only)", "content": _SEARCH_OR_ERROR},
    409: {"model": ErrorOut, "description": "request_id already used by your organization"},
    429: {"model": SearchOut, "description": "a policy's rate limit: see Retry-After (simulated seconds)"},
}
MAX_DETAIL_NETWORKS = 10


def audit_row_dict(row: AuditRow, owner: str | None = None) -> dict[str, Any]:
    """A row as ``AuditRowOut``'s fields; with ``owner``, that owner's view: its own
    network's entry only, no hashes."""
    entries = row.networks if owner is None else tuple(e for e in row.networks if e.owner == owner)
    return {
        "seq": row.seq, "request_id": row.request_id, "org": row.org, "org_name": row.org_name,
        "org_kind": row.org_kind, "user": row.user, "time_s": row.time_s, "reason": row.reason,
        "case_number": row.case_number, "offense_type": row.offense_type, "on_behalf_of": row.on_behalf_of,
        "search_type": row.search_type, "plate": row.plate, "filters": row.filters,
        "window_start_s": row.window_start_s, "window_end_s": row.window_end_s,
        "networks": [{"owner": e.owner, "devices": e.devices, "effect": e.effect, "rule": e.rule,
                      "searched": e.searched, "reads": e.reads} for e in entries],
        "networks_searched": row.networks_searched, "devices_searched": row.devices_searched,
        "reads_returned": row.reads_returned if owner is None else sum(e.reads for e in entries),
        "prev_hash": row.prev_hash if owner is None else None, "row_hash": row.row_hash if owner is None else None}


def audit_row_out(row: AuditRow, owner: str | None = None) -> AuditRowOut:
    """A row as JSON; with ``owner``, that owner's view (``audit_row_dict``)."""
    return AuditRowOut(**audit_row_dict(row, owner))


def _search_status(networks: list[dict[str, Any]], request_org: str) -> tuple[str, int, str, dict[str, str]]:
    """(status, status code, detail, headers) of a search: 200 served, 403 denied, 429 rate limited."""
    headers: dict[str, str] = {}
    if any(n["searched"] for n in networks):
        return "served", 200, f"searched {sum(n['searched'] for n in networks)} network(s)", headers
    if not networks:
        return "denied", 403, f"no network is shared with {request_org}", headers
    limited = [n for n in networks if n["effect"] == "rate_limited"]
    shown = limited or networks
    detail = "; ".join(f"{n['owner']}: {n['rule']} ({n['message']})" for n in shown[:MAX_DETAIL_NETWORKS])
    if len(shown) > MAX_DETAIL_NETWORKS:
        detail += f"; and {len(shown) - MAX_DETAIL_NETWORKS} more"
    if limited:
        retry = max(n["retry_after_s"] or 0.0 for n in limited)
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
        return "rate_limited", 429, f"rate limited: {detail}", headers
    return "denied", 403, f"denied: {detail}", headers


def _column(values: np.ndarray, dtype) -> np.ndarray:
    """A column orjson writes as a JSON array (contiguous, of a type it knows)."""
    return np.ascontiguousarray(values, dtype=dtype)


def search_dict(served: ServedSearch) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status code, ``SearchOut``'s fields, headers) of a search; the read columns stay
    numpy arrays for ``orjson`` (``search_json``)."""
    outcome, table = served.outcome, served.reads
    networks = [{"owner": n.owner, "via": n.via, "effect": n.decision.effect, "rule": n.decision.rule_ref,
                 "message": n.decision.message, "searched": n.searched, "reads": n.reads,
                 "delay_s": float(n.delay_s),
                 "retry_after_s": None if n.decision.retry_after_s is None else float(n.decision.retry_after_s)}
                for n in outcome.networks]
    status, code, detail, headers = _search_status(networks, outcome.request.org)
    reads = {"id": _column(table["id"], np.int64), "time_s": _column(table["time_s"], np.int64),
             "camera": _column(table["camera"], np.int64), "owner": list(table["owner_slug"]),
             "plate": decode_many(table["plate"]) if len(table["plate"]) else [],
             "plate_state": _column(table["plate_state"], np.int64),
             "confidence": _column(table["confidence"], np.float64),
             "make": _column(table["make"], np.int64), "colour": _column(table["colour"], np.int64),
             "body": _column(table["body"], np.int64), "delay_s": _column(table["delay_s"], np.float64)}
    body = {"request_id": outcome.request.request_id, "status": status, "detail": detail, "networks": networks,
            "reads_returned": len(outcome.rows), "truncated": served.truncated, "reads": reads,
            "audit": audit_row_dict(outcome.audit)}
    return code, body, headers


def search_json(served: ServedSearch) -> Response:
    """A search's answer serialised by orjson straight from the columns (no pydantic models
    on the hot path; ``search_out`` builds the same body as a ``SearchOut``)."""
    code, body, headers = search_dict(served)
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status_code=code, headers=headers,
                    media_type="application/json")


def search_out(served: ServedSearch) -> tuple[int, SearchOut, dict[str, str]]:
    """(status code, body, headers) of a search: 200 served, 403 denied, 429 rate limited."""
    code, body, headers = search_dict(served)
    reads = {k: v if isinstance(v, list) else v.tolist() for k, v in body["reads"].items()}
    return code, SearchOut(**{**body, "reads": reads}), headers


def json_response(model, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise with pydantic-core directly (large read columns need no second validation)."""
    return Response(model.model_dump_json(), status_code=status, headers=headers, media_type="application/json")


def _hotlist_out(entry: HotlistEntry) -> HotlistOut:
    return HotlistOut(id=entry.id, plate=entry.plate, reason=entry.reason, case_number=entry.case_number,
                      offense_type=entry.offense_type, label=entry.label)


def batch_reads(body: BatchIn, max_reads: int) -> Reads:
    """The batch's columns as ``Reads`` (owner and vehicle are the service's to set)."""
    cols = body.reads
    n = len(cols.time_s)
    if n > max_reads:
        raise Invalid("reads", f"the batch has {n} reads; at most {max_reads} per batch")

    arrays = cols._arrays or {}  # the columns the fast check already made

    def column(values, default, name=None):
        if name in arrays:
            return arrays[name]
        return np.full(n, default) if values is None else np.asarray(values)

    return Reads.from_columns({
        "time_s": np.asarray(column(cols.time_s, 0, "time_s"), dtype=np.int64),
        "camera": np.asarray(column(cols.camera, 0, "camera"), dtype=np.int64),
        "owner": np.zeros(n), "plate": encode_many(cols.plates) if n else np.zeros(0),
        "plate_state": column(cols.plate_state, 0, "plate_state"),
        "confidence": column(cols.confidence, 1.0, "confidence"), "make": column(cols.make, 0, "make"),
        "colour": column(cols.colour, 0, "colour"), "body": column(cols.body, 0, "body"),
        "vehicle": np.full(n, -1)})


_LONG_INTEGER = re.compile(rb"[0-9]{20}")


class OrjsonRequest(Request):
    """A request whose JSON body orjson parses (a 20,000-read batch: ~4x faster than
    ``json.loads``). A body orjson refuses, or one with a 20-digit number (which orjson
    would read as a float), goes to ``json.loads``, so what is refused, and how, is as before."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                if _LONG_INTEGER.search(body):
                    raise orjson.JSONDecodeError("", "", 0)
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError:
                self._json = json.loads(body)
        return self._json


class OrjsonRoute(APIRoute):
    """A route reading its JSON body with ``OrjsonRequest``."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return route


def data_routes(service: PersistentService, auth: Callable[..., Principal], limits,
                group: GroupCommit | None = None) -> APIRouter:
    router = APIRouter(prefix="/v1", route_class=OrjsonRoute)
    group = group or GroupCommit(service.db)

    @router.post("/reads/batches", tags=["reads"], status_code=201, response_model=BatchOut,
                 responses={**ERRORS, 200: {"model": BatchOut, "description": "batch id seen before: nothing new"}},
                 summary="store a batch of your own cameras' reads (all or nothing)")
    def ingest(body: BatchIn, who: Principal = Depends(auth)) -> Response:
        ack = service.ingest(who, batch_reads(body, limits.max_batch_reads), body.batch_id)
        out = BatchOut(batch_id=ack.batch_id, first_id=ack.first_id, count=ack.count, duplicate=ack.duplicate,
                       received_s=ack.received_s)
        return json_response(out, 200 if ack.duplicate else 201)

    @router.post("/searches", tags=["searches"], response_model=SearchOut, responses=SEARCH_ERRORS,
                 summary="search the networks shared with you, as declared")
    async def search(body: SearchIn, who: Principal = Depends(auth)) -> Response:
        q = body.query
        request = SearchRequest(
            request_id=body.request_id or service.new_request_id(), org=who.org or "", user=body.user,
            time_s=0, reason=body.reason,  # the service sets the time from its clock
            search_type=body.search_type, offense_type=body.offense_type, case_number=body.case_number,
            on_behalf_of=body.on_behalf_of,
            query=ReadQuery(plate=q.plate, plate_pattern=q.plate_pattern, make=q.make, colour=q.colour,
                            body=q.body, start_s=q.start_s, end_s=q.end_s,
                            cameras=None if q.cameras is None else tuple(q.cameras)))
        # A search is about a millisecond under the database lock, as long as handing it to a
        # worker thread and back (profiled: the hop was a quarter of the server's time). So
        # it runs here on the event loop, in the searches' shared transaction (group_commit),
        # when the lock is free, and waits in a worker thread (leaving the loop to other
        # requests) when a batch or an admin call holds it.
        pending = group.run(service.search, who, request, limits.max_search_reads)
        if pending is not None:
            served = await pending
        else:
            served = await run_in_threadpool(service.search, who, request, limits.max_search_reads)
        return search_json(served)

    @router.get("/hotlist", tags=["hotlists"], response_model=list[HotlistOut], responses=ERRORS,
                summary="your organization's hotlist")
    def hotlist(who: Principal = Depends(auth)) -> list[HotlistOut]:
        return [_hotlist_out(e) for e in service.hotlist(who)]

    @router.post("/hotlist", tags=["hotlists"], status_code=201, response_model=HotlistOut, responses=ERRORS,
                 summary="add a plate to your hotlist")
    def add_hotlist(body: HotlistIn, who: Principal = Depends(auth)) -> HotlistOut:
        return _hotlist_out(service.add_hotlist(who, normalise(body.plate), body.reason, body.case_number,
                                                body.offense_type, body.label))

    @router.delete("/hotlist/{entry_id}", tags=["hotlists"], status_code=204,
                   responses={**ERRORS, 404: {"model": ErrorOut, "description": "no such entry of yours"}},
                   summary="remove an entry from your hotlist")
    def remove_hotlist(entry_id: int = Path(ge=0, le=2**62), who: Principal = Depends(auth)) -> Response:
        service.remove_hotlist(who, entry_id)
        return Response(status_code=204)

    @router.post("/hotlist/check", tags=["hotlists"], response_model=list[HotlistAlertOut], responses=ERRORS,
                 summary="search each hotlist plate over [since_s, now_s]: alerts are logged searches")
    def check_hotlist(body: HotlistCheckIn, who: Principal = Depends(auth)) -> Response:
        found = service.check_hotlist(who, body.since_s, body.user, limits.max_search_reads)
        alerts = [HotlistAlertOut(entry=_hotlist_out(entry), search=search_out(served)[1])
                  for entry, served in found]
        return Response(TypeAdapter(list[HotlistAlertOut]).dump_json(alerts), media_type="application/json")

    @router.get("/sharing", tags=["sharing"], response_model=SharingOut, responses=ERRORS,
                summary="your organization's sharing settings")
    def sharing(who: Principal = Depends(auth)) -> SharingOut:
        s = service.sharing(who)
        return SharingOut(shares=list(s.shares), state_share=s.state_share, national_lookup=s.national_lookup)

    @router.put("/sharing", tags=["sharing"], response_model=SharingOut, responses=ERRORS,
                summary="replace your organization's sharing settings")
    def set_sharing(body: SharingIn, who: Principal = Depends(auth)) -> SharingOut:
        s = service.set_sharing(who, SharingSettings(tuple(body.shares), body.state_share, body.national_lookup))
        return SharingOut(shares=list(s.shares), state_share=s.state_share, national_lookup=s.national_lookup)

    return router
