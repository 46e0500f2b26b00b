"""The simulator as a client of a running lookup service (ours or a tester's), over HTTP.

``connect_world(world, url, ...)`` provisions the scenario through the admin API
(organizations, one agency key per organization and a camera key per owner, the policy
pack with its layers inlined, owners' own policies, sharing) and returns a
``ServiceSession`` whose ``store`` takes the run's read batches (``append``, ``purge``,
like ``lookup.store.ReadStore``) and POSTs them with each owner's camera key, and whose
``lookup`` answers ``search(request)`` like ``lookup.search.LookupService`` by POSTing the
declared request with the requesting organization's key. The service takes no time from
a client: the run drives its simulated clock (``PUT /v1/admin/clock``) to each search's
and each purge's time. Returned row ids are mapped
back to the run's own read indices, so metrics compare ground truth with what the service
answered. Owner approvals are the service's to decide (ours refuses them by default).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lookup.audit import AuditRow, NetworkEntry
from lookup.client import ApiError, LookupClient
from lookup.policy import Decision, PolicyError
from lookup.requests import Organization, SearchRequest
from lookup.search import Approver, NetworkOutcome, SearchOutcome
from lookup.sharing import SharingGraph
from lookup.store import ReadStore
from scenarios.builder import World
from scenarios.policy_files import BUILTIN_DIR, load_pack, load_yaml
from sim.records import Reads

MAX_BATCH_READS = 50_000  # the service's default limit per batch


def pack_document(name_or_path: str | Path) -> dict[str, Any]:
    """A policy pack as one self-contained document (includes inlined), as the admin API takes it."""
    load_pack(name_or_path)  # validates, with file/line errors and include-cycle detection
    return _inline(_resolve(str(name_or_path), None))


def _resolve(name: str, base: Path | None) -> Path:
    if "/" not in name and not name.endswith((".yaml", ".yml")) and (BUILTIN_DIR / f"{name}.yaml").is_file():
        return BUILTIN_DIR / f"{name}.yaml"
    path = (Path(name) if base is None else base / name).resolve()
    if not path.is_file():
        raise PolicyError(name, (), "no such policy pack or file")
    return path


def _inline(path: Path) -> dict[str, Any]:
    data, _ = load_yaml(path)
    if "policy" in data:
        policy = data["policy"]
        return {"name": policy["name"], "source": policy["source"], "layers": [{"policy": policy}]}
    pack = data["pack"]
    layers: list[dict] = []
    for item in pack["layers"]:
        layers += _inline(_resolve(item["include"], path.parent))["layers"] if "include" in item else [item]
    return {**{k: v for k, v in pack.items() if k != "layers"}, "layers": layers}


class SimulatedClock:
    """The service's simulated clock, moved by the run (the service never takes a
    client-stated time): before each search to its time, before each purge."""

    def __init__(self, admin: LookupClient):
        self.admin = admin
        self.now_s: int | None = None

    def set(self, now_s: int) -> None:
        if now_s != self.now_s:
            self.admin.set_clock(int(now_s))
            self.now_s = int(now_s)


class RemoteReadStore:
    """The run's read store, at the service: each batch split by owner and POSTed with
    that owner's camera key. Keeps the map from service row ids to the run's indices, and
    a local ``ReadStore`` of the same batches for what the simulator reads of its own
    ground truth (``column``, ``reads``, ``batch``; searching goes to the service)."""

    def __init__(self, admin: LookupClient, cameras_by_owner: list[LookupClient], retention_days: np.ndarray,
                 batch_reads: int = MAX_BATCH_READS, run_tag: str = "run"):
        self.admin = admin
        self.cameras = cameras_by_owner  # by owner index of the world
        self.local = ReadStore(retention_days)
        self.batch_reads = batch_reads
        self.run_tag = run_tag
        self.clock = SimulatedClock(admin)
        self._remote: list[np.ndarray] = []
        self._local: list[np.ndarray] = []
        self._index: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def rows(self) -> int:
        return self.local.rows

    def append(self, reads: Reads) -> None:
        owners = np.asarray(reads.owner)
        for owner in np.unique(owners):
            local = np.nonzero(owners == owner)[0]
            for lo in range(0, len(local), self.batch_reads):
                part = local[lo:lo + self.batch_reads]
                batch_id = f"{self.run_tag}-{self.rows + int(part[0])}-{int(owner)}"
                ack = self.cameras[int(owner)].ingest(reads.take(part), batch_id)
                if ack["count"] != len(part):
                    raise RuntimeError(f"batch {batch_id}: the service stored {ack['count']} of {len(part)} reads")
                self._remote.append(np.arange(ack["first_id"], ack["first_id"] + len(part), dtype=np.int64))
                self._local.append(self.rows + part)
        self.local.append(reads)
        self._index = None

    def purge(self, now_s: int) -> int:
        self.local.purge(now_s)
        self.clock.set(now_s)
        return self.admin.purge()

    def reserve(self, rows: int) -> None:
        self.local.reserve(rows)

    def all_reads(self) -> Reads:
        return self.local.all_reads()

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        return self.local.column(name, rows)

    def reads(self, rows: np.ndarray) -> Reads:
        return self.local.reads(rows)

    @property
    def batch_count(self) -> int:
        return self.local.batch_count

    def batch(self, i: int) -> tuple[Reads, int]:
        return self.local.batch(i)

    def local_rows(self, remote_ids: Iterable[int]) -> np.ndarray:
        """The run's read indices of service row ids (ids it never sent are an error)."""
        if self._index is None:
            remote = np.concatenate(self._remote) if self._remote else np.empty(0, np.int64)
            local = np.concatenate(self._local) if self._local else np.empty(0, np.int64)
            order = np.argsort(remote, kind="stable")
            self._index = (remote[order], local[order])
        remote, local = self._index
        ids = np.asarray(list(remote_ids), dtype=np.int64)
        at = np.minimum(np.searchsorted(remote, ids), max(len(remote) - 1, 0))
        if len(ids) and (not len(remote) or not np.array_equal(remote[at], ids)):
            raise KeyError("the service returned reads this run did not send")
        return local[at] if len(ids) else np.empty(0, np.int64)

    def __len__(self) -> int:
        return self.local.rows


