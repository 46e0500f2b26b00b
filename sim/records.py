"""The record types every stage exchanges: columnar reads, passes and the run's records.

Reads are never Python objects one by one: a ``Reads`` value is a frozen set of equally
long numpy columns. ``RunRecords`` is everything a metric may need; metrics are pure
functions of it plus the spec.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np

# column name -> dtype, in canonical order (the records hash and the files use this order)
READ_COLUMNS: dict[str, np.dtype] = {
    # seconds since scenario start: 32 bits hold +-68 years and save 4 of a read's 33 bytes
    # (a state-wide run keeps 220 M reads); the records hash still covers them as int64
    "time_s": np.dtype(np.int32),
    "camera": np.dtype(np.int32),  # index into RunRecords.cameras
    "owner": np.dtype(np.int16),  # index into RunRecords.owners (the camera's data owner)
    "plate": np.dtype(np.int64),  # recognised plate text, sim.plates code
    "plate_state": np.dtype(np.uint8),  # index into sim.plates.STATES
    "confidence": np.dtype(np.float32),
    "make": np.dtype(np.uint8),  # observed fingerprint attributes (with their own errors)
    "colour": np.dtype(np.uint8),
    "body": np.dtype(np.uint8),
    "vehicle": np.dtype(np.int32),  # ground truth: the vehicle that really passed
}


# dtypes the records hash covers: the columns as stored, except time as int64 (as it was
# stored until the column narrowed), so that narrowing it left every run's hash unchanged
HASH_DTYPES: dict[str, np.dtype] = {**READ_COLUMNS, "time_s": np.dtype(np.int64)}
TIME_S_RANGE = (int(np.iinfo(np.int32).min), int(np.iinfo(np.int32).max))


def _check_time_range(time_s: np.ndarray) -> None:
    """Times that a 32-bit column would wrap are an error, never stored wrong."""
    if len(time_s) and time_s.dtype.kind in "iu" and time_s.dtype.itemsize > 4:
        lo, hi = int(time_s.min()), int(time_s.max())
        if lo < TIME_S_RANGE[0] or hi > TIME_S_RANGE[1]:
            raise ValueError(f"read time_s {lo if lo < TIME_S_RANGE[0] else hi} is outside the stored range "
                             f"{TIME_S_RANGE[0]}..{TIME_S_RANGE[1]} (seconds from the scenario's start, +-68 years)")


@dataclass(frozen=True)
class Reads:
    """Plate reads, columnar. ``vehicle`` is ground truth the lookup service never shows."""

    time_s: np.ndarray
    camera: np.ndarray
    owner: np.ndarray
    plate: np.ndarray
    plate_state: np.ndarray
    confidence: np.ndarray
    make: np.ndarray
    colour: np.ndarray
    body: np.ndarray
    vehicle: np.ndarray

    def __post_init__(self) -> None:
        lengths = {name: len(getattr(self, name)) for name in READ_COLUMNS}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"read columns differ in length: {lengths}")
        _check_time_range(self.time_s)  # a wider column is stored as int32 (ReadStore)

    def __len__(self) -> int:
        return len(self.time_s)

    @classmethod
    def empty(cls) -> Reads:
        return cls(**{name: np.empty(0, dtype=dt) for name, dt in READ_COLUMNS.items()})

    @classmethod
    def from_columns(cls, columns: dict[str, np.ndarray]) -> Reads:
        _check_time_range(np.asarray(columns["time_s"]))
        return cls(**{name: np.asarray(columns[name], dtype=dt) for name, dt in READ_COLUMNS.items()})

    @classmethod
    def concat(cls, batches: list[Reads]) -> Reads:
        if not batches:
            return cls.empty()
        return cls(**{name: np.concatenate([getattr(b, name) for b in batches]) for name in READ_COLUMNS})

    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in READ_COLUMNS}

    def take(self, index: np.ndarray) -> Reads:
        return Reads(**{name: getattr(self, name)[index] for name in READ_COLUMNS})


@dataclass(frozen=True)
class Passes:
    """Vehicles passing camera checkpoints (before capture): what the road saw."""

    time_s: np.ndarray  # int64
    camera: np.ndarray  # int32
    vehicle: np.ndarray  # int32
    speed_mps: np.ndarray  # float32

    def __len__(self) -> int:
        return len(self.time_s)

    def take(self, index: np.ndarray) -> Passes:
        return Passes(self.time_s[index], self.camera[index], self.vehicle[index], self.speed_mps[index])

    @classmethod
    def concat(cls, parts: list[Passes]) -> Passes:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


class RecordsHasher:
    """sha256 over the canonical reads: column by column, in READ_COLUMNS order.

    Each column gets its own running digest, so the result does not depend on how the
    reads were split into batches; the final hash covers the column digests.
    """

    def __init__(self) -> None:
        self._digests = {name: hashlib.sha256() for name in READ_COLUMNS}
        self.rows = 0

    def update(self, reads: Reads) -> None:
        for name, digest in self._digests.items():
            digest.update(np.ascontiguousarray(getattr(reads, name), dtype=HASH_DTYPES[name]).tobytes())
        self.rows += len(reads)

    def hexdigest(self) -> str:
        final = hashlib.sha256(f"reads:{self.rows}".encode())
        for name, digest in self._digests.items():
            final.update(name.encode())
            final.update(digest.digest())
        return final.hexdigest()


def reads_sha256(reads: Reads) -> str:
    hasher = RecordsHasher()
    hasher.update(reads)
    return hasher.hexdigest()


@dataclass(frozen=True)
class Vehicles:
    """The vehicle population and its owners' anchor places (ground truth)."""

    plate: np.ndarray  # int64 true plate code
    plate_state: np.ndarray  # uint8 index into STATES
    make: np.ndarray  # uint8
    colour: np.ndarray  # uint8
    body: np.ndarray  # uint8
    home_node: np.ndarray  # int32 road-network node
    work_node: np.ndarray  # int32 (== home_node for non-commuters)
    group: np.ndarray  # int16 population group (home region, or through traffic)
    commuter: np.ndarray  # bool
    plate_symbols: np.ndarray  # (N, PLATE_LEN) uint8, the plates decoded once for capture
    anchor_zone: np.ndarray | None = None  # (N, 2 + K) int32 zones: home, work, K habitual places
    kind: np.ndarray | None = None  # uint8 sim.population kind: regular, heavy (fleet), night worker, through

    def __len__(self) -> int:
        return len(self.plate)


