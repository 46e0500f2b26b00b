"""What goes over the wire: pydantic models of the API's bodies, strict at this edge.

Unknown fields are errors (``extra="forbid"``); plates, patterns and times are checked
here so that a bad value gets a 422 naming its field before any domain call. Times are
integer seconds since the scenario start (the simulation clock), as in the simulator.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from lookup.requests import ORG_KINDS, SEARCH_TYPES
from lookup.store import PatternError, parse_pattern
from sim.plates import PlateError, encode, normalise
from sim.records import TIME_S_RANGE

MAX_TIME_S = TIME_S_RANGE[1]  # reads keep time in 32 bits (sim.records): +-68 years from the start
TimeS = Annotated[int, Field(ge=-MAX_TIME_S, le=MAX_TIME_S, description="seconds since the scenario start (negative in a run's warm-up)")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)]
Small = Annotated[int, Field(ge=0, le=255)]
Text = Annotated[str, Field(max_length=1000)]
ShortText = Annotated[str, Field(max_length=200)]
# plate text as a reader or an officer writes it; spaces, dots and dashes are dropped
PlateText = Annotated[str, Field(pattern=r"^[A-Za-z0-9 .-]{1,16}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


CLIENT_TIME = ("the service assigns the time from its own clock: a client-stated {field} is refused "
               "(for a simulation run, the admin sets the clock with PUT /v1/admin/clock)")


def _no_client_time(field: str):
    """A validator refusing any value: the field exists only to answer it with a clear 422."""
    def check(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(CLIENT_TIME.format(field=field))
        return None

    return field_validator(field)(classmethod(check))


_PLATE = re.compile(r"[0-9A-Z]{1,8}")  # a normalised plate sim.plates.encode takes


def _check_plate(value: str | None) -> str | None:
    if value is not None and _PLATE.fullmatch(normalise(value)) is None:  # encode names the fault
        try:
            encode(value)
        except PlateError as error:
            raise ValueError(str(error)) from None
    return value


class ErrorOut(BaseModel):
    detail: str


# --- reads -------------------------------------------------------------------------------


_DROP = str.maketrans("", "", " .-")


def normalise_many(texts: list[str]) -> list[str]:
    """``sim.plates.normalise`` of many plate texts in one pass (the pattern above lets
    only ASCII letters, digits, spaces, dots and dashes through, so no text holds a newline)."""
    return "\n".join(texts).upper().translate(_DROP).split("\n") if texts else []


class ReadColumnsIn(Strict):
    """One batch of reads, column by column (every list equally long)."""

    _plates: list[str] = PrivateAttr(default_factory=list)  # normalised, set by the check below
    _arrays: dict[str, np.ndarray] | None = PrivateAttr(default=None)  # set by the fast check

    @model_validator(mode="wrap")
    @classmethod
    def _fast(cls, data: Any, handler) -> ReadColumnsIn:
        # A batch of plain, valid columns is checked column by column in numpy (a 20,000-read
        # batch was ~20 ms in per-value validation); anything else takes the per-value
        # path, so every refusal is the same 422 as before.
        checked = _fast_columns(data)
        if checked is None:
            return handler(data)
        model = cls.model_construct(**{k: data.get(k) for k in cls.model_fields})
        model._plates, model._arrays = checked
        return model

    time_s: list[TimeS]
    camera: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] = Field(description="device number")
    plate: list[PlateText] = Field(description="recognised plate text, 1 to 8 letters or digits")
    plate_state: list[Small] | None = Field(None, description="issuing-state index (docs/api.md); default 0")
    confidence: list[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] | None = None
    make: list[Small] | None = None
    colour: list[Small] | None = None
    body: list[Small] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> ReadColumnsIn:
        if self._arrays is not None:  # the fast check has done all of this
            return self
        n = len(self.time_s)
        for name in ("camera", "plate", "plate_state", "confidence", "make", "colour", "body"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"reads.{name} has {len(values)} values but reads.time_s has {n}")
        plates = normalise_many(self.plate)
        for i, length in enumerate(map(len, plates)):
            if not 1 <= length <= 8:
                raise ValueError(f"reads.plate[{i}]: {self.plate[i]!r} must have 1 to 8 letters or digits")
        self._plates = plates
        return self

    @property
    def plates(self) -> list[str]:
        """The plates, normalised."""
        return self._plates


_READ_INTS = {"time_s": (-MAX_TIME_S, MAX_TIME_S), "camera": (0, 2**31 - 1), "plate_state": (0, 255),
              "make": (0, 255), "colour": (0, 255), "body": (0, 255)}
_PLATES_JOINED = re.compile(r"(?:[A-Za-z0-9 .-]{1,16}\n)*[A-Za-z0-9 .-]{1,16}")


def _array(values: Any, n: int, kinds: str) -> np.ndarray | None:
    """``values`` as a 1-d array of ``n`` numbers of a kind in ``kinds`` ("i" int, "f" float),
    else None. JSON booleans become 1 and 0, as pydantic's lax ints and floats take them."""
    if type(values) is not list or len(values) != n:
        return None
    try:
        column = np.array(values) if n else np.zeros(0, np.int64)
    except (OverflowError, ValueError):
        return None
    return column if column.ndim == 1 and column.dtype.kind in kinds and column.dtype.itemsize == 8 else None


