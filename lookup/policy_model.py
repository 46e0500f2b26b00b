"""The policy language's data: policies, rules, conditions, decisions, and what they read.

``lookup.policy`` holds the evaluator and documents the semantics; ``lookup.policy_syntax``
parses plain data into these types. ``ATTRIBUTES`` is the catalogue of what a condition
may read: the declared request, the requester's, the owner's and the declared
beneficiary's registered attributes, and how the network was reached.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from lookup.requests import ORG_KINDS, SEARCH_TYPES, Organization, SearchRequest

EFFECTS = ("allow", "deny", "require_approval", "limit")
DECISION_EFFECTS = ("allow", "require_approval", "rate_limited", "deny")  # by severity
LAYER_KINDS = ("baseline", "platform", "state_law", "owner", "custom")
# how the requester reached the owner's network (set by the sharing graph, not declared)
VIA = ("own", "share", "state", "national_lookup")
DEFAULT_RULE = "default"


class PolicyError(ValueError):
    """A malformed policy: names the file (``where``) and the field path."""

    def __init__(self, where: str, path: Sequence[str | int], message: str, line: int | None = None):
        self.where = where
        self.path = tuple(path)
        self.message = message
        self.line = line
        location = where if line is None else f"{where}:{line}"
        field_path = format_path(self.path)
        super().__init__(f"{location}: {field_path}: {message}" if field_path else f"{location}: {message}")

    def with_line(self, line: int | None) -> PolicyError:
        return PolicyError(self.where, self.path, self.message, line)


def format_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- the environment conditions read -------------------------------------------------


class Env:
    """What one evaluation may look at. ``request`` is None while pre-filtering statics."""

    __slots__ = ("request", "requester", "owner", "via", "context", "shared")

    def __init__(self, request: SearchRequest | None, requester: Organization, owner: Organization,
                 via: str, context: Context | None, shared: dict | None = None):
        self.request = request
        self.requester = requester
        self.owner = owner
        self.via = via
        self.context = context
        # per-request memo shared by every network of one search: the beneficiary lookup and
        # the results of conditions that read nothing network-specific
        self.shared = {} if shared is None else shared

    @property
    def beneficiary(self) -> Organization | None:
        """The declared on-behalf-of as a registered organization, if it names one."""
        shared = self.shared
        if "beneficiary" not in shared:
            text = (self.request.on_behalf_of or "").strip() if self.request else ""
            found = None
            if text and self.context is not None and self.context.lookup_org is not None:
                found = self.context.lookup_org(text)
            shared["beneficiary"] = found
        return shared["beneficiary"]

    def holds(self, cond: Condition) -> bool:
        if cond.network:
            return cond.test(self)
        key = id(cond)  # conditions live as long as their policy, which outlives the call
        result = self.shared.get(key)
        if result is None:
            result = self.shared[key] = cond.test(self)
        return result


@dataclass(frozen=True)
class Condition:
    """One test over an attribute (or a combinator ``all``/``any``/``not`` over parts).

    ``test`` is the compiled predicate; it is left out of equality so that two parses of
    the same text compare equal.
    """

    attr: str  # attribute path, or "all" / "any" / "not"
    op: str
    value: Any
    static: bool  # reads only requester/owner/access attributes
    # Organization fields of the owner it reads; "X=requester.Y" when it only compares
    # owner.X with requester.Y (see ``_projection``)
    owner_fields: frozenset[str]
    test: Callable[[Env], bool] = field(compare=False, repr=False)
    network: bool = False  # reads owner.* or access.via (differs between networks)

    def describe(self) -> str:
        if self.attr in ("all", "any"):
            joiner = " and " if self.attr == "all" else " or "
            return "(" + joiner.join(part.describe() for part in self.value) + ")"
        if self.attr == "not":
            return f"not {self.value.describe()}"
        return f"{self.attr} {self.op} {_show(self.value)}"


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, frozenset)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Approval:
    delay_s: float
    probability: float


@dataclass(frozen=True)
class RateLimit:
    max: int
    per_s: float
    per: str  # "requester", "user", "requester_owner", "user_owner"


@dataclass(frozen=True)
class Limit:
    max_window_s: float | None = None
    rate: RateLimit | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    effect: str  # one of EFFECTS
    when: tuple[Condition, ...] = ()  # all must hold
    message: str = ""
    cite: str = ""
    approval: Approval | None = None
    limit: Limit | None = None

    def describe_conditions(self) -> str:
        return " and ".join(c.describe() for c in self.when) or "always"


@dataclass(frozen=True)
class Policy:
    name: str
    source: str
    rules: tuple[Rule, ...] = ()
    default: str = "deny"  # "allow" or "deny"
    scope: tuple[Condition, ...] = ()  # static conditions; empty = applies everywhere
    layer: str = "custom"
    description: str = ""
    default_message: str = ""
    # derived, not data: the owner fields the policy reads, its hash, and the memo of the
    # static pre-filter per (requester, owner projection, via)
    owner_fields: tuple[str, ...] = field(init=False, compare=False, repr=False)
    _hash: int = field(init=False, compare=False, repr=False)
    _prepared: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        fields_: set[str] = set()
        for cond in self.scope:
            fields_ |= cond.owner_fields
        for rule in self.rules:
            for cond in rule.when:
                fields_ |= cond.owner_fields
            if rule.limit and rule.limit.rate and rule.limit.rate.per.endswith("_owner"):
                fields_.add("slug")
        object.__setattr__(self, "owner_fields", tuple(sorted(fields_)))
        object.__setattr__(self, "_hash", hash((self.name, self.source, self.rules, self.default, self.scope,
                                                self.layer, self.description, self.default_message)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True)
class PolicyPack:
    """Named, ordered layers (flattened includes). A pack only decides; the sharing graph
    is the scenario's."""

    name: str
    source: str
    layers: tuple[Policy, ...]
    description: str = ""

    def layers_for(self, own: Policy | None = None) -> tuple[Policy, ...]:
        """The layers for one owner: the pack's, then the owner's own policy."""
        return self.layers if own is None else (*self.layers, own)


