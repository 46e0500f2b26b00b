"""Reads in SQLite, one table per day of read time, with the search semantics of ``ReadStore``.

``SqliteReadStore`` answers ``find``/``column``/``reads``/``purge`` exactly as
``lookup.store.ReadStore`` does: same row ids for the same batches in the same order, so
``lookup.search.LookupService`` runs on it unchanged.

Why a table per day (``reads_d<day>``, each with its own plate index, and a view ``reads``
over them all): plate codes are random, so one index over every read turns each batch
into writes scattered over the whole index, and ingest slows as the store grows; a day's
index stays small enough to live in the page cache. An exact plate is one index probe per
day in the window; a time window is the row-id ranges of the batch pieces that meet it
(``parts``: first and last id, day, time range), as in ``ReadStore``; retention drops a
whole day once every owner's reads in it have expired. The distinct plate codes (for
partial-plate patterns) are kept in their own table and, to skip known ones, in memory.

Table names are built from integers (the day) only; every value is a parameter.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

import numpy as np

from lookup.requests import ReadQuery
from lookup.store import DAY_S, parse_pattern
from sim.plates import (
    PlateError,
    decode_many,
    decode_symbols,
    encode,
    prefix_range,
)
from sim.records import READ_COLUMNS, Reads

SCHEMA = """
CREATE TABLE IF NOT EXISTS parts (
    first_id INTEGER NOT NULL, last_id INTEGER NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL,
    tmin INTEGER NOT NULL, tmax INTEGER NOT NULL, PRIMARY KEY (first_id, day));