def _fast_columns(data: Any) -> tuple[list[str], dict[str, np.ndarray]] | None:
    """(normalised plates, numpy columns) of a batch that passes every check of
    ``ReadColumnsIn``, checked column by column; None for anything else (numbers that are
    not plain ints or floats, text that is not a plate, missing or unknown fields)."""
    if not isinstance(data, dict) or not {"time_s", "camera", "plate"} <= data.keys() \
            or not data.keys() <= {*_READ_INTS, "plate", "confidence"}:
        return None
    n = len(data["time_s"]) if type(data["time_s"]) is list else -1
    arrays: dict[str, np.ndarray] = {}
    for name, (lo, hi) in _READ_INTS.items():
        if data.get(name) is None and name not in ("time_s", "camera"):
            continue
        column = _array(data.get(name), n, "i")
        if column is None or (n and (column.min() < lo or column.max() > hi)):
            return None
        arrays[name] = column
    if data.get("confidence") is not None:
        column = _array(data["confidence"], n, "if")
        if column is None:
            return None
        column = column.astype(np.float64)
        if n and not (np.isfinite(column).all() and column.min() >= 0 and column.max() <= 1):
            return None
        arrays["confidence"] = column
    plate = data["plate"]
    if type(plate) is not list or len(plate) != n:
        return None
    try:
        joined = "\n".join(plate)
    except TypeError:  # not every plate is text
        return None
    # one line per plate: a plate holding a newline would pass as two
    if n and (joined.count("\n") != n - 1 or _PLATES_JOINED.fullmatch(joined) is None):
        return None
    plates = normalise_many(plate)
    lengths = np.fromiter(map(len, plates), np.int64, n)
    if n and (lengths.min() < 1 or lengths.max() > 8):
        return None
    return plates, arrays


class BatchIn(Strict):
    batch_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] | None = Field(
        None, description="client's id for the batch: a batch id sent again stores nothing new")
    reads: ReadColumnsIn


class BatchOut(BaseModel):
    batch_id: str | None
    first_id: int = Field(description="the batch's reads got ids first_id .. first_id + count - 1, in order")
    count: int
    duplicate: bool
    received_s: int = Field(description="the server clock when the batch was first stored")


# --- searches ----------------------------------------------------------------------------


class QueryIn(Strict):
    plate: str | None = Field(None, max_length=32, description="exact plate")
    plate_pattern: str | None = Field(None, max_length=32, description="'?' one character, '*' any run")
    make: Small | None = None
    colour: Small | None = None
    body: Small | None = None
    start_s: TimeS | None = Field(None, description="window start, inclusive")
    end_s: TimeS | None = Field(None, description="window end, exclusive")
    cameras: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] | None = Field(None, max_length=10_000)

    _plate = field_validator("plate")(_check_plate)

    @field_validator("plate_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_pattern(value)
            except PatternError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _window(self) -> QueryIn:
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"query.end_s ({self.end_s}) must be after query.start_s ({self.start_s})")
        return self


class SearchIn(Strict):
    """A search as declared: the same fields as ``lookup.requests.SearchRequest`` less the
    organization, which is the key's."""

    request_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] | None = Field(
        None, description="unique per organization; the service makes one if absent")
    user: Annotated[str, Field(min_length=1, max_length=200)]
    time_s: Any = Field(None, description="refused if present: the service's clock is the search time")
    reason: Text = ""
    search_type: Literal[SEARCH_TYPES] = "plate"  # type: ignore[valid-type]
    query: QueryIn = QueryIn()
    offense_type: ShortText | None = None
    case_number: ShortText | None = None
    on_behalf_of: ShortText | None = None

    _time = _no_client_time("time_s")


class NetworkOut(BaseModel):
    owner: str
    via: str = Field(description="own, share, state or national_lookup")
    effect: str = Field(description="allow, require_approval, rate_limited or deny")
    rule: str = Field(description="the deciding policy/rule")
    message: str
    searched: bool
    reads: int
    delay_s: float
    retry_after_s: float | None


