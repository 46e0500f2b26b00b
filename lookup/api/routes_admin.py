"""Admin routes: organizations, keys, the policy pack and owners' policies, sharing,
retention purges, counts. Only the admin key (and, for counts, auditors) may call them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query

from lookup.access import Invalid, KeyRecord, OrgRecord, Principal, SharingSettings
from lookup.api.routes import ERRORS
from lookup.api.schemas import (
    ClockIn,
    ClockOut,
    ErrorOut,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
    OrgIn,
    OrgOut,
    PackOut,
    PolicyOut,
    PurgeIn,
    PurgeOut,
    SharingIn,
    SharingOut,
    StatsOut,
)
from lookup.persistent import PersistentService
from lookup.requests import Organization

NOT_FOUND = {**ERRORS, 404: {"model": ErrorOut, "description": "no such organization or key"}}
CONFLICT = {**ERRORS, 409: {"model": ErrorOut, "description": "the organization exists already"}}
SlugPath = Path(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)
DOCUMENT = Body(description="policy language as plain data (lookup/policy_syntax.py); a pack inlines its layers",
                examples=[{"name": "open", "source": "example", "default": "allow"}])


def _org_out(r: OrgRecord) -> OrgOut:
    o = r.org
    return OrgOut(slug=o.slug, name=o.name, kind=o.kind, state=o.state, tags=sorted(o.tags),
                  owns_cameras=r.owns_cameras, devices=r.devices, retention_days=r.retention_days, index=r.index)


def _key_out(k: KeyRecord) -> KeyOut:
    return KeyOut(key_id=k.key_id, org=k.org, role=k.role, label=k.label, revoked=k.revoked)


def _org(body: OrgIn) -> Organization:
    return Organization(body.slug, body.name, body.kind, body.state, frozenset(body.tags))


def _sharing_out(s: SharingSettings) -> SharingOut:
    return SharingOut(shares=list(s.shares), state_share=s.state_share, national_lookup=s.national_lookup)


def admin_routes(service: PersistentService, auth: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(prefix="/v1/admin", tags=["admin"])

    @router.post("/orgs", status_code=201, response_model=OrgOut, responses=CONFLICT,
                 summary="register an organization")
    def create_org(body: OrgIn, who: Principal = Depends(auth)) -> OrgOut:
        return _org_out(service.create_org(who, _org(body), body.owns_cameras, body.devices, body.retention_days))

    @router.get("/orgs", response_model=list[OrgOut], responses=ERRORS, summary="every organization")
    def orgs(who: Principal = Depends(auth)) -> list[OrgOut]:
        return [_org_out(r) for r in service.orgs(who)]

    @router.get("/orgs/{slug}", response_model=OrgOut, responses=NOT_FOUND, summary="one organization")
    def org(slug: str = SlugPath, who: Principal = Depends(auth)) -> OrgOut:
        return _org_out(service.org(who, slug))

    @router.put("/orgs/{slug}", response_model=OrgOut, responses=NOT_FOUND,
                summary="replace an organization's attributes")
    def update_org(body: OrgIn, slug: str = SlugPath, who: Principal = Depends(auth)) -> OrgOut:
        if body.slug != slug:
            raise Invalid("slug", f"slug {body.slug!r} in the body differs from {slug!r} in the path")
        return _org_out(service.update_org(who, _org(body), body.owns_cameras, body.devices, body.retention_days))

    @router.get("/orgs/{slug}/sharing", response_model=SharingOut, responses=NOT_FOUND,
                summary="an organization's sharing settings")
    def sharing(slug: str = SlugPath, who: Principal = Depends(auth)) -> SharingOut:
        return _sharing_out(service.sharing(who, slug, admin_route=True))

    @router.put("/orgs/{slug}/sharing", response_model=SharingOut, responses=NOT_FOUND,
                summary="replace an organization's sharing settings")
    def set_sharing(body: SharingIn, slug: str = SlugPath, who: Principal = Depends(auth)) -> SharingOut:
        settings = SharingSettings(tuple(body.shares), body.state_share, body.national_lookup)
        return _sharing_out(service.set_sharing(who, settings, slug, admin_route=True))

    @router.get("/orgs/{slug}/policy", response_model=PolicyOut, responses=NOT_FOUND,
                summary="an owner's own policy (null if none)")
    def policy(slug: str = SlugPath, who: Principal = Depends(auth)) -> PolicyOut:
        document = service.own_policy(who, slug)
        return PolicyOut(owner=slug, name=None if document is None else str(document.get("name")),
                         document=document)

    @router.put("/orgs/{slug}/policy", response_model=PolicyOut, responses=NOT_FOUND,
                summary="set an owner's own policy (applied after the pack's layers)")
    def set_policy(document: dict[str, Any] = DOCUMENT, slug: str = SlugPath,
                   who: Principal = Depends(auth)) -> PolicyOut:
        parsed = service.set_own_policy(who, slug, document)
        return PolicyOut(owner=slug, name=parsed.name, document=document)

    @router.delete("/orgs/{slug}/policy", response_model=PolicyOut, responses=NOT_FOUND,
                   summary="remove an owner's own policy")
    def remove_policy(slug: str = SlugPath, who: Principal = Depends(auth)) -> PolicyOut:
        service.set_own_policy(who, slug, None)
        return PolicyOut(owner=slug, name=None, document=None)

    @router.post("/keys", status_code=201, response_model=KeyCreatedOut, responses=NOT_FOUND,
                 summary="a new key for an organization (the secret is shown once)")
    def create_key(body: KeyIn, who: Principal = Depends(auth)) -> KeyCreatedOut:
        record, secret = service.create_key(who, body.org, body.role, body.label)
        return KeyCreatedOut(**_key_out(record).model_dump(), key=secret)

    @router.get("/keys", response_model=list[KeyOut], responses=ERRORS, summary="keys (never their secrets)")
    def keys(org: str | None = Query(None, max_length=100), who: Principal = Depends(auth)) -> list[KeyOut]:
        return [_key_out(k) for k in service.keys(who, org)]

    @router.delete("/keys/{key_id}", response_model=KeyOut, responses=NOT_FOUND, summary="revoke a key")
    def revoke_key(key_id: str = Path(pattern=r"^[A-Za-z0-9_]{1,64}$"), who: Principal = Depends(auth)) -> KeyOut:
        return _key_out(service.revoke_key(who, key_id))

    @router.get("/pack", response_model=PackOut, responses=ERRORS, summary="the policy pack in force")
    def pack(who: Principal = Depends(auth)) -> PackOut:
        parsed, document = service.pack(who)
        return PackOut(name=parsed.name, layers=[p.name for p in parsed.layers], document=document)

    @router.put("/pack", response_model=PackOut, responses=ERRORS,
                summary="replace the policy pack (layers inlined, no includes)")
    def set_pack(document: dict[str, Any] = DOCUMENT, who: Principal = Depends(auth)) -> PackOut:
        parsed = service.set_pack(who, document)
        return PackOut(name=parsed.name, layers=[p.name for p in parsed.layers], document=document)

    @router.post("/purge", response_model=PurgeOut, responses=ERRORS,
                 summary="apply every owner's retention at the server clock")
    def purge(body: PurgeIn, who: Principal = Depends(auth)) -> PurgeOut:
        return PurgeOut(deleted=service.purge(who))

    @router.get("/clock", response_model=ClockOut, responses=ERRORS, summary="the server clock")
    def clock(who: Principal = Depends(auth)) -> ClockOut:
        now_s, mode = service.clock(who)
        return ClockOut(now_s=now_s, mode=mode)

    @router.put("/clock", response_model=ClockOut, responses=ERRORS,
                summary="set the simulated clock (simulation runs); null: back to the wall clock")
    def set_clock(body: ClockIn, who: Principal = Depends(auth)) -> ClockOut:
        return ClockOut(now_s=service.set_clock(who, body.now_s), mode=service.clock_mode())

    @router.get("/stats", response_model=StatsOut, responses=ERRORS, summary="counts (admin and auditors)")
    def stats(who: Principal = Depends(auth)) -> StatsOut:
        return StatsOut(**service.stats(who))

    return router