def _decision(network: Mapping[str, Any], delay_s: float) -> Decision:
    policy, _, rule = network["rule"].partition("/")
    return Decision(network["effect"], policy, rule, network["message"], delay_s=delay_s,
                    retry_after_s=network["retry_after_s"])


class RemoteLookup:
    """``search(request)`` like ``LookupService``, answered by the service over HTTP."""

    def __init__(self, clients: Mapping[str, LookupClient], store: RemoteReadStore):
        self.clients = clients
        self.store = store
        self.audit_rows: list[AuditRow] = []  # every search's audit row, as the service answered it

    def search(self, request: SearchRequest, approve: Approver | None = None) -> SearchOutcome:
        """``approve`` is ignored: the service decides approvals itself (``alprsim serve
        --approval-seed SEED`` draws them as the in-process run with that seed does)."""
        self.store.clock.set(request.time_s)
        answer = self.clients[request.org].search(request)
        body = answer.body
        networks = tuple(NetworkOutcome(n["owner"], n["via"], _decision(n, n["delay_s"]), n["searched"],
                                        n["delay_s"], n["reads"]) for n in body["networks"])
        reads = body["reads"]
        local = self.store.local_rows(reads["id"])
        order = np.argsort(local, kind="stable")
        audit = dict(body["audit"])
        audit.pop("networks_searched")
        audit.pop("devices_searched")
        audit["networks"] = tuple(NetworkEntry(**n) for n in audit["networks"])
        error = "truncated: the service returned only part of the reads" if body["truncated"] else None
        row = AuditRow(**audit)
        self.audit_rows.append(row)
        return SearchOutcome(request, networks, local[order], np.asarray(reads["delay_s"], dtype=float)[order],
                             row, error)


