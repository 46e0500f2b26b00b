"""The columnar read store: exact, partial-plate, fingerprint, area and time-window search.

Reads arrive in time-ordered batches (segments), copied into contiguous columns that
grow by doubling (``reserve`` sizes them up front; untouched room costs address space,
not memory), so a row id indexes every column directly. Plate search uses an index of sorted
runs (plate code, row id), built lazily and merged in tiers like a log-structured tree:
an exact plate is one binary search per run; a prefix is a code range; other wildcard
patterns are matched on each run's table of distinct plates. Retention is enforced at
query time per owner, and ``purge`` drops expired rows from the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numba
import numpy as np

from lookup.requests import ReadQuery
from sim.plates import (
    ALPHABET,
    PLATE_LEN,
    PlateError,
    decode_many,
    decode_symbols,
    encode,
    normalise,
    prefix_range,
)
from sim.radix import stable_sort
from sim.records import READ_COLUMNS, Reads

DAY_S = 86_400
RUN_FANOUT = 4  # index runs merged at a time (see ReadStore._index_pending)


@dataclass
class _Run:
    plates: np.ndarray  # int64, sorted
    rows: np.ndarray  # int64 global row ids, in plate order
    _distinct: np.ndarray | None = None
    _distinct_symbols: np.ndarray | None = None

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        if self._distinct is None:
            first = np.ones(len(self.plates), bool)
            first[1:] = self.plates[1:] != self.plates[:-1]
            self._distinct = self.plates[first]
            self._distinct_symbols = decode_symbols(self._distinct)
        return self._distinct, self._distinct_symbols


def _merge_runs(runs: list[_Run]) -> _Run:
    """One sorted run from several, oldest first. Older runs' rows all precede newer ones':
    a stable sort on plates keeps rows ascending within a plate, and timsort merges
    sorted runs in linear time."""
    plates, order = stable_sort(np.concatenate([r.plates for r in runs]))
    return _Run(plates, np.concatenate([r.rows for r in runs])[order])


def match_template(symbols: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Rows of ``symbols`` (n, PLATE_LEN uint8) that fit ``template`` (``parse_pattern``):
    fixed symbols equal, each wildcard (255) any symbol but padding.

    Each plate is read as one 64-bit word: the fixed positions are compared at once under
    a mask, and the wildcard bytes tested for padding, in one compiled pass.
    """
    fixed = template != 255
    mask = np.where(fixed, 0xFF, 0).astype(np.uint8).view(np.uint64)[0]
    value = np.where(fixed, template, 0).astype(np.uint8).view(np.uint64)[0]
    wild = np.where(fixed, 0, 0xFF).astype(np.uint8).view(np.uint64)[0]
    words = np.ascontiguousarray(symbols, dtype=np.uint8).view(np.uint64).ravel()
    return _match_words(words, mask, value, wild)


@numba.njit(cache=True, nogil=True)
def _match_words(words, mask, value, wild):
    ok = np.empty(words.size, np.bool_)
    for i in range(words.size):
        w = words[i]
        hit = (w & mask) == value
        if hit and wild:
            for b in range(8):
                byte = np.uint64(0xFF) << np.uint64(8 * b)
                if (wild & byte) and not (w & byte):
                    hit = False
                    break
        ok[i] = hit
    return ok


MAX_SPELLINGS = 36**3  # patterns with up to three wildcards are looked up spelling by spelling


def template_codes(template: np.ndarray) -> np.ndarray | None:
    """Every plate code that fits ``template`` (``parse_pattern``), ascending, or None when
    there are more than ``MAX_SPELLINGS``: each wildcard is any of the 36 characters."""
    wild = np.flatnonzero(template == 255)
    if len(ALPHABET) ** len(wild) > MAX_SPELLINGS:
        return None
    powers = (len(ALPHABET) + 1) ** np.arange(PLATE_LEN - 1, -1, -1, dtype=np.int64)
    codes = np.array([int(np.where(template == 255, 0, template).astype(np.int64) @ powers)], np.int64)
    symbols = np.arange(1, len(ALPHABET) + 1, dtype=np.int64)
    for position in wild:
        codes = np.add.outer(codes, symbols * powers[position]).ravel()
    return np.sort(codes)


class PatternError(ValueError):
    """A partial-plate pattern that cannot be searched."""