# --- decisions, context, rates -------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The final decision for one network; always names the deciding policy and rule."""

    effect: str  # one of DECISION_EFFECTS
    policy: str
    rule: str
    message: str = ""
    delay_s: float = 0.0  # approval delay (require_approval)
    approval_probability: float = 1.0
    retry_after_s: float | None = None  # rate_limited
    rate_keys: tuple[str, ...] = ()  # rate-limit keys to record if searched (rate_keys_to_record)
    trail: tuple[str, ...] = ()  # "policy/rule=effect" for every applicable layer, in order

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"

    @property
    def rule_ref(self) -> str:
        return f"{self.policy}/{self.rule}"


class RateCounter(Protocol):
    def times_since(self, key: str, since_s: float) -> Sequence[float]:
        """Times (ascending) of recorded searches under ``key`` at or after ``since_s``."""
        ...


def rate_keys_to_record(decisions: Sequence[Decision], searched: Sequence[bool] | None = None) -> tuple[str, ...]:
    """The distinct rate keys of the searched networks (default: those allowed outright;
    pass ``searched`` when approvals were granted)."""
    flags = [d.allowed for d in decisions] if searched is None else searched
    keys: dict[str, None] = {}
    for decision, flag in zip(decisions, flags, strict=True):
        if flag:
            keys.update(dict.fromkeys(decision.rate_keys))
    return tuple(keys)


class NoRates:
    """A counter that has seen nothing: rate limits never bind."""

    def times_since(self, key: str, since_s: float) -> Sequence[float]:
        return ()


