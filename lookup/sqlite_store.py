"""The persistent store in one SQLite file (WAL): reads, the audit chain, rate counts.

``SqliteReadStore`` (in ``lookup.sqlite_reads``) answers ``find``/``column``/``reads``/
``purge`` exactly as ``lookup.store.ReadStore`` does (same row ids for the same batches in
the same order), so ``lookup.search.LookupService`` runs on it unchanged.
``SqliteAuditLog`` keeps the hash-chained rows of ``lookup.audit`` (``to_record``
columns; ``pos`` is the storage order, ``seq`` the hashed position) and recomputes the
chain from the file in ``verify``. ``SqliteRateCounter`` makes policy rate limits survive
a restart.

One ``Database`` per file: one connection, one lock, nested transactions (savepoints).
Every value reaches SQL as a parameter; the only names interpolated are column names
and tables named from integers. Batches are written in one transaction each: after a
crash a batch is either all there or not at all.
"""

from __future__ import annotations

import bisect
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from lookup.audit import GENESIS, ROW_FIELDS, AuditRow, NetworkEntry, VerifyResult, make_row, verify
from lookup.policy import SlidingWindowCounter
from lookup.requests import Organization, SearchRequest
from lookup.sqlite_reads import SqliteReadStore

SCHEMA_VERSION = "1"
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_AUDIT_COLUMNS = ROW_FIELDS  # seq ... row_hash, as AuditRow.to_record gives them

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    pos INTEGER PRIMARY KEY, {", ".join(_AUDIT_COLUMNS)});
CREATE INDEX IF NOT EXISTS audit_org ON audit (org, pos);
CREATE INDEX IF NOT EXISTS audit_request ON audit (org, request_id);
CREATE TABLE IF NOT EXISTS audit_networks (
    owner TEXT NOT NULL, pos INTEGER NOT NULL, searched INTEGER NOT NULL,
    PRIMARY KEY (owner, pos)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rates (key TEXT NOT NULL, time_s REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rates_key ON rates (key, time_s);
"""


class Database:
    """One SQLite file: a connection shared under a lock, and nested transactions."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL", cache_mib: int = 256, mmap_mib: int = 4096):
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous {synchronous!r} is not one of {SYNCHRONOUS}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.execute(f"PRAGMA cache_size={-int(cache_mib) * 1024}")
        # reads through a memory map: no read() call per page for index probes
        self.conn.execute(f"PRAGMA mmap_size={int(mmap_mib) * 2**20}")
        self._depth = 0
        self._rollback_hooks: list[Callable[[], None]] = []
        with self.lock:
            self.conn.executescript(SCHEMA)
            with self.transaction():
                if self.meta("schema_version") is None:
                    self.set_meta("schema_version", SCHEMA_VERSION)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing; nests (inner blocks are savepoints). Holds the lock throughout."""
        with self.lock:
            depth = self._depth
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT s{depth}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                    for hook in self._rollback_hooks:
                        hook()
                else:
                    self.conn.execute(f"ROLLBACK TO s{depth}")
                    self.conn.execute(f"RELEASE s{depth}")
                raise
            self._depth -= 1
            self.conn.execute("COMMIT" if depth == 0 else f"RELEASE s{depth}")

    def reload(self) -> None:
        """Reload cached state from the file as this connection sees it (after a savepoint was
        rolled back inside an open transaction, which runs no rollback hook)."""
        with self.lock:
            for hook in self._rollback_hooks:
                hook()

    def abandon(self) -> None:
        """Roll back whatever is open (after a COMMIT that failed) and reload cached state."""
        with self.lock:
            self._depth = 0
            if not self.conn.in_transaction:
                return
            try:
                self.conn.execute("ROLLBACK")
            finally:
                for hook in self._rollback_hooks:
                    hook()

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` after an outer transaction rolls back (to reload cached state)."""
        self._rollback_hooks.append(hook)

    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class AuditDamaged(RuntimeError):
    """A stored audit row that cannot be read back: the file was damaged or tampered with."""


class SqliteAuditLog:
    """The append-only chained audit log of ``lookup.audit``, kept in the ``audit`` table."""

    def __init__(self, db: Database):
        self.db = db
        self._reload()
        db.on_rollback(self._reload)

    def _reload(self) -> None:
        with self.db.lock:
            last = self.db.conn.execute("SELECT seq, row_hash FROM audit ORDER BY pos DESC LIMIT 1").fetchone()
            self._count = int(self.db.conn.execute("SELECT count(*) FROM audit").fetchone()[0])
        self._head = GENESIS if last is None else last[1]
        self._next_seq = 0 if last is None else int(last[0]) + 1

    def append(self, request: SearchRequest, requester: Organization, networks, reads_returned: int | None = None
               ) -> AuditRow:
        entries = tuple(networks)
        with self.db.transaction() as conn:
            row = make_row(self._next_seq, self._head, request, requester, entries, reads_returned)
            record = row.to_record()
            conn.execute(f"INSERT INTO audit (pos, {', '.join(_AUDIT_COLUMNS)}) "
                         f"VALUES (?, {', '.join('?' * len(_AUDIT_COLUMNS))})",
                         (row.seq, *(record[c] for c in _AUDIT_COLUMNS)))
            conn.executemany("INSERT OR REPLACE INTO audit_networks (owner, pos, searched) VALUES (?, ?, ?)",
                             [(e.owner, row.seq, int(e.searched)) for e in entries])
            conn.execute("INSERT INTO meta (key, value) VALUES ('audit_head', ?), ('audit_count', ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (row.row_hash, str(row.seq + 1)))
            self._head, self._next_seq, self._count = row.row_hash, row.seq + 1, self._count + 1
        return row

    @property
    def head_hash(self) -> str:
        return self._head

    def __len__(self) -> int:
        return self._count

    def _select(self, where: str = "", params: tuple = (), join: str = "", limit: int | None = None
                ) -> list[AuditRow]:
        sql = f"SELECT a.pos, {', '.join('a.' + c for c in _AUDIT_COLUMNS)} FROM audit a {join} {where} ORDER BY a.pos"
        if limit is not None:
            sql += " LIMIT ?"
            params = (*params, int(limit))
        with self.db.lock:
            found = self.db.conn.execute(sql, params).fetchall()
        rows = []
        for pos, *values in found:
            try:
                rows.append(AuditRow.from_record(dict(zip(_AUDIT_COLUMNS, values, strict=True))))
            except (TypeError, ValueError) as error:
                raise AuditDamaged(f"the audit row stored at position {pos} cannot be read ({error}); "
                                   "GET /v1/audit/verify names the first broken row") from None
        return rows

    def rows(self, after: int = -1, limit: int | None = None) -> list[AuditRow]:
        """Rows in log order with position > ``after``."""
        return self._select("WHERE a.pos > ?", (after,), limit=limit)

    def for_org(self, org: str, after: int = -1, limit: int | None = None) -> list[AuditRow]:
        """The organization's own searches (its search-audit portal)."""
        return self._select("WHERE a.org = ? AND a.pos > ?", (org, after), limit=limit)

    def for_owner(self, owner: str, include_unsearched: bool = False, after: int = -1,
                  limit: int | None = None) -> list[AuditRow]:
        """Rows that touched the owner's cameras (its network audit), in log order."""
        searched = "" if include_unsearched else " AND n.searched = 1"
        return self._select(f"WHERE n.owner = ? AND a.pos > ?{searched}", (owner, after),
                            "JOIN audit_networks n ON n.pos = a.pos", limit)

    def find_request(self, org: str, request_id: str) -> AuditRow | None:
        found = self._select("WHERE a.org = ? AND a.request_id = ?", (org, request_id), limit=1)
        return found[0] if found else None

    def verify(self) -> VerifyResult:
        """Recompute the whole chain from the file; name the first broken row.

        The head and count kept beside the chain catch rows dropped at the end.
        """
        with self.db.lock:
            records = self.db.conn.execute(
                f"SELECT {', '.join(_AUDIT_COLUMNS)} FROM audit ORDER BY pos").fetchall()
        head, count = self.db.meta("audit_head"), self.db.meta("audit_count")
        rows = []
        for position, values in enumerate(records):
            try:
                row = AuditRow.from_record(dict(zip(_AUDIT_COLUMNS, values, strict=True)))
                if not all(isinstance(n, NetworkEntry) for n in row.networks):
                    raise TypeError("networks are not network entries")
            except (TypeError, ValueError) as error:
                result = verify(rows)
                if not result.ok:
                    return result
                return VerifyResult(False, position, position, values[0] if isinstance(values[0], int) else None,
                                    "malformed", f"row {position} cannot be read: {error}")
            rows.append(row)
        return verify(rows, expected_head=head, expected_count=None if count is None else int(count))


class SqliteRateCounter(SlidingWindowCounter):
    """``SlidingWindowCounter`` whose records are also written to the ``rates`` table.

    ``horizon_s`` is the longest rate window of the policies in force (set by the
    service): a record older than that can no longer count, so ``prune`` drops it from
    the table and from memory (``record`` prunes now and then by itself).
    """

    PRUNE_EVERY = 5_000  # records between automatic prunes

    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.horizon_s = float("inf")
        self._since_prune = 0
        self._reload()
        db.on_rollback(self._reload)

    def prune(self, now_s: float) -> int:
        """Forget records older than ``now_s - horizon_s``; returns the rows deleted."""
        self._since_prune = 0
        cutoff = float(now_s) - self.horizon_s
        if cutoff == float("-inf"):
            return 0
        with self.db.transaction() as conn:
            deleted = conn.execute("DELETE FROM rates WHERE time_s < ?", (cutoff,)).rowcount
        for key in list(self._times):
            times = self._times[key]
            cut = bisect.bisect_left(times, cutoff)
            if cut == len(times):
                del self._times[key]
            elif cut:
                del times[:cut]
        return deleted

    def stored_rows(self) -> int:
        with self.db.lock:
            return int(self.db.conn.execute("SELECT count(*) FROM rates").fetchone()[0])

    def _reload(self) -> None:
        self._times.clear()
        with self.db.lock:
            for key, time_s in self.db.conn.execute("SELECT key, time_s FROM rates ORDER BY key, time_s"):
                self._times[key].append(float(time_s))

    def record(self, keys, time_s: float) -> None:
        keys = tuple(keys)
        if not keys:  # nothing rate-limited was searched: no transaction to open
            return
        with self.db.transaction() as conn:
            conn.executemany("INSERT INTO rates (key, time_s) VALUES (?, ?)", [(k, float(time_s)) for k in keys])
            super().record(keys, time_s)
        self._since_prune += len(keys)
        if self._since_prune >= self.PRUNE_EVERY:
            self.prune(time_s)


__all__ = ["AuditDamaged", "Database", "SqliteAuditLog", "SqliteRateCounter", "SqliteReadStore"]
