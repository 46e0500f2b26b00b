"""Who may do what at the service, and the plain records its domain calls return.

Roles: ``agency`` (search, hotlist, its own sharing, ingest if it owns cameras, its own
audit exports), ``camera`` (ingest only), ``auditor`` (every audit export and the chain
check), and the admin key (administration). Keys are random secrets kept only as sha256
hashes. Refusals are exceptions the HTTP edge maps to status codes; a denied search is
not one of them (it is a ``SearchOutcome``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lookup.audit import AuditRow
from lookup.policy import Decision
from lookup.requests import Organization, SearchRequest
from lookup.search import Approver, SearchOutcome, refuse_all
from sim.random_streams import RandomStreams, keyed_uniforms, name_key

ROLES = ("agency", "camera", "auditor")  # plus "admin" for the admin key


class Forbidden(Exception):
    """The caller's role or organization may not do this (HTTP 403)."""


class NotFound(Exception):
    """Nothing the caller may see by that name (HTTP 404): not proof that nothing exists."""


class Conflict(Exception):
    """The request repeats something that must be unique (HTTP 409)."""


class Invalid(ValueError):
    """Input the domain cannot accept (HTTP 422): names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str  # one of ROLES, or "admin"
    org: str | None  # None for the admin key


@dataclass(frozen=True)
class OrgRecord:
    org: Organization
    index: int  # owner index of its reads in the store
    owns_cameras: bool
    devices: int
    retention_days: float


@dataclass(frozen=True)
class SharingSettings:
    shares: tuple[str, ...] = ()  # organizations granted 1:1 access to this owner's cameras
    state_share: bool = False  # every agency of the owner's state
    national_lookup: bool = False  # reciprocal: search other national-lookup networks, expose own


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    org: str
    role: str
    label: str
    revoked: bool


@dataclass(frozen=True)
class IngestAck:
    batch_id: str | None
    first_id: int  # reads got row ids first_id .. first_id + count - 1
    count: int
    duplicate: bool  # the batch id was seen before: nothing new stored
    received_s: int = 0  # the server clock when the batch was first stored


@dataclass(frozen=True)
class HotlistEntry:
    id: int
    org: str
    plate: str
    reason: str
    case_number: str | None
    offense_type: str | None
    label: str


SHOWN_COLUMNS = ("time_s", "camera", "owner", "plate", "plate_state", "confidence", "make", "colour", "body")


@dataclass(frozen=True)
class ServedSearch:
    outcome: SearchOutcome
    reads: dict[str, np.ndarray]  # "id", SHOWN_COLUMNS, "owner_slug", "delay_s" (never the vehicle)
    truncated: bool  # more reads matched than were shown


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_after: int | None  # pass as ``after`` for the next page; None at the end
    full: bool  # the caller may see every network of each row (and the hashes)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return "alk_" + secrets.token_urlsafe(32)


# Who answers an owner-approval requirement for one request: request -> Approver.
ApprovalPolicy = Callable[[SearchRequest], Approver]


def refuse_approvals(request: SearchRequest) -> Approver:
    """No one approves: a network that needs approval is not searched."""
    return refuse_all


def keyed_approvals(seed: int, stream: str = "agencies/approval") -> ApprovalPolicy:
    """Owners grant an approval with the decision's probability, drawn from a key of
    (request id, owner) on the named stream of ``seed``: the draw the simulator's agencies
    make, so that a run over HTTP gets the in-process run's approvals."""
    stream_key = RandomStreams(seed).stream_key(stream)

    def for_request(request: SearchRequest) -> Approver:
        def approve(owner: str, decision: Decision) -> bool:
            key = np.array([name_key(f"{request.request_id}/{owner}")], np.uint64)
            return bool(keyed_uniforms(key, stream_key, 1)[0, 0] < (decision.approval_probability or 0.0))

        return approve

    return for_request


__all__ = ["ROLES", "SHOWN_COLUMNS", "ApprovalPolicy", "AuditPage", "Conflict", "Forbidden", "HotlistEntry",
           "IngestAck", "Invalid", "KeyRecord", "NotFound", "OrgRecord", "Principal", "ServedSearch",
           "SharingSettings", "key_hash", "keyed_approvals", "new_secret", "refuse_approvals"]