class SlidingWindowCounter:
    """In-memory rate counter. Times must be recorded in non-decreasing order per key."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = defaultdict(list)

    def record(self, keys: Iterable[str], time_s: float) -> None:
        for key in keys:
            times = self._times[key]
            if times and time_s < times[-1]:
                bisect.insort(times, time_s)
            else:
                times.append(time_s)

    def times_since(self, key: str, since_s: float) -> Sequence[float]:
        times = self._times.get(key)
        if not times:
            return ()
        return times[bisect.bisect_left(times, since_s):]


@dataclass(frozen=True)
class Context:
    """What an evaluation may know besides the request: the time, rates, the registry."""

    now_s: float
    rates: RateCounter = field(default_factory=NoRates)
    lookup_org: Callable[[str], Organization | None] | None = None


class Network(NamedTuple):
    """One network a search reaches: its owner, the layers that govern it, the path."""

    owner: Organization
    layers: tuple[Policy, ...]
    via: str = "share"


# --- the attribute catalogue ----------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    path: str
    kind: str  # enum | state | slug | text | set | number | bool
    static: bool  # known before the request: requester, owner, access
    get: Callable[[Env], Any]
    choices: tuple[str, ...] = ()
    owner_field: str | None = None
    doc: str = ""


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _declared_text(env: Env) -> str | None:
    request = env.request
    parts = [p for p in (request.reason, request.offense_type, request.on_behalf_of) if p and p.strip()]
    return " | ".join(parts) or None


def _beneficiary_field(name: str) -> Callable[[Env], Any]:
    def get(env: Env) -> Any:
        org = env.beneficiary
        return None if org is None else getattr(org, name)

    return get


def _catalogue() -> dict[str, Attribute]:
    attrs: list[Attribute] = []
    org_fields = (("slug", "slug", ()), ("kind", "enum", ORG_KINDS), ("state", "state", ()), ("tags", "set", ()))
    for name, kind, choices in org_fields:
        attrs.append(Attribute(f"requester.{name}", kind, True,
                               (lambda n: lambda env: getattr(env.requester, n))(name), choices,
                               doc=f"the requesting organization's registered {name}"))
        attrs.append(Attribute(f"owner.{name}", kind, True,
                               (lambda n: lambda env: getattr(env.owner, n))(name), choices, owner_field=name,
                               doc=f"the searched network owner's registered {name}"))
        attrs.append(Attribute(f"on_behalf_of.{name}", kind, False, _beneficiary_field(name), choices,
                               doc=f"the declared beneficiary's registered {name} (absent unless it names a registered org)"))
    attrs += [
        Attribute("on_behalf_of.registered", "bool", False, lambda env: env.beneficiary is not None,
                  doc="the declared on-behalf-of names a registered organization"),
        Attribute("access.via", "enum", True, lambda env: env.via, VIA,
                  doc="how the sharing graph let the requester reach this network"),
        Attribute("request.reason", "text", False, lambda env: _text(env.request.reason), doc="declared reason"),
        Attribute("request.offense_type", "text", False, lambda env: _text(env.request.offense_type),
                  doc="declared offense type"),
        Attribute("request.case_number", "text", False, lambda env: _text(env.request.case_number),
                  doc="declared case number"),
        Attribute("request.on_behalf_of", "text", False, lambda env: _text(env.request.on_behalf_of),
                  doc="declared on-behalf-of, as written"),
        Attribute("request.declared_text", "text", False, _declared_text,
                  doc="reason, offense type and on-behalf-of together"),
        Attribute("request.user", "text", False, lambda env: _text(env.request.user), doc="the searching user"),
        Attribute("request.search_type", "enum", False, lambda env: env.request.search_type, SEARCH_TYPES,
                  doc="declared search type"),
        Attribute("request.window_s", "number", False, lambda env: env.request.window_s,
                  doc="length of the searched time window in seconds (absent if open-ended)"),
    ]
    return {a.path: a for a in attrs}


ATTRIBUTES: dict[str, Attribute] = _catalogue()
OPERATORS: dict[str, tuple[str, ...]] = {
    "enum": ("eq", "ne", "in", "not_in", "present", "same_as", "differs_from"),
    "state": ("eq", "ne", "in", "not_in", "present", "same_as", "differs_from"),
    "slug": ("eq", "ne", "in", "not_in", "present", "regex", "same_as", "differs_from"),
    "text": ("eq", "ne", "in", "not_in", "present", "keywords", "regex", "same_as", "differs_from"),
    "number": ("eq", "ne", "gt", "ge", "lt", "le", "present"),
    "bool": ("eq", "present"),
    "set": ("contains", "contains_any", "contains_none", "present"),
}
COMPARABLE_KINDS = {"enum", "state", "slug", "text"}