CREATE INDEX IF NOT EXISTS parts_day ON parts (day);
CREATE TABLE IF NOT EXISTS plates (plate INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS batches (
    owner INTEGER NOT NULL, batch_id TEXT NOT NULL, first_id INTEGER NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (owner, batch_id));
"""
_COLUMNS_SQL = ("id INTEGER PRIMARY KEY, time_s INTEGER NOT NULL, camera INTEGER NOT NULL, owner INTEGER NOT NULL, "
                "plate INTEGER NOT NULL, plate_state INTEGER NOT NULL, confidence REAL NOT NULL, "
                "make INTEGER NOT NULL, colour INTEGER NOT NULL, body INTEGER NOT NULL, vehicle INTEGER NOT NULL")
_NAMES = ("id", *READ_COLUMNS)
# what find fetches (all but the ground-truth vehicle): a search's answer needs no second query
_FOUND = ("id", *(c for c in READ_COLUMNS if c != "vehicle"))
_SELECT = f"SELECT {', '.join(_FOUND)}"
MAX_COMPOUND = 400  # SQLite allows 500 terms in one UNION ALL


def table_of(day: int) -> str:
    return f"reads_d{int(day)}" if day >= 0 else f"reads_n{-int(day)}"


@functools.lru_cache(maxsize=256)
def _by_plate_sql(days: tuple[int, ...], condition: str) -> tuple[str, ...]:
    """The SELECT of ``condition`` on each day's table by its plate index, UNION ALL'ed
    ``MAX_COMPOUND`` days at a time (kept: every search of the same shape over the same
    days sends the same text, so SQLite's statement cache reuses the prepared statement)."""
    selects = [f"{_SELECT} FROM {table_of(d)} INDEXED BY {table_of(d)}_plate WHERE {condition}" for d in days]
    return tuple(" UNION ALL ".join(selects[i:i + MAX_COMPOUND]) for i in range(0, len(selects), MAX_COMPOUND))


def _sorted_unique(rows) -> np.ndarray:
    """``np.unique`` of row ids, without the sort when they are sorted and distinct already
    (a search's rows always are)."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.ndim == 1 and (len(rows) < 2 or bool((rows[1:] > rows[:-1]).all())):
        return rows
    return np.unique(rows)


def _positions_in(known: np.ndarray, ids: np.ndarray) -> np.ndarray | None:
    """Where each of the sorted ``ids`` sits in the sorted ``known``, or None if one is missing
    (a binary search each: cheaper than ``np.isin`` for a search's few rows)."""
    if len(ids) > len(known):
        return None
    if ids is known:
        return np.arange(len(ids))
    at = np.searchsorted(known, ids)
    if len(ids) and (at[-1] >= len(known) or not np.array_equal(known[np.minimum(at, len(known) - 1)], ids)):
        return None
    return at


def _members(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in the sorted ``known`` (a binary search each: a batch's
    plates against every known plate, without sorting the known ones again)."""
    if not len(known):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return known[at] == values


def _ids_param(values) -> str:
    """A list of integers as one JSON text parameter (read back with ``json_each``)."""
    return json.dumps(np.asarray(values, dtype=np.int64).tolist())


class SqliteReadStore:
    """Reads for search, with per-owner retention, in ``db`` (a ``lookup.sqlite_store.Database``)."""

    def __init__(self, db, retention_days: np.ndarray | None = None):
        self.db = db
        with db.lock:
            db.conn.executescript(SCHEMA)
        self.retention_s = np.zeros(0)
        self.set_retention(np.zeros(0) if retention_days is None else retention_days)
        self._last: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
        self._deferred: set[int] | None = None  # days whose plate index bulk_append builds at the end
        self._reload()
        db.on_rollback(self._reload)

    def _reload(self) -> None:
        next_id, purged = self.db.meta("next_read_id"), self.db.meta("purged_at_s")
        self.rows = int(next_id) if next_id is not None else 0
        self._purged_at_s = float(purged) if purged is not None else -np.inf
        self._last = None
        with self.db.lock:
            conn = self.db.conn
            self._known_plates = np.array([r[0] for r in conn.execute("SELECT plate FROM plates ORDER BY plate")],
                                          dtype=np.int64)
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM parts ORDER BY day")]
        self._days = [d for d in days if table_of(d) in names]

    def set_retention(self, retention_days: np.ndarray) -> None:
        """Retention per owner index, in days (owners past the end keep reads forever)."""
        self.retention_s = np.asarray(retention_days, dtype=np.float64) * DAY_S

    def _retention_of(self, owner: np.ndarray) -> np.ndarray:
        padded = np.full(max(int(owner.max(initial=-1)) + 1, len(self.retention_s)), np.inf)
        padded[:len(self.retention_s)] = self.retention_s
        return padded[owner]

    # -- writing ----------------------------------------------------------------------
    def _create_day(self, conn, day: int) -> None:
        name = table_of(day)
        conn.execute(f"CREATE TABLE {name} ({_COLUMNS_SQL})")
        if self._deferred is None:
            conn.execute(f"CREATE INDEX {name}_plate ON {name} (plate)")
        else:
            self._deferred.add(day)
        self._days = sorted({*self._days, day})
        self._refresh_view(conn)

    def _refresh_view(self, conn) -> None:
        """The view ``reads`` over every day (nested when there are many)."""
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'reads%'"
                                    ).fetchall():
            conn.execute(f"DROP VIEW {name}")
        tables = [table_of(d) for d in self._days]
        if not tables:
            conn.execute(f"CREATE VIEW reads AS SELECT {', '.join(_NAMES)} FROM (SELECT NULL AS id, NULL AS time_s, "
                         "NULL AS camera, NULL AS owner, NULL AS plate, NULL AS plate_state, NULL AS confidence, "
                         "NULL AS make, NULL AS colour, NULL AS body, NULL AS vehicle) WHERE 0")
            return
        chunks = [tables[i:i + MAX_COMPOUND] for i in range(0, len(tables), MAX_COMPOUND)]
        parts = []
        for k, chunk in enumerate(chunks):
            union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in chunk)
            if len(chunks) == 1:
                parts.append(union)
            else:
                conn.execute(f"CREATE VIEW reads_view_{k} AS {union}")
                parts.append(f"SELECT * FROM reads_view_{k}")
        conn.execute(f"CREATE VIEW reads AS {' UNION ALL '.join(parts)}")

    def append(self, reads: Reads, batch: tuple[int, str] | None = None) -> tuple[int, int, bool]:
        """Store one batch atomically; returns (first row id, count, was already stored).

        ``batch`` = (owner index, client batch id) makes the call idempotent: a batch id
        seen before for that owner stores nothing and returns the first call's answer.
        """
        n = len(reads)
        with self.db.transaction() as conn:
            if batch is not None:
                found = conn.execute("SELECT first_id, count FROM batches WHERE owner = ? AND batch_id = ?",
                                     batch).fetchone()
                if found is not None:
                    return int(found[0]), int(found[1]), True
            first = self.rows
            new_plates = np.empty(0, np.int64)
            if n:
                ids = np.arange(first, first + n, dtype=np.int64)
                time_s = np.asarray(reads.time_s)
                day_of = time_s // DAY_S
                for day in np.unique(day_of).tolist():
                    if day not in self._days:
                        self._create_day(conn, day)
                    mine = np.flatnonzero(day_of == day)
                    cols = [ids[mine]] + [np.asarray(getattr(reads, c))[mine] for c in READ_COLUMNS]
                    conn.executemany(f"INSERT INTO {table_of(day)} ({', '.join(_NAMES)}) "
                                     f"VALUES ({', '.join('?' * len(_NAMES))})",
                                     zip(*(c.tolist() for c in cols), strict=True))
                    conn.execute("INSERT INTO parts (first_id, last_id, day, count, tmin, tmax) VALUES (?, ?, ?, ?, ?, ?)",
                                 (int(ids[mine[0]]), int(ids[mine[-1]]), day, len(mine), int(time_s[mine].min()),
                                  int(time_s[mine].max())))
                plates = np.unique(np.asarray(reads.plate, dtype=np.int64))
                new_plates = plates[~_members(plates, self._known_plates)]
                conn.executemany("INSERT OR IGNORE INTO plates (plate) VALUES (?)", ((p,) for p in new_plates.tolist()))
            if batch is not None:
                conn.execute("INSERT INTO batches (owner, batch_id, first_id, count) VALUES (?, ?, ?, ?)",
                             (*batch, first, n))
            self.db.set_meta("next_read_id", str(first + n))
            self.rows = first + n
            if len(new_plates):  # both sorted and disjoint: a merge, not a re-sort (a rollback reloads)
                known = self._known_plates
                self._known_plates = np.insert(known, np.searchsorted(known, new_plates), new_plates)
        self._last = None
        return first, n, False

    def bulk_append(self, batches: Iterable[Reads]) -> int:
        """Append many batches in one transaction, building the plate index of each new
        day once at the end (faster for seeding a large store). All or nothing."""
        added = 0
        with self.db.transaction() as conn:
            self._deferred = set()
            try:
                for reads in batches:
                    added += self.append(reads)[1]
                for day in sorted(self._deferred):
                    conn.execute(f"CREATE INDEX {table_of(day)}_plate ON {table_of(day)} (plate)")
            finally:
                self._deferred = None
        return added

    def purge(self, now_s: int) -> int:
        """Delete rows past their owner's retention at ``now_s``; returns rows deleted.

        As with ``ReadStore``, later searches never return them whatever time they state.
        """
        dropped = 0
        with self.db.transaction() as conn:
            self._purged_at_s = max(self._purged_at_s, float(now_s))
            self.db.set_meta("purged_at_s", repr(self._purged_at_s))
            finite = self.retention_s[np.isfinite(self.retention_s)]
            if not len(finite):
                return 0
            everyone = float(now_s - finite.max())  # before this, every owner's reads expired
            dropped_days = []
            for day in list(self._days):
                name = table_of(day)
                if (day + 1) * DAY_S <= everyone and len(finite) == len(self.retention_s):
                    dropped += conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                    conn.execute(f"DROP TABLE {name}")
                    conn.execute("DELETE FROM parts WHERE day = ?", (day,))
                    dropped_days.append(day)
                    continue
                for owner, retention in enumerate(self.retention_s):
                    cutoff = float(now_s - retention)
                    if np.isfinite(retention) and cutoff > day * DAY_S:
                        dropped += conn.execute(f"DELETE FROM {name} WHERE owner = ? AND time_s < ?",
                                                (owner, cutoff)).rowcount
            if dropped_days:
                self._days = [d for d in self._days if d not in dropped_days]
                self._refresh_view(conn)
        self._last = None
        return dropped

    # -- reading ----------------------------------------------------------------------
    def _pattern_codes(self, pattern: str) -> np.ndarray:
        prefix, template, regex = parse_pattern(pattern)
        lo, hi = prefix_range(prefix)
        with self.db.lock:
            distinct = np.array([r[0] for r in self.db.conn.execute(
                "SELECT plate FROM plates WHERE plate >= ? AND plate < ? ORDER BY plate", (lo, hi))], dtype=np.int64)
        if not len(distinct):
            return distinct
        if template is not None:
            sym = decode_symbols(distinct).astype(np.int16)
            ok = ((sym == template) | ((template == 255) & (sym != 0))).all(axis=1)
            return distinct[ok]
        return distinct[[regex.fullmatch(t) is not None for t in decode_many(distinct)]]

    def _days_between(self, start: float, end: float) -> list[int]:
        lo = -np.inf if not np.isfinite(start) else start // DAY_S
        hi = np.inf if not np.isfinite(end) else (np.ceil(end) - 1) // DAY_S
        return [d for d in self._days if lo <= d <= hi]

    def _run(self, queries: list[tuple[str, list]]) -> list:
        """Run SELECTs (UNION ALL of up to MAX_COMPOUND at a time)."""
        out: list = []
        with self.db.lock:
            for i in range(0, len(queries), MAX_COMPOUND):
                chunk = queries[i:i + MAX_COMPOUND]
                sql = " UNION ALL ".join(q for q, _ in chunk)
                out += self.db.conn.execute(sql, [v for _, values in chunk for v in values]).fetchall()
        return out

    def find(self, query: ReadQuery, owners: np.ndarray | None = None, now_s: float | None = None) -> np.ndarray:
        """Sorted row ids of retained reads matching ``query`` in the ``owners``' networks."""
        start = -np.inf if query.start_s is None else query.start_s
        end = np.inf if query.end_s is None else query.end_s
        if now_s is not None:
            end = min(end, now_s + 1)
        where, params, by_plate = [], [], False
        if query.plate is not None:
            try:
                code = encode(query.plate)
            except PlateError:
                return np.empty(0, np.int64)
            where.append("plate = ?")
            params.append(code)
            by_plate = True
        elif query.plate_pattern is not None:
            codes = self._pattern_codes(query.plate_pattern)
            if not len(codes):
                return np.empty(0, np.int64)
            where.append("plate IN (SELECT value FROM json_each(?))")
            params.append(_ids_param(codes))
            by_plate = True
        for clause, value in (("time_s >= ?", start), ("time_s < ?", end)):
            if np.isfinite(value):
                where.append(clause)
                params.append(float(value))
        if owners is not None:
            where.append("owner IN (SELECT value FROM json_each(?))")
            params.append(_ids_param(owners))
        if query.cameras is not None:
            where.append("camera IN (SELECT value FROM json_each(?))")
            params.append(_ids_param(query.cameras))
        for attr in ("make", "colour", "body"):
            value = getattr(query, attr)
            if value is not None:
                where.append(f"{attr} = ?")
                params.append(int(value))
        days = self._days_between(start, end)
        condition = " AND ".join(where)
        if by_plate:
            found: list = []
            with self.db.lock:
                for k, sql in enumerate(_by_plate_sql(tuple(days), condition)):
                    terms = min(MAX_COMPOUND, len(days) - k * MAX_COMPOUND)
                    found += self.db.conn.execute(sql, params * terms).fetchall()
            queries = None
        elif np.isfinite(start) or np.isfinite(end):  # a window: the row-id ranges of its batch pieces
            with self.db.lock:
                pieces = self.db.conn.execute(
                    "SELECT day, first_id, last_id FROM parts WHERE tmax >= ? AND tmin < ? ORDER BY first_id",
                    (float(start), float(end))).fetchall()
            queries = [(f"{_SELECT} FROM {table_of(d)} WHERE id BETWEEN ? AND ?"
                        f"{' AND ' + condition if condition else ''}", [a, b, *params])
                       for d, a, b in pieces if d in self._days]
        else:
            queries = [(f"{_SELECT} FROM {table_of(d)}{' WHERE ' + condition if condition else ''}",
                        params) for d in days]
        if queries is not None:
            found = self._run(queries)
        # one pass over the rows into per-column tuples, then one array per column
        values = list(zip(*found, strict=True)) if found else [()] * len(_FOUND)
        columns = {name: np.array(values[k], dtype=np.int64 if name == "id" else READ_COLUMNS[name])
                   for k, name in enumerate(_FOUND)}
        rows = columns["id"]
        retention_now = self._purged_at_s if now_s is None else max(now_s, self._purged_at_s)
        keep = np.ones(len(rows), bool)
        if retention_now > -np.inf and len(rows):
            owner = columns["owner"].astype(np.int64)
            keep = columns["time_s"] >= retention_now - self._retention_of(owner)
        order = np.flatnonzero(keep)[np.argsort(rows[keep], kind="stable")]
        columns = {name: values[order] for name, values in columns.items()}
        self._last = (columns["id"], columns)
        return columns["id"]

    def table(self, rows: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Columns (and "id") at row ids, in id order; ids not stored (purged) are left out."""
        bad = [n for n in names if n not in READ_COLUMNS]
        if bad:
            raise KeyError(f"no read column {bad[0]!r}; columns: {', '.join(READ_COLUMNS)}")
        unique = _sorted_unique(rows)
        last = self._last
        if last is not None and all(n in last[1] for n in names):
            at = _positions_in(last[0], unique)  # the last search's rows: already fetched
            if at is not None:
                return {"id": unique, **{name: last[1][name][at] for name in names}}
        found: list = []
        if len(unique):
            with self.db.lock:
                days = [r[0] for r in self.db.conn.execute(
                    "SELECT DISTINCT day FROM parts WHERE last_id >= ? AND first_id <= ?",
                    (int(unique[0]), int(unique[-1])))]
            ids = _ids_param(unique)
            found = self._run([(f"SELECT id, {', '.join(names)} FROM {table_of(d)} "
                                "WHERE id IN (SELECT value FROM json_each(?))", [ids]) for d in days if d in self._days])
            found.sort(key=lambda r: r[0])
        out = {"id": np.array([r[0] for r in found], dtype=np.int64)}
        for k, name in enumerate(names, start=1):
            out[name] = np.array([r[k] for r in found], dtype=READ_COLUMNS[name])
        return out

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Values of one column at row ids (any order); ids of purged rows are an error."""
        if name not in READ_COLUMNS:
            raise KeyError(f"no read column {name!r}; columns: {', '.join(READ_COLUMNS)}")
        rows = np.asarray(rows, dtype=np.int64)
        last = self._last
        if last is not None and name in last[1] and (rows is last[0] or np.array_equal(rows, last[0])):
            return last[1][name].astype(READ_COLUMNS[name])
        got = self.table(rows, (name,))
        if len(got["id"]) != len(np.unique(rows)):
            raise KeyError(f"{len(np.unique(rows)) - len(got['id'])} of the row ids asked for are not stored")
        return got[name][np.searchsorted(got["id"], rows)] if len(rows) else np.empty(0, READ_COLUMNS[name])

    def reads(self, rows: np.ndarray) -> Reads:
        return Reads(**{name: self.column(name, rows) for name in READ_COLUMNS})

    def count(self) -> int:
        """Rows stored now (appended minus purged)."""
        with self.db.lock:
            return sum(self.db.conn.execute(f"SELECT count(*) FROM {table_of(d)}").fetchone()[0] for d in self._days)

    def __len__(self) -> int:
        return self.rows


__all__ = ["SqliteReadStore", "table_of"]
