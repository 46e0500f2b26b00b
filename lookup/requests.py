"""The declared face of a search: what the lookup service sees, logs and judges.

The true face (who really ends up with the data, by which channel) lives only in the
simulator's ground truth (``agencies``); nothing here may depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORG_KINDS = ("local", "sheriff", "state", "fusion", "federal", "out_of_state", "private")
SEARCH_TYPES = ("plate", "partial", "fingerprint", "area", "window")


@dataclass(frozen=True)
class Organization:
    """A registered organization: the attributes policies may look at."""

    slug: str
    name: str
    kind: str  # one of ORG_KINDS
    state: str  # two-letter state; "US" for federal agencies
    tags: frozenset[str] = frozenset()  # e.g. {"task_force"}, {"immigration"}

    def __post_init__(self) -> None:
        if self.kind not in ORG_KINDS:
            raise ValueError(f"organization {self.slug!r}: kind {self.kind!r} is not one of {ORG_KINDS}")

    @property
    def is_federal(self) -> bool:
        return self.kind == "federal"


@dataclass(frozen=True)
class ReadQuery:
    """What to look for. Every field is optional; absent means "any"."""

    plate: str | None = None  # exact plate text
    plate_pattern: str | None = None  # '?' one character, '*' any run of characters
    make: int | None = None  # fingerprint attribute indices (sim.population tables)
    colour: int | None = None
    body: int | None = None
    start_s: int | None = None  # time window, seconds since scenario start, inclusive
    end_s: int | None = None  # exclusive
    cameras: tuple[int, ...] | None = None  # camera indices (an area search resolves to these)


@dataclass(frozen=True)
class SearchRequest:
    """One search as declared to the service."""

    request_id: str
    org: str  # requesting organization slug
    user: str
    time_s: int  # when the search is made
    reason: str
    search_type: str  # one of SEARCH_TYPES
    query: ReadQuery
    offense_type: str | None = None
    case_number: str | None = None
    on_behalf_of: str | None = None  # declared beneficiary (an organization slug or free text)
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.search_type not in SEARCH_TYPES:
            raise ValueError(f"search {self.request_id!r}: search_type {self.search_type!r} is not one of {SEARCH_TYPES}")

    @property
    def window_s(self) -> int | None:
        if self.query.start_s is None or self.query.end_s is None:
            return None
        return self.query.end_s - self.query.start_s