@dataclass(frozen=True)
class Cameras:
    """Camera table: one row per device. ``camera_id`` is a stable slug-like id."""

    camera_id: tuple[str, ...]
    owner: np.ndarray  # int16 index into owners
    lon: np.ndarray
    lat: np.ndarray
    edge: np.ndarray  # int32 directed edge the camera watches
    edge_fraction: np.ndarray  # float32 position along the edge
    both_directions: np.ndarray  # bool: no heading known, reads both ways
    key: np.ndarray  # uint64 stable random key from camera_id

    def __len__(self) -> int:
        return len(self.camera_id)


@dataclass(frozen=True)
class RunRecords:
    """What the traffic of a run produced: the reads (warm-up included: their ``time_s``
    is negative) and the world's ground truth. The agencies' records sit beside these
    (``agencies.records.AgencyRecords``)."""

    seed: int
    days: float  # the measured days
    owners: tuple[str, ...]
    cameras: Cameras
    vehicles: Vehicles
    reads: Reads
    records_sha256: str
    no_reads: int  # passes captured by a camera but not read (no plate text)
    passes: int  # vehicles that passed a camera
    warmup_days: int = 0  # simulated before time 0

    def measured(self) -> np.ndarray:
        """Rows of the reads in the measured period (time 0 onwards), as an index array."""
        rows = self.measured_rows()
        return np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows

    def measured_rows(self) -> slice | np.ndarray:
        """Rows of the measured period: a slice when they follow the warm-up's in the store's
        order (they do: batches arrive in time order), else an index array. A slice takes
        views of the columns; a state-wide run's index array alone would be 0.8 GB."""
        time_s = self.reads.time_s
        if not self.warmup_days:
            return slice(0, len(time_s))
        first = _first_at_or_after(time_s, 0)
        if not _any_before(time_s[first:], 0):  # rows before ``first`` are all warm-up, by its definition
            return slice(first, len(time_s))
        return np.flatnonzero(time_s >= 0)

    def measured_reads(self) -> Reads:
        """The measured period's reads (views when they are one block of rows)."""
        rows = self.measured_rows()
        return self.reads.take(rows)


_SCAN_ROWS = 1 << 22  # rows per chunk when scanning a column: a few MB of temporaries, not GB


def _first_at_or_after(values: np.ndarray, bound: int) -> int:
    for lo in range(0, len(values), _SCAN_ROWS):
        hits = np.flatnonzero(values[lo:lo + _SCAN_ROWS] >= bound)
        if len(hits):
            return lo + int(hits[0])
    return len(values)


def _any_before(values: np.ndarray, bound: int) -> bool:
    return any(bool((values[lo:lo + _SCAN_ROWS] < bound).any()) for lo in range(0, len(values), _SCAN_ROWS))