def pattern_regex(text: str) -> re.Pattern:
    """The regular expression of a normalised pattern: ``?`` one character, ``*`` any run."""
    return re.compile("".join("." if c == "?" else ".*" if c == "*" else c for c in text))


def parse_pattern(pattern: str) -> tuple[str, np.ndarray | None, re.Pattern | None]:
    """(known prefix, fixed-length symbol template or None, regex or None) of a pattern.

    ``?`` stands for one character, ``*`` for any run of characters (possibly none).
    """
    text = normalise(pattern)
    if not text or len(text.replace("*", "")) > PLATE_LEN:
        raise PatternError(f"plate pattern {pattern!r}: needs 1 to {PLATE_LEN} characters")
    bad = [c for c in text if c not in ALPHABET and c not in "?*"]
    if bad:
        raise PatternError(f"plate pattern {pattern!r}: {bad[0]!r} is not a letter, digit, '?' or '*'")
    prefix = re.match(r"[^?*]*", text).group(0)
    if "*" in text:
        return prefix, None, pattern_regex(text)
    template = np.full(PLATE_LEN, 255, np.int16)  # 255 = any
    for k, c in enumerate(text):
        if c != "?":
            template[k] = ALPHABET.index(c) + 1
    template[len(text):] = 0  # exact length: the rest is padding
    return prefix, template, None


@numba.njit(cache=True, nogil=True)
def _matching(time_s, owner, camera, make, colour, body, start, end, oldest, by_camera, camera_ok, wanted, has):
    """The search conditions on each row in one pass: time window, the owner's retention
    cut-off (``oldest``), cameras, fingerprint attributes (``wanted`` where ``has``)."""
    keep = np.zeros(time_s.size, np.bool_)
    for i in range(time_s.size):
        t = time_s[i]
        if not (t >= start and t < end and t >= oldest[owner[i]]):
            continue
        if by_camera:
            c = camera[i]
            if c < 0 or c >= camera_ok.size or not camera_ok[c]:
                continue
        if (has[0] and make[i] != wanted[0]) or (has[1] and colour[i] != wanted[1]) \
                or (has[2] and body[i] != wanted[2]):
            continue
        keep[i] = True
    return keep


