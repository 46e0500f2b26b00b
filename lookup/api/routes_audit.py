"""Audit exports (portal search audit, network audit; CSV or JSON, paged) and the chain check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from lookup.access import AuditPage, Principal
from lookup.api.routes import ERRORS, audit_row_out, json_response
from lookup.api.schemas import AuditPageOut, ErrorOut, VerifyOut
from lookup.audit_export import network_audit_csv, search_audit_csv
from lookup.persistent import PersistentService

PAGE_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/AuditPageOut"}},
                "text/csv": {"schema": {"type": "string"}}}
PAGE_DOC = {200: {"description": "one page: JSON, or CSV with the next page in the X-Next-After header",
                  "content": PAGE_CONTENT, "headers": {"X-Next-After": {"schema": {"type": "string"}}}}}
Format = Literal["json", "csv"]


def _page(page: AuditPage, owner: str | None, fmt: str, csv: Callable[[], str]) -> Response:
    if fmt == "csv":
        headers = {} if page.next_after is None else {"X-Next-After": str(page.next_after)}
        return Response(csv(), media_type="text/csv", headers=headers)
    rows = [audit_row_out(row, None if page.full else owner) for row in page.rows]
    return json_response(AuditPageOut(rows=rows, next_after=page.next_after))


def audit_routes(service: PersistentService, auth: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(prefix="/v1/audit", tags=["audit"])
    after_q = Query(-1, ge=-1, le=2**62, description="return rows after this seq (the previous page's next_after)")
    limit_q = Query(100, ge=1, le=1000, description="rows per page")

    @router.get("/searches", response_model=AuditPageOut, responses={**ERRORS, **PAGE_DOC},
                summary="an organization's own searches, as its transparency portal lists them")
    def searches(org: str | None = Query(None, max_length=100, description="default: your own; auditors: any"),
                 format: Format = "json", after: int = after_q, limit: int = limit_q,
                 mask_users: bool = Query(True, description="CSV: users as *** (as portals publish them)"),
                 who: Principal = Depends(auth)) -> Response:
        page = service.audit_searches(who, org, after, limit)
        return _page(page, None, format, lambda: search_audit_csv(page.rows, start=service.start,
                                                                  mask_users=mask_users))

    @router.get("/network", response_model=AuditPageOut, responses={**ERRORS, **PAGE_DOC},
                summary="searches that touched an owner's cameras (its network audit)")
    def network(owner: str | None = Query(None, max_length=100, description="default: your own; auditors: any"),
                format: Format = "json", after: int = after_q, limit: int = limit_q,
                include_unsearched: bool = Query(False, description="also searches your policy denied"),
                who: Principal = Depends(auth)) -> Response:
        page = service.audit_network(who, owner, after, limit, include_unsearched)
        target = owner or who.org or ""
        return _page(page, target, format, lambda: network_audit_csv(page.rows, target, service.start,
                                                                     include_unsearched))

    @router.get("/verify", response_model=VerifyOut,
                responses={**ERRORS, 403: {"model": ErrorOut, "description": "auditors and the admin only"}},
                summary="recompute the hash chain from storage; name the first broken row")
    def verify(who: Principal = Depends(auth)) -> VerifyOut:
        r = service.verify(who)
        return VerifyOut(ok=r.ok, rows_checked=r.rows_checked, position=r.position, seq=r.seq, problem=r.problem,
                         message=r.message)

    return router