class ReadsOut(BaseModel):
    """Returned reads, column by column, in id order."""

    id: list[int]
    time_s: list[int]
    camera: list[int]
    owner: list[str]
    plate: list[str]
    plate_state: list[int]
    confidence: list[float]
    make: list[int]
    colour: list[int]
    body: list[int]
    delay_s: list[float] = Field(description="approval delay of the read's network")


class AuditNetworkOut(BaseModel):
    owner: str
    devices: int
    effect: str
    rule: str
    searched: bool
    reads: int


class AuditRowOut(BaseModel):
    seq: int
    request_id: str
    org: str
    org_name: str
    org_kind: str
    user: str
    time_s: int
    reason: str
    case_number: str | None
    offense_type: str | None
    on_behalf_of: str | None
    search_type: str
    plate: str | None
    filters: str
    window_start_s: int | None
    window_end_s: int | None
    networks: list[AuditNetworkOut]
    networks_searched: int
    devices_searched: int
    reads_returned: int
    prev_hash: str | None = Field(description="absent from an owner's view of others' searches")
    row_hash: str | None


class SearchOut(BaseModel):
    request_id: str
    status: Literal["served", "denied", "rate_limited"]
    detail: str = Field(description="why, naming the deciding rule when nothing was searched")
    networks: list[NetworkOut]
    reads_returned: int
    truncated: bool
    reads: ReadsOut
    audit: AuditRowOut


# --- hotlists, sharing ---------------------------------------------------------------------


class HotlistIn(Strict):
    plate: str = Field(max_length=32)
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    case_number: ShortText | None = None
    offense_type: ShortText | None = None
    label: ShortText = ""

    _plate = field_validator("plate")(_check_plate)


class HotlistOut(BaseModel):
    id: int
    plate: str
    reason: str
    case_number: str | None
    offense_type: str | None
    label: str


class HotlistCheckIn(Strict):
    since_s: TimeS
    now_s: Any = Field(None, description="refused if present: the check runs at the service's clock")
    user: Annotated[str, Field(min_length=1, max_length=200)] = "hotlist"

    _now = _no_client_time("now_s")


class HotlistAlertOut(BaseModel):
    entry: HotlistOut
    search: SearchOut


class SharingIn(Strict):
    shares: list[Slug] = Field(default_factory=list, max_length=10_000,
                               description="organizations granted 1:1 access to your cameras")
    state_share: bool = False
    national_lookup: bool = False


class SharingOut(BaseModel):
    shares: list[str]
    state_share: bool
    national_lookup: bool


# --- audit, admin ------------------------------------------------------------------------


class AuditPageOut(BaseModel):
    rows: list[AuditRowOut]
    next_after: int | None = Field(description="pass as ?after= for the next page; null at the end")


class VerifyOut(BaseModel):
    ok: bool
    rows_checked: int
    position: int | None
    seq: int | None
    problem: str
    message: str


class OrgIn(Strict):
    slug: Slug
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal[ORG_KINDS]  # type: ignore[valid-type]
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.:-]*$", max_length=100)]] = Field(
        default_factory=list, max_length=100)
    owns_cameras: bool = False
    devices: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    retention_days: Annotated[float, Field(gt=0, le=36_500, allow_inf_nan=False)] = 30.0


class OrgOut(BaseModel):
    slug: str
    name: str
    kind: str
    state: str
    tags: list[str]
    owns_cameras: bool
    devices: int
    retention_days: float
    index: int


class KeyIn(Strict):
    org: Slug
    role: Literal["agency", "camera", "auditor"]
    label: ShortText = ""


class KeyOut(BaseModel):
    key_id: str
    org: str
    role: str
    label: str
    revoked: bool


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the secret: shown once, kept only as a hash")


class PolicyDocument(BaseModel):
    """A policy (or a pack with ``layers`` inlined) as plain data: see lookup/policy_syntax.py."""

    model_config = ConfigDict(extra="allow")


class PackOut(BaseModel):
    name: str
    layers: list[str]
    document: dict[str, Any] | None


class PolicyOut(BaseModel):
    owner: str
    name: str | None
    document: dict[str, Any] | None


class PurgeIn(Strict):
    now_s: Any = Field(None, description="refused if present: retention runs at the service's clock")

    _now = _no_client_time("now_s")


class ClockIn(Strict):
    now_s: TimeS | None = Field(description="the simulated clock, seconds since the scenario start; "
                                            "null: back to the wall clock")


class ClockOut(BaseModel):
    now_s: int
    mode: Literal["wall", "simulated"]


class PurgeOut(BaseModel):
    deleted: int


class StatsOut(BaseModel):
    reads_stored: int
    reads_appended: int
    audit_rows: int
    organizations: int
    clock_s: int
    rate_rows: int = Field(description="rate-limit records kept (pruned past the longest window)")