class ReadStore:
    """Reads for search, with per-owner retention. ``retention_days[o]`` for owner index o."""

    def __init__(self, retention_days: np.ndarray, capacity: int = 0):
        self.retention_s = np.asarray(retention_days, dtype=np.float64) * DAY_S
        self._columns = {name: np.empty(capacity, dt) for name, dt in READ_COLUMNS.items()}
        self._bases: list[int] = []  # first row of each segment
        self._tmin: list[int] = []
        self._tmax: list[int] = []
        self._bounds = np.empty((2, 0))  # (tmin, tmax) per segment as arrays, for window scans
        self._runs: list[_Run] = []
        self._indexed_segments = 0
        self._purged_at_s = -np.inf
        self.rows = 0

    # -- writing ----------------------------------------------------------------------
    def reserve(self, rows: int) -> None:
        """Room for ``rows`` more reads without moving the columns (grows by doubling)."""
        capacity = len(self._columns["time_s"])
        if self.rows + rows <= capacity:
            return
        capacity = max(self.rows + rows, 2 * capacity)
        for name, old in self._columns.items():
            new = np.empty(capacity, old.dtype)
            new[:self.rows] = old[:self.rows]
            self._columns[name] = new
            del old

    def append(self, reads: Reads) -> None:
        """Add a batch (copied in); rows must not be older than the previous batch's newest row."""
        if not len(reads):
            return
        if self._tmax and int(reads.time_s.min()) < self._tmax[-1] - 2 * 3600:
            raise ValueError("read batches must arrive in time order (at most two hours late)")
        self.reserve(len(reads))
        lo, hi = self.rows, self.rows + len(reads)
        for name, column in self._columns.items():
            column[lo:hi] = getattr(reads, name)
        self._bases.append(lo)
        self._tmin.append(int(reads.time_s.min()))
        self._tmax.append(int(reads.time_s.max()))
        self.rows = hi

    def _segment(self, i: int) -> tuple[int, int]:
        return self._bases[i], self._bases[i + 1] if i + 1 < len(self._bases) else self.rows

    def _slice(self, lo: int, hi: int) -> Reads:
        return Reads(**{name: column[lo:hi] for name, column in self._columns.items()})

    @property
    def batch_count(self) -> int:
        return len(self._bases)

    def batch(self, i: int) -> tuple[Reads, int]:
        """The ``i``-th appended batch (rows as appended, views) and its newest read time."""
        return self._slice(*self._segment(i)), self._tmax[i]

    def all_reads(self) -> Reads:
        """Every read appended, in row order: views of the store's columns, no copy."""
        return self._slice(0, self.rows)

    def _index_pending(self) -> None:
        if self._indexed_segments == len(self._bases):
            return
        lo = self._bases[self._indexed_segments]
        plates, order = stable_sort(self._columns["plate"][lo:self.rows])
        order += lo
        self._runs.append(_Run(plates, order))
        self._indexed_segments = len(self._bases)
        # size tiers: when the newest RUN_FANOUT runs are of a size (the oldest of them at
        # most twice the newest), merge them into one; each row is merged about
        # log_RUN_FANOUT(rows) times and a search visits a few runs per tier
        while (len(self._runs) >= RUN_FANOUT
               and len(self._runs[-RUN_FANOUT].plates) <= 2 * len(self._runs[-1].plates)):
            merged = _merge_runs(self._runs[-RUN_FANOUT:])
            del self._runs[-RUN_FANOUT:]
            self._runs.append(merged)

    def purge(self, now_s: int) -> int:
        """Drop rows past their owner's retention from the index; returns rows dropped.

        After a purge, searches never return those rows again, whatever time they state.
        Rows not yet indexed are filtered at query time instead (see ``find``).
        """
        self._purged_at_s = max(self._purged_at_s, now_s)
        if not self._tmin or self._tmin[0] >= now_s - self.retention_s.min():
            return 0  # nothing can have expired yet
        dropped = 0
        for run in self._runs:
            t = self.column("time_s", run.rows)
            keep = t >= now_s - self.retention_s[self.column("owner", run.rows)]
            dropped += int((~keep).sum())
            if not keep.all():
                run.plates, run.rows = run.plates[keep], run.rows[keep]
                run._distinct = run._distinct_symbols = None
        return dropped

    # -- reading ----------------------------------------------------------------------
    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Values of one column at global row ids (any order)."""
        return self._columns[name][:self.rows][np.asarray(rows, dtype=np.int64)]

    def reads(self, rows: np.ndarray) -> Reads:
        return Reads(**{name: self.column(name, rows) for name in READ_COLUMNS})

    def _plate_candidates(self, query: ReadQuery) -> np.ndarray | None:
        """Row ids matching the plate part of a query, or None if it has none."""
        if query.plate is None and query.plate_pattern is None:
            return None
        self._index_pending()
        found: list[np.ndarray] = []
        if query.plate is not None:
            try:
                code = encode(query.plate)
            except PlateError:
                return np.empty(0, np.int64)
            for run in self._runs:
                lo, hi = np.searchsorted(run.plates, [code, code + 1])
                found.append(run.rows[lo:hi])
        else:
            prefix, template, regex = parse_pattern(query.plate_pattern)
            lo_code, hi_code = prefix_range(prefix)
            spelled = template_codes(template) if template is not None else None
            for run in self._runs:
                if spelled is not None:  # a few wildcards: look every spelling up
                    codes = spelled
                else:
                    distinct, symbols = run.distinct()
                    a, b = np.searchsorted(distinct, [lo_code, hi_code])
                    if template is not None:
                        codes = distinct[a:b][match_template(symbols[a:b], template)]
                    else:
                        texts = decode_many(distinct[a:b])
                        codes = distinct[a:b][[regex.fullmatch(t) is not None for t in texts]]
                starts = np.searchsorted(run.plates, codes, side="left")
                ends = np.searchsorted(run.plates, codes, side="right")
                present = np.flatnonzero(ends > starts)
                found.extend(run.rows[starts[i]:ends[i]] for i in present)
        return np.concatenate(found) if found else np.empty(0, np.int64)

    def _keep(self, get, query: ReadQuery, owners: np.ndarray | None, start: float, end: float,
              retention_now: float) -> np.ndarray:
        """Which candidate rows match; ``get(name)`` gives a column for the candidates."""
        # one threshold per owner: its retention cut-off (-inf: no retention applies), or
        # +inf for owners not searched
        oldest = np.full(len(self.retention_s), -np.inf) if retention_now == -np.inf else \
            retention_now - self.retention_s
        if owners is not None:
            owners = np.asarray(owners, dtype=np.int64)
            searched = np.zeros(len(oldest), bool)
            searched[owners[(owners >= 0) & (owners < len(oldest))]] = True
            oldest = np.where(searched, oldest, np.inf)
        if query.cameras is not None:
            cameras = np.asarray(query.cameras, dtype=np.int64)
            camera_ok = np.zeros(max(int(cameras.max(initial=-1)) + 1, 1), bool)
            camera_ok[cameras[cameras >= 0]] = True
        else:
            camera_ok = np.ones(0, bool)
        values = [getattr(query, a) for a in ("make", "colour", "body")]
        wanted = np.array([0 if v is None else int(v) for v in values], np.int64)
        has = np.array([v is not None for v in values], bool)
        return _matching(get("time_s"), get("owner"), get("camera"), get("make"), get("colour"), get("body"),
                         float(start), float(end), oldest.astype(np.float64), query.cameras is not None, camera_ok,
                         wanted, has)

    def find(self, query: ReadQuery, owners: np.ndarray | None = None, now_s: float | None = None) -> np.ndarray:
        """Sorted row ids of retained reads matching ``query`` in the ``owners``' networks.

        ``now_s`` is the search time: reads newer than it, or older than their owner's
        retention at that time, are not returned.
        """
        start = -np.inf if query.start_s is None else query.start_s
        end = np.inf if query.end_s is None else query.end_s
        if now_s is not None:
            end = min(end, now_s + 1)
        retention_now = self._purged_at_s if now_s is None else max(now_s, self._purged_at_s)
        rows = self._plate_candidates(query)
        if rows is not None:
            keep = self._keep(lambda name: self.column(name, rows), query, owners, start, end, retention_now)
            return np.sort(rows[keep])
        # no plate: scan the time window on one slice of the columns (no gathers), from the
        # first segment that reaches into the window to the last; rows in between that lie
        # outside it (batches may arrive up to two hours late) fail the time test in _keep
        if self._bounds.shape[1] != len(self._bases):
            self._bounds = np.array([self._tmin, self._tmax], dtype=np.float64).reshape(2, -1)
        inside = np.flatnonzero((self._bounds[1] >= start) & (self._bounds[0] < end))
        if not len(inside):
            return np.empty(0, np.int64)
        first, last = self._segment(inside[0]), self._segment(inside[-1])
        lo = first[0] + int(np.searchsorted(self._columns["time_s"][first[0]:first[1]], start))
        hi = last[0] + int(np.searchsorted(self._columns["time_s"][last[0]:last[1]], end))
        if hi <= lo:
            return np.empty(0, np.int64)
        keep = self._keep(lambda name: self._columns[name][lo:hi], query, owners, start, end, retention_now)
        return lo + np.flatnonzero(keep)

    def __len__(self) -> int:
        return self.rows


def brute_force_find(reads: Reads, query: ReadQuery, owners: np.ndarray | None, now_s: float | None,
                     retention_s: np.ndarray) -> np.ndarray:
    """Reference implementation by full scan (tests compare ``ReadStore.find`` with it)."""
    keep = np.ones(len(reads), bool)
    if query.plate is not None:
        try:
            keep &= reads.plate == encode(query.plate)
        except PlateError:
            return np.empty(0, np.int64)
    if query.plate_pattern is not None:
        parse_pattern(query.plate_pattern)  # the same validation and errors as the store
        regex = pattern_regex(normalise(query.plate_pattern))
        texts = decode_many(reads.plate)
        keep &= np.array([regex.fullmatch(t) is not None for t in texts], bool)
    if query.start_s is not None:
        keep &= reads.time_s >= query.start_s
    if query.end_s is not None:
        keep &= reads.time_s < query.end_s
    if now_s is not None:
        keep &= (reads.time_s <= now_s) & (reads.time_s >= now_s - retention_s[reads.owner])
    if owners is not None:
        keep &= np.isin(reads.owner, owners)
    if query.cameras is not None:
        keep &= np.isin(reads.camera, np.asarray(query.cameras))
    for attr in ("make", "colour", "body"):
        if getattr(query, attr) is not None:
            keep &= getattr(reads, attr) == getattr(query, attr)
    return np.nonzero(keep)[0].astype(np.int64)


__all__ = ["PatternError", "ReadStore", "brute_force_find", "parse_pattern", "pattern_regex"]