@dataclass
class ServiceSession:
    url: str
    admin: LookupClient
    clients: dict[str, LookupClient]  # agency key per organization slug
    store: RemoteReadStore
    lookup: RemoteLookup
    keys: dict[str, dict] = field(default_factory=dict)  # slug -> {"agency": key, "camera": key}

    def close(self) -> None:
        for client in {id(c): c for c in (self.admin, *self.clients.values(), *self.store.cameras)}.values():
            client.close()


def connect_world(world: World, url: str, admin_key: str | None = None, orgs: Iterable[Organization] = (),
                  pack: str | Path | dict | None = None, own_policies: Mapping[str, dict] | None = None,
                  sharing: SharingGraph | None = None, run_tag: str | None = None,
                  timeout_s: float = 60.0) -> ServiceSession:
    """Provision ``world``'s scenario at the service at ``url`` and return the session.

    ``orgs`` is the agency registry (owners not listed there are registered from the
    scenario's owners); ``pack`` a pack name, file or inlined document; ``own_policies``
    owners' own policies as plain data; ``sharing`` the sharing graph to set. The admin
    key defaults to ``ALPRSIM_ADMIN_KEY``.
    """
    admin_key = admin_key or os.environ.get("ALPRSIM_ADMIN_KEY")
    if not admin_key:
        raise ValueError("no admin key: pass one or set ALPRSIM_ADMIN_KEY")
    admin = LookupClient(url, admin_key, timeout_s)
    admin.healthz()
    registry = {o.slug: o for o in orgs}
    devices = np.bincount(np.asarray(world.cameras.owner, dtype=np.int64), minlength=len(world.owners))
    for i, spec in enumerate(world.spec.owners):
        org = registry.get(spec.slug) or Organization(spec.slug, spec.name, spec.kind, spec.state)
        admin.put_org(org.slug, org.name, org.kind, org.state, tags=org.tags, owns_cameras=True,
                      devices=int(devices[i]), retention_days=float(world.retention_days[i]))
    for org in registry.values():
        if org.slug not in world.owners:
            admin.put_org(org.slug, org.name, org.kind, org.state, tags=org.tags)
    if pack is not None:
        admin.set_pack(pack if isinstance(pack, dict) else pack_document(pack))
    for owner, document in (own_policies or {}).items():
        admin.set_policy(owner, document)
    if sharing is not None:
        for slug in sharing.orgs:
            admin.set_org_sharing(slug, sorted(r for o, r in sharing.shares if o == slug),
                                  slug in sharing.state_share, slug in sharing.national_lookup)
    keys: dict[str, dict] = {}
    clients: dict[str, LookupClient] = {}
    slugs = list(dict.fromkeys([*world.owners, *registry]))
    for slug in slugs:
        keys[slug] = {"agency": admin.create_key(slug, "agency", "simulator")["key"]}
        clients[slug] = LookupClient(url, keys[slug]["agency"], timeout_s)
    cameras = []
    for slug in world.owners:
        keys[slug]["camera"] = admin.create_key(slug, "camera", "simulator cameras")["key"]
        cameras.append(LookupClient(url, keys[slug]["camera"], timeout_s))
    store = RemoteReadStore(admin, cameras, world.retention_days, run_tag=run_tag or uuid.uuid4().hex[:12])
    # the run's clock starts with its warm-up, before the scenario's time 0
    store.clock.set(-int(np.ceil(world.spec.warmup_days)) * 86_400)
    return ServiceSession(url, admin, clients, store, RemoteLookup(clients, store), keys)


__all__ = ["ApiError", "RemoteLookup", "RemoteReadStore", "ServiceSession", "connect_world", "pack_document"]
