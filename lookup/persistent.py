"""The lookup service with everything in one SQLite file: the domain behind the HTTP API.

``PersistentService`` keeps organizations, API keys (sha256 hashes only), sharing
settings, policies and hotlists beside the reads, the audit chain and the rate counts
(``lookup.sqlite_store``). Searches go through ``lookup.search.LookupService``, the one
core the simulator uses too, rebuilt over the same store, audit log and rate counter
whenever the registry, sharing or policies change. Each search (audit row and rate
counts) and each read batch is one transaction.

Every public method takes the caller (a ``Principal``) and decides what it may do:
``Forbidden`` when its role may not, ``NotFound`` where saying more would reveal that
something exists. A denied search is not an exception: it is a ``SearchOutcome``.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from lookup.access import (
    ROLES,
    SHOWN_COLUMNS,
    ApprovalPolicy,
    AuditPage,
    Conflict,
    Forbidden,
    HotlistEntry,
    IngestAck,
    Invalid,
    KeyRecord,
    NotFound,
    OrgRecord,
    Principal,
    ServedSearch,
    SharingSettings,
    key_hash,
    new_secret,
    refuse_approvals,
)
from lookup.audit import AuditRow, VerifyResult
from lookup.audit_export import DEFAULT_START
from lookup.policy import Policy, PolicyError, PolicyPack, pack_from_dict, policy_from_dict
from lookup.requests import Organization, ReadQuery, SearchRequest
from lookup.search import LookupService
from lookup.sharing import SharingGraph
from lookup.sqlite_store import Database, SqliteAuditLog, SqliteRateCounter, SqliteReadStore
from sim.records import TIME_S_RANGE, Reads

NO_PACK = PolicyPack("no-policy", "no policy pack has been set: every search is denied", ())
MAX_CLOCK_S = TIME_S_RANGE[1]  # as lookup.api.schemas.MAX_TIME_S: reads keep time in 32 bits
# A read may be stamped this far ahead of the server clock (camera clocks drift, and a
# simulation driver moves the clock at its searches and daily purges, not at every batch);
# later is refused, so that no camera key can park reads beyond retention. Assumption.
MAX_READ_LEAD_S = 7 * 86_400


_REGISTRY = """
CREATE TABLE IF NOT EXISTS orgs (
    idx INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT NOT NULL,
    state TEXT NOT NULL, tags TEXT NOT NULL, owns_cameras INTEGER NOT NULL, devices INTEGER NOT NULL,
    retention_days REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, org TEXT NOT NULL, role TEXT NOT NULL,
    label TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sharing (
    owner TEXT PRIMARY KEY, shares TEXT NOT NULL, state_share INTEGER NOT NULL, national_lookup INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS policies (name TEXT PRIMARY KEY, document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hotlists (
    id INTEGER PRIMARY KEY, org TEXT NOT NULL, plate TEXT NOT NULL, reason TEXT NOT NULL,
    case_number TEXT, offense_type TEXT, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batch_receipts (
    owner INTEGER NOT NULL, batch_id TEXT NOT NULL, received_s INTEGER NOT NULL, PRIMARY KEY (owner, batch_id));
"""


def _no_includes(name: str, where: str, path: tuple) -> PolicyPack:
    raise PolicyError(where, path, f"cannot include {name!r} here: send the pack with its layers inlined")


class PersistentService:
    """Registry, keys, sharing, policies, reads and audit in one SQLite file."""

    def __init__(self, path: str | Path, admin_key: str | None = None, synchronous: str = "NORMAL",
                 approvals: ApprovalPolicy = refuse_approvals, start: datetime | None = None,
                 policy: PolicyPack | None = None):
        # ``policy``: a pack that decides instead of the stored one (``alprsim serve
        # --policy-file``: a Cedar or Rego file, lookup.policy_external)
        self._fixed_pack = policy
        self.db = Database(path, synchronous)
        with self.db.transaction() as conn:
            for statement in filter(str.strip, _REGISTRY.split(";")):
                conn.execute(statement)
            if admin_key is not None:
                self.db.set_meta("admin_key_hash", key_hash(admin_key))
            elif self.db.meta("admin_key_hash") is None:
                raise ValueError(f"{path}: no admin key yet: pass one (ALPRSIM_ADMIN_KEY) at first start")
            if start is not None:
                self.db.set_meta("start", start.isoformat())
        self.store = SqliteReadStore(self.db)
        self.audit = SqliteAuditLog(self.db)
        self.rates = SqliteRateCounter(self.db)
        self.approvals = approvals
        clock = self.db.meta("sim_clock_s")
        self._sim_clock_s: int | None = None if clock is None else int(clock)
        self._admin_hash = self.db.meta("admin_key_hash")
        self._load_keys()
        self._rebuild()
        self.db.on_rollback(self._rebuild)

    # -- state ------------------------------------------------------------------------
    def _rebuild(self) -> None:
        """Rebuild the search core from the registry tables (after any change to them)."""
        with self.db.lock:
            conn = self.db.conn
            records = [self._org_record(row) for row in conn.execute(
                "SELECT idx, slug, name, kind, state, tags, owns_cameras, devices, retention_days FROM orgs "
                "ORDER BY idx")]
            sharing = {owner: SharingSettings(tuple(json.loads(shares)), bool(state), bool(national))
                       for owner, shares, state, national in conn.execute(
                           "SELECT owner, shares, state_share, national_lookup FROM sharing")}
            documents = dict(conn.execute("SELECT name, document FROM policies"))
        self._orgs = {r.org.slug: r for r in records}
        owners_by_index = [""] * (max((r.index for r in records), default=-1) + 1)
        for r in records:
            owners_by_index[r.index] = r.org.slug
        retention = np.full(len(owners_by_index), np.inf)
        for r in records:
            retention[r.index] = r.retention_days
        self.store.set_retention(retention)
        orgs = {slug: r.org for slug, r in self._orgs.items()}
        camera_owners = tuple(r.org.slug for r in records if r.owns_cameras)
        shares = frozenset((o, g) for o in camera_owners for g in sharing.get(o, SharingSettings()).shares
                           if g in orgs)
        graph = SharingGraph(orgs, camera_owners, shares,
                             frozenset(o for o in camera_owners if sharing.get(o, SharingSettings()).state_share),
                             frozenset(o for o in orgs if sharing.get(o, SharingSettings()).national_lookup))
        previous = getattr(self, "_documents", {})
        pack = self._fixed_pack or self._parse_pack(documents.get("pack"), previous)
        own = {name[4:]: self._parse_policy(name[4:], doc, previous) for name, doc in documents.items()
               if name.startswith("own:")}
        self._sharing, self._documents, self._pack, self._own = sharing, documents, pack, own
        self.core = LookupService(self.store, tuple(owners_by_index), {r.org.slug: r.devices for r in records},
                                  graph, pack, {o: p for o, p in own.items() if o in orgs}, self.audit)
        self.core.rates = self.rates  # persistent counts (LookupService makes an in-memory one)
        self.rates.horizon_s = max((r.limit.rate.per_s for p in (*pack.layers, *own.values()) for r in p.rules
                                    if r.limit is not None and r.limit.rate is not None), default=0.0)

    @staticmethod
    def _org_record(row: tuple) -> OrgRecord:
        idx, slug, name, kind, state, tags, owns, devices, retention = row
        return OrgRecord(Organization(slug, name, kind, state, frozenset(json.loads(tags))), int(idx), bool(owns),
                         int(devices), float(retention))

    def _parse_pack(self, document: str | None, previous: dict[str, str]) -> PolicyPack:
        if document is None:
            return NO_PACK
        if previous.get("pack") == document:
            return self._pack  # keep parsed policies (and their caches) across rebuilds
        return pack_from_dict(json.loads(document), "policy pack", _no_includes)

    def _parse_policy(self, owner: str, document: str, previous: dict[str, str]) -> Policy:
        cached = getattr(self, "_own", {}).get(owner)
        if cached is not None and previous.get(f"own:{owner}") == document:
            return cached
        return policy_from_dict(json.loads(document), f"policy of {owner}")

    @property
    def start(self) -> datetime:
        text = self.db.meta("start")
        return DEFAULT_START if text is None else datetime.fromisoformat(text)

    def clock_s(self) -> int:
        """The server's clock in seconds since the scenario start: the simulated clock the
        admin set (``set_clock``), else wall-clock time since ``start``. Client-stated
        times never move it."""
        if self._sim_clock_s is not None:
            return self._sim_clock_s
        return int(min(MAX_CLOCK_S, max(0.0, time.time() - self.start.timestamp())))

    def clock_mode(self) -> str:
        return "wall" if self._sim_clock_s is None else "simulated"

    def clock(self, who: Principal) -> tuple[int, str]:
        """(now_s, mode) for the admin and auditors."""
        self._require(who, "admin", "auditor")
        return self.clock_s(), self.clock_mode()

    def set_clock(self, who: Principal, now_s: int | None) -> int:
        """Set the simulated clock (admin; simulation runs), or go back to the wall clock
        with None. Purged reads stay purged whatever time is set."""
        self._require(who, "admin")
        with self.db.transaction() as conn:
            if now_s is None:
                conn.execute("DELETE FROM meta WHERE key = 'sim_clock_s'")
            else:
                self.db.set_meta("sim_clock_s", str(int(now_s)))
            self._sim_clock_s = None if now_s is None else int(now_s)
        return self.clock_s()

    # -- authentication ---------------------------------------------------------------
    def authenticate(self, secret: str) -> Principal | None:
        """The key's holder, or None for an unknown or revoked key."""
        digest = key_hash(secret)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return Principal("admin", "admin", None)
        who = self._active_keys.get(digest)  # in memory: answers without waiting for the database
        return who if who is not None and who.org in self._orgs else None

    def _load_keys(self) -> None:
        with self.db.lock:
            rows = self.db.conn.execute("SELECT key_hash, key_id, role, org FROM api_keys WHERE revoked = 0").fetchall()
        self._active_keys = {digest: Principal(key_id, role, org) for digest, key_id, role, org in rows}

    @staticmethod
    def _require(who: Principal, *roles: str) -> None:
        if who.role not in roles:
            raise Forbidden(f"a key with role {who.role!r} may not do this (needs {' or '.join(roles)})")

    # -- administration -----------------------------------------------------------------
    def create_org(self, who: Principal, org: Organization, owns_cameras: bool = False, devices: int = 0,
                   retention_days: float = 30.0) -> OrgRecord:
        self._require(who, "admin")
        if org.slug in self._orgs:
            raise Conflict(f"organization {org.slug!r} already exists")
        with self.db.transaction() as conn:
            index = len(self._orgs)
            conn.execute("INSERT INTO orgs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (index, org.slug, org.name, org.kind, org.state, json.dumps(sorted(org.tags)),
                          int(owns_cameras), int(devices), float(retention_days)))
            self._rebuild()
        return self._orgs[org.slug]

    def update_org(self, who: Principal, org: Organization, owns_cameras: bool, devices: int,
                   retention_days: float) -> OrgRecord:
        self._require(who, "admin")
        if org.slug not in self._orgs:
            raise NotFound(f"no organization {org.slug!r}")
        with self.db.transaction() as conn:
            conn.execute("UPDATE orgs SET name = ?, kind = ?, state = ?, tags = ?, owns_cameras = ?, devices = ?, "
                         "retention_days = ? WHERE slug = ?",
                         (org.name, org.kind, org.state, json.dumps(sorted(org.tags)), int(owns_cameras),
                          int(devices), float(retention_days), org.slug))
            self._rebuild()
        return self._orgs[org.slug]

    def orgs(self, who: Principal) -> list[OrgRecord]:
        self._require(who, "admin")
        return sorted(self._orgs.values(), key=lambda r: r.index)

    def org(self, who: Principal, slug: str) -> OrgRecord:
        self._require(who, "admin")
        if slug not in self._orgs:
            raise NotFound(f"no organization {slug!r}")
        return self._orgs[slug]

    def create_key(self, who: Principal, org: str, role: str, label: str = "") -> tuple[KeyRecord, str]:
        """A new key for ``org``; the secret is returned once and only its hash is kept."""
        self._require(who, "admin")
        if role not in ROLES:
            raise Invalid("role", f"role {role!r} is not one of {', '.join(ROLES)}")
        if org not in self._orgs:
            raise NotFound(f"no organization {org!r}")
        secret = new_secret()
        record = KeyRecord("key_" + secrets.token_hex(8), org, role, label, False)
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO api_keys (key_id, key_hash, org, role, label) VALUES (?, ?, ?, ?, ?)",
                         (record.key_id, key_hash(secret), org, role, label))
        self._load_keys()
        return record, secret

    def keys(self, who: Principal, org: str | None = None) -> list[KeyRecord]:
        self._require(who, "admin")
        with self.db.lock:
            rows = self.db.conn.execute("SELECT key_id, org, role, label, revoked FROM api_keys "
                                        "WHERE (? IS NULL OR org = ?) ORDER BY rowid", (org, org)).fetchall()
        return [KeyRecord(k, o, r, label, bool(revoked)) for k, o, r, label, revoked in rows]

    def revoke_key(self, who: Principal, key_id: str) -> KeyRecord:
        self._require(who, "admin")
        with self.db.transaction() as conn:
            if conn.execute("UPDATE api_keys SET revoked = 1 WHERE key_id = ?", (key_id,)).rowcount == 0:
                raise NotFound(f"no key {key_id!r}")
        self._load_keys()
        return next(k for k in self.keys(who) if k.key_id == key_id)

    def set_pack(self, who: Principal, document: dict[str, Any]) -> PolicyPack:
        """Replace the policy pack (layers inlined: no includes). Malformed: ``PolicyError``."""
        self._require(who, "admin")
        pack = pack_from_dict(document, "policy pack", _no_includes)
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO policies (name, document) VALUES ('pack', ?)",
                         (json.dumps(document, sort_keys=True),))
            self._rebuild()
        return pack

    def pack(self, who: Principal) -> tuple[PolicyPack, dict | None]:
        self._require(who, "admin")
        document = self._documents.get("pack")
        return self._pack, None if document is None else json.loads(document)

    def set_own_policy(self, who: Principal, owner: str, document: dict[str, Any] | None) -> Policy | None:
        """An owner's own policy (applied after the pack's layers); None removes it."""
        self._require(who, "admin")
        if owner not in self._orgs:
            raise NotFound(f"no organization {owner!r}")
        policy = None if document is None else policy_from_dict(document, f"policy of {owner}")
        with self.db.transaction() as conn:
            if document is None:
                conn.execute("DELETE FROM policies WHERE name = ?", (f"own:{owner}",))
            else:
                conn.execute("INSERT OR REPLACE INTO policies (name, document) VALUES (?, ?)",
                             (f"own:{owner}", json.dumps(document, sort_keys=True)))
            self._rebuild()
        return policy

    def own_policy(self, who: Principal, owner: str) -> dict | None:
        self._require(who, "admin")
        if owner not in self._orgs:
            raise NotFound(f"no organization {owner!r}")
        document = self._documents.get(f"own:{owner}")
        return None if document is None else json.loads(document)

    def purge(self, who: Principal) -> int:
        """Apply every owner's retention at the server clock (the simulator does it daily)."""
        self._require(who, "admin")
        now_s = self.clock_s()
        with self.db.transaction():
            self.rates.prune(now_s)
            return self.store.purge(now_s)

    def stats(self, who: Principal) -> dict[str, int]:
        self._require(who, "admin", "auditor")
        return {"reads_stored": self.store.count(), "reads_appended": len(self.store),
                "audit_rows": len(self.audit), "organizations": len(self._orgs), "clock_s": self.clock_s(),
                "rate_rows": self.rates.stored_rows()}

    # -- sharing ------------------------------------------------------------------------
    def sharing(self, who: Principal, org: str | None = None, admin_route: bool = False) -> SharingSettings:
        target = self._sharing_target(who, org, admin_route)
        return self._sharing.get(target, SharingSettings())

    def set_sharing(self, who: Principal, settings: SharingSettings, org: str | None = None,
                    admin_route: bool = False) -> SharingSettings:
        """Replace an organization's sharing settings (its own, or any for the admin).

        Grants may name organizations that are not registered (they take effect if one
        is), so the answer never tells whether a slug exists.
        """
        target = self._sharing_target(who, org, admin_route)
        settings = SharingSettings(tuple(sorted(set(settings.shares) - {target})), settings.state_share,
                                   settings.national_lookup)
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO sharing (owner, shares, state_share, national_lookup) "
                         "VALUES (?, ?, ?, ?)", (target, json.dumps(list(settings.shares)),
                                                 int(settings.state_share), int(settings.national_lookup)))
            self._rebuild()
        return settings

    def _sharing_target(self, who: Principal, org: str | None, admin_route: bool = False) -> str:
        if admin_route:
            self._require(who, "admin")
        if who.role == "admin":
            if org is None:
                raise Forbidden("the admin key has no organization: use /v1/admin/orgs/{slug}/sharing")
            if org not in self._orgs:
                raise NotFound(f"no organization {org!r}")
            return org
        self._require(who, "agency")
        if org is not None and org != who.org:
            raise Forbidden("an agency key may read and set only its own organization's sharing")
        return who.org

    # -- reads --------------------------------------------------------------------------
    def ingest(self, who: Principal, reads: Reads, batch_id: str | None = None) -> IngestAck:
        """Store a batch of the caller's own cameras' reads, all or nothing.

        ``reads.owner`` is ignored: reads belong to the key's organization.
        """
        self._require(who, "agency", "camera")
        record = self._orgs[who.org]
        if not record.owns_cameras:
            raise Forbidden(f"organization {who.org!r} is not registered as a camera owner")
        now_s = self.clock_s()
        if len(reads):
            late = np.nonzero(reads.time_s > now_s + MAX_READ_LEAD_S)[0]
            if len(late):
                i = int(late[0])
                raise Invalid(f"reads.time_s.{i}", f"read {i} is stamped {int(reads.time_s[i])} s, more than "
                              f"{MAX_READ_LEAD_S} s after the server clock ({now_s} s)")
        owned = Reads(**{**reads.columns(), "owner": np.full(len(reads), record.index, np.int16)})
        with self.db.transaction() as conn:
            first, count, duplicate = self.store.append(
                owned, None if batch_id is None else (record.index, batch_id))
            if batch_id is not None:
                if duplicate:
                    found = conn.execute("SELECT received_s FROM batch_receipts WHERE owner = ? AND batch_id = ?",
                                         (record.index, batch_id)).fetchone()
                    now_s = now_s if found is None else int(found[0])
                else:
                    conn.execute("INSERT OR REPLACE INTO batch_receipts VALUES (?, ?, ?)",
                                 (record.index, batch_id, now_s))
        return IngestAck(batch_id, first, count, duplicate, now_s)

    # -- searches -----------------------------------------------------------------------
    def search(self, who: Principal, request: SearchRequest, max_reads: int = 100_000) -> ServedSearch:
        """One search by the caller's organization: the core's outcome (logged and counted)
        and the first ``max_reads`` returned reads' columns."""
        self._require(who, "agency")
        if request.org != who.org:
            raise Forbidden("a search is made by the key's own organization")
        with self.db.lock:
            # the server's time, whatever the caller stated: it is the audit row's time, the
            # retention and rate-limit "now", and the end of what the search may see
            request = dataclasses.replace(request, time_s=self.clock_s())
            if self.audit.find_request(request.org, request.request_id) is not None:
                raise Conflict(f"request_id {request.request_id!r} was already used by this organization")
            with self.db.transaction():
                outcome = self.core.search(request, self.approvals(request))
            shown = outcome.rows[:max_reads]
            table = self.store.table(shown, SHOWN_COLUMNS)
        delay = outcome.row_delay_s[:max_reads]
        # every shown row is stored unless a purge ran in between (then: those still there)
        table["delay_s"] = delay if len(table["id"]) == len(shown) else delay[np.isin(shown, table["id"])]
        table["owner_slug"] = np.asarray(self.core.owners, dtype=object)[table["owner"]] if len(shown) else \
            np.empty(0, dtype=object)
        return ServedSearch(outcome, table, len(outcome.rows) > max_reads)

    def new_request_id(self) -> str:
        return uuid.uuid4().hex

    # -- hotlists -----------------------------------------------------------------------
    def add_hotlist(self, who: Principal, plate: str, reason: str, case_number: str | None = None,
                    offense_type: str | None = None, label: str = "") -> HotlistEntry:
        self._require(who, "agency")
        with self.db.transaction() as conn:
            cursor = conn.execute("INSERT INTO hotlists (org, plate, reason, case_number, offense_type, label) "
                                  "VALUES (?, ?, ?, ?, ?, ?)", (who.org, plate, reason, case_number, offense_type,
                                                                label))
        return HotlistEntry(int(cursor.lastrowid), who.org, plate, reason, case_number, offense_type, label)

    def hotlist(self, who: Principal) -> list[HotlistEntry]:
        self._require(who, "agency")
        with self.db.lock:
            rows = self.db.conn.execute("SELECT id, org, plate, reason, case_number, offense_type, label "
                                        "FROM hotlists WHERE org = ? ORDER BY id", (who.org,)).fetchall()
        return [HotlistEntry(*row) for row in rows]

    def remove_hotlist(self, who: Principal, entry_id: int) -> None:
        self._require(who, "agency")
        with self.db.transaction() as conn:
            if conn.execute("DELETE FROM hotlists WHERE id = ? AND org = ?", (entry_id, who.org)).rowcount == 0:
                raise NotFound("no such entry in your hotlist")  # another org's entry looks the same

    def check_hotlist(self, who: Principal, since_s: int, user: str = "hotlist",
                      max_reads: int = 100_000) -> list[tuple[HotlistEntry, ServedSearch]]:
        """Run each hotlist entry as a plate search over [since_s, now]: alerts are
        searches, decided by the same policies and logged like any other."""
        entries = self.hotlist(who)
        now_s = self.clock_s()
        out = []
        for entry in entries:
            request = SearchRequest(f"hotlist-{entry.id}-{self.new_request_id()}", who.org, user, now_s,
                                    entry.reason, "plate", ReadQuery(plate=entry.plate, start_s=since_s,
                                                                     end_s=now_s + 1),
                                    entry.offense_type, entry.case_number)
            out.append((entry, self.search(who, request, max_reads)))
        return out

    # -- audit --------------------------------------------------------------------------
    def audit_searches(self, who: Principal, org: str | None, after: int = -1, limit: int = 100) -> AuditPage:
        """An organization's own searches (its search-audit portal): its own agency key,
        an auditor or the admin."""
        if who.role in ("admin", "auditor"):
            if org is None:
                rows = self.audit.rows(after, limit + 1)
            else:
                rows = self.audit.for_org(org, after, limit + 1)
            return _page(rows, limit, True)
        self._require(who, "agency")
        if org is not None and org != who.org:
            raise Forbidden("an agency key may export only its own organization's searches")
        return _page(self.audit.for_org(who.org, after, limit + 1), limit, True)

    def audit_network(self, who: Principal, owner: str | None, after: int = -1, limit: int = 100,
                      include_unsearched: bool = False) -> AuditPage:
        """Searches that touched an owner's cameras (its network audit): the owner's own
        agency key (which sees its own network's entry only), an auditor or the admin."""
        if who.role in ("admin", "auditor"):
            if owner is None:
                raise Invalid("owner", "name the owner whose network audit to export")
            return _page(self.audit.for_owner(owner, include_unsearched, after, limit + 1), limit, True)
        self._require(who, "agency")
        if owner is not None and owner != who.org:
            raise Forbidden("an agency key may export only its own organization's network audit")
        rows = self.audit.for_owner(who.org, include_unsearched, after, limit + 1)
        return _page(rows, limit, False)

    def verify(self, who: Principal) -> VerifyResult:
        self._require(who, "admin", "auditor")
        return self.audit.verify()

    def close(self) -> None:
        self.db.close()


def _page(rows: list[AuditRow], limit: int, full: bool) -> AuditPage:
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].seq if more and rows else None, full)


__all__ = ["NO_PACK", "PersistentService"]
