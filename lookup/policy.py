"""Sharing policies as data, and the one pure evaluator that judges a search per network.

A ``Policy`` is a name, a source citation, a scope (where it applies), a default effect
and ordered rules. A rule has conditions over the *declared* face only (the request, the
requester's and the owner's registered attributes, the declared beneficiary when it names
a registered organization, how the network was reached) and an effect:

- ``allow``; ``deny``;
- ``require_approval`` (``delay_s``, ``probability``): the evaluator returns the
  requirement, the caller draws the owner's answer with its own random stream;
- ``limit``: a constraint, not a grant. A window longer than ``max_window_s`` (or an
  open-ended window) is denied by that rule; more than ``rate.max`` searches per
  ``rate.per_s`` gives ``rate_limited`` with ``retry_after_s``. A satisfied limit lets
  evaluation go on and adds its key to ``Decision.rate_keys`` (record them, see below).

Within one policy every matching rule counts and the most restrictive wins: deny, then a
violated limit, then rate_limited, then require_approval, then allow, then the default.
Rule order only chooses which rule is named among equals (the first). So adding a deny
rule never grants and adding an allow rule never revokes.

Layers. ``decide`` takes the layers that govern one owner's network, in order: a policy
pack's layers (a baseline, platform safeguards, state laws, each with a scope such as
``owner.state == CA`` so that a law only binds its own state's owners), then the owner's
own policy (``PolicyPack.layers_for(own)``). Layers whose scope does not match abstain.
The combination is again "most restrictive wins": any deny denies (named by the first
denying layer, so state law is named before the owner's own rule), rate limits next,
approvals add up (delays sum, probabilities multiply), and an allow is named by the last
allowing layer (the most specific grant, usually the owner's own). No applicable layer
means deny (``no-applicable-policy``): packs start from the ``open`` baseline so that
every owner has one. An error while evaluating a layer also denies
(``evaluation-error``): the evaluator fails closed.

Packs compose by inclusion: ``ca-sb34-sb54`` includes ``ca-sb34``, which includes
``open``; ``strict`` includes ``ca-sb34-sb54``. A stricter pack in that chain therefore
holds every layer of the looser one and, by the rule above, never allows more.

``via`` (one of ``VIA``: own, share, state, national_lookup) is how the sharing graph let
the requester reach the network; the caller passes it and rules read it as
``access.via`` (Flock's "National Lookup off for California" is such a rule). Packs only
decide: the sharing graph is the scenario's (``sharing:``), the same under every pack.

Rate counting is an injectable ``RateCounter`` in the ``Context``; the evaluator only
reads it. After a search ran, the caller records ``rate_keys_to_record(decisions)`` once
(``SlidingWindowCounter.record``): the distinct keys of the networks actually searched,
so that a limit ``per: requester`` or ``per: user`` counts searches (a fan-out over 400
networks is one search) and ``per: *_owner`` counts searches that touched that owner.

The types live in ``lookup.policy_model`` and parsing from plain dicts in
``lookup.policy_syntax``; this module re-exports what callers need (``policy_from_dict``,
``pack_from_dict`` included). YAML files are read in ``scenarios.policy_files``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from lookup.policy_model import (
    ATTRIBUTES,
    DECISION_EFFECTS,
    DEFAULT_RULE,
    EFFECTS,
    LAYER_KINDS,
    VIA,
    Approval,
    Condition,
    Context,
    Decision,
    Env,
    Limit,
    Network,
    NoRates,
    Policy,
    PolicyError,
    PolicyPack,
    RateCounter,
    RateLimit,
    Rule,
    SlidingWindowCounter,
    rate_keys_to_record,
)
from lookup.policy_syntax import parse_pack, parse_policy
from lookup.requests import Organization, SearchRequest

__all__ = [
    "ATTRIBUTES", "DECISION_EFFECTS", "DEFAULT_RULE", "EFFECTS", "LAYER_KINDS", "VIA", "Approval", "Condition",
    "Context", "Decision", "Limit", "Network", "NoRates", "Policy", "PolicyError", "PolicyPack", "RateCounter",
    "RateLimit", "Rule", "SlidingWindowCounter", "combine", "decide", "evaluate_many", "evaluate_policy",
    "pack_from_dict", "policy_from_dict", "rate_keys_to_record",
]

_SEVERITY = {effect: rank for rank, effect in enumerate(DECISION_EFFECTS)}

# --- evaluation ----------------------------------------------------------------------


class _Prepared:
    """A policy pre-filtered for one (requester, owner projection, via)."""

    __slots__ = ("applicable", "candidates", "owner", "fixed")

    def __init__(self, applicable: bool, candidates: tuple, owner: Organization):
        self.applicable = applicable
        self.candidates = candidates  # ((rule, dynamic conditions), ...)
        self.owner = owner
        self.fixed: Decision | None = None


_PREPARED_MAX = 200_000


def _projection(owner: Organization, requester: Organization, names: tuple[str, ...]) -> tuple:
    """What a policy can tell about an owner: the fields it reads, or for a field it only
    compares with the requester's, whether the two are equal (as ``same_as`` compares)."""
    out = []
    for name in names:
        mine, _, theirs = name.partition("=requester.")
        value = getattr(owner, mine)
        if theirs:
            other = getattr(requester, theirs)
            value = (value.casefold() == other.casefold()) if isinstance(value, str) else value == other
        out.append(value)
    return tuple(out)


def _prepare(policy: Policy, requester: Organization, owner: Organization, via: str) -> _Prepared:
    projection = _projection(owner, requester, policy.owner_fields)
    key = (requester, projection, via)
    cache = policy._prepared
    prepared = cache.get(key)
    if prepared is not None:
        return prepared
    env = Env(None, requester, owner, via, None)
    applicable = all(cond.test(env) for cond in policy.scope)
    candidates = []
    if applicable:
        for rule in policy.rules:
            dynamic = []
            ok = True
            for cond in rule.when:
                if cond.static:
                    if not cond.test(env):
                        ok = False
                        break
                else:
                    dynamic.append(cond)
            if ok:
                candidates.append((rule, tuple(dynamic)))
    prepared = _Prepared(applicable, tuple(candidates), owner)
    if applicable and not any(dyn or (rule.limit is not None) for rule, dyn in candidates):
        prepared.fixed = _policy_outcome(policy, [rule for rule, _ in candidates], None, requester, owner, None)
    if len(cache) >= _PREPARED_MAX:
        cache.clear()
    cache[key] = prepared
    return prepared


def _rate_key(policy: Policy, rule: Rule, request: SearchRequest, requester: Organization,
              owner: Organization) -> str:
    per = rule.limit.rate.per
    who = f"{requester.slug}:{request.user}" if per.startswith("user") else requester.slug
    key = f"{policy.name}/{rule.id}/{who}"
    return f"{key}/{owner.slug}" if per.endswith("_owner") else key


def _policy_outcome(policy: Policy, matched: Sequence[Rule], request: SearchRequest | None,
                    requester: Organization, owner: Organization, context: Context | None) -> Decision:
    """The most restrictive outcome of the matched rules of one policy (or its default)."""
    violation = rate_limited = approval = allow = None
    rate_keys: list[str] = []
    for rule in matched:
        effect = rule.effect
        if effect == "deny":
            return Decision("deny", policy.name, rule.id, rule.message or f"denied by {policy.name}/{rule.id}")
        if effect == "limit":
            limit = rule.limit
            if limit.max_window_s is not None and violation is None:
                window = request.window_s
                if window is None or window > limit.max_window_s:
                    shown = "an open-ended window" if window is None else f"a window of {window / 86400:g} days"
                    violation = Decision("deny", policy.name, rule.id, rule.message or (
                        f"{shown} exceeds the {limit.max_window_s / 86400:g}-day limit"))
            if limit.rate is not None:
                key = _rate_key(policy, rule, request, requester, owner)
                times = context.rates.times_since(key, context.now_s - limit.rate.per_s)
                if len(times) >= limit.rate.max:
                    if rate_limited is None:
                        retry = times[len(times) - limit.rate.max] + limit.rate.per_s - context.now_s
                        rate_limited = Decision(
                            "rate_limited", policy.name, rule.id,
                            rule.message or f"more than {limit.rate.max} searches per {limit.rate.per_s:g} s",
                            retry_after_s=max(0.0, float(retry)))
                else:
                    rate_keys.append(key)
        elif effect == "require_approval":
            if approval is None:
                approval = rule
        elif allow is None:
            allow = rule
    if violation is not None:
        return violation
    if rate_limited is not None:
        return rate_limited
    keys = tuple(rate_keys)
    if approval is not None:
        return Decision("require_approval", policy.name, approval.id,
                        approval.message or f"owner approval required by {policy.name}/{approval.id}",
                        delay_s=approval.approval.delay_s,
                        approval_probability=approval.approval.probability, rate_keys=keys)
    if allow is not None:
        return Decision("allow", policy.name, allow.id, allow.message, rate_keys=keys)
    message = policy.default_message or f"no rule of {policy.name} matched: default {policy.default}"
    return Decision(policy.default, policy.name, DEFAULT_RULE, message, rate_keys=keys)


def evaluate_policy(policy: Policy, request: SearchRequest, requester: Organization,
                    owner: Organization, context: Context, via: str = "share",
                    shared: dict | None = None) -> Decision | None:
    """One layer's decision, or None when its scope does not cover this network.

    ``shared`` is a per-request memo: pass the same dict for every network of one search.
    """
    prepared = _prepare(policy, requester, owner, via)
    return _evaluate_prepared(policy, prepared, request, requester, context, via, shared)


def _evaluate_prepared(policy: Policy, prepared: _Prepared, request: SearchRequest,
                       requester: Organization, context: Context, via: str,
                       shared: dict | None) -> Decision | None:
    if not prepared.applicable:
        return None
    if prepared.fixed is not None:
        return prepared.fixed
    try:
        env = Env(request, requester, prepared.owner, via, context, shared)
        holds = env.holds
        matched = [rule for rule, dynamic in prepared.candidates
                   if all(holds(cond) for cond in dynamic)]
        return _policy_outcome(policy, matched, request, requester, prepared.owner, context)
    except Exception as error:  # fail closed: a broken condition denies, and says why
        return Decision("deny", policy.name, "evaluation-error",
                        f"evaluation failed ({type(error).__name__}: {error}); denied")


def combine(outcomes: Sequence[Decision]) -> Decision:
    """Combine the applicable layers' decisions (in layer order): most restrictive wins."""
    if not outcomes:
        return Decision("deny", "<none>", "no-applicable-policy",
                        "no policy applies to this network; denied")
    trail = tuple(f"{d.policy}/{d.rule}={d.effect}" for d in outcomes)
    worst = max(_SEVERITY[d.effect] for d in outcomes)
    effect = DECISION_EFFECTS[worst]
    keys = tuple(key for d in outcomes for key in d.rate_keys)
    if effect == "allow":
        chosen = outcomes[-1]  # the most specific grant
        return Decision("allow", chosen.policy, chosen.rule, chosen.message, rate_keys=keys, trail=trail)
    deciding = [d for d in outcomes if d.effect == effect]
    first = deciding[0]
    if effect == "deny":
        return Decision("deny", first.policy, first.rule, first.message, trail=trail)
    if effect == "rate_limited":
        retry = max(d.retry_after_s or 0.0 for d in deciding)
        return Decision("rate_limited", first.policy, first.rule, first.message,
                        retry_after_s=retry, trail=trail)
    delay = sum(d.delay_s for d in deciding)
    probability = 1.0
    for d in deciding:
        probability *= d.approval_probability
    return Decision("require_approval", first.policy, first.rule, first.message, delay_s=delay,
                    approval_probability=probability, rate_keys=keys, trail=trail)


def decide(request: SearchRequest, requester: Organization, owner: Organization,
           layers: Sequence[Policy], context: Context, via: str = "share") -> Decision:
    """The decision for one search on one owner's network, under the given layers."""
    outcomes = []
    shared: dict = {}
    for policy in layers:
        outcome = evaluate_policy(policy, request, requester, owner, context, via, shared)
        if outcome is not None:
            outcomes.append(outcome)
    return combine(outcomes)


def evaluate_many(request: SearchRequest, requester: Organization, networks: Iterable[Network],
                  context: Context) -> list[Decision]:
    """``decide`` for every network one search reaches, in order, sharing work.

    Owners that look alike to every layer (same projection of the owner attributes the
    layers read, same access path) share one Decision object; within one layer, owners
    that look alike to it share one evaluation; conditions on the request alone are
    evaluated once per search.
    """
    shared: dict = {}
    per_policy: dict[_Prepared, Decision | None] = {}  # identity keys; holds them alive
    combined: dict[tuple[int, ...], Decision] = {}
    final: dict[tuple, Decision] = {}
    fields_of: dict[tuple[Policy, ...], tuple[str, ...]] = {}
    decisions = []
    for owner, layers, via in networks:
        layers = tuple(layers)
        names = fields_of.get(layers)
        if names is None:
            names = fields_of[layers] = tuple(sorted({f for p in layers for f in p.owner_fields}))
        key = (layers, via, *_projection(owner, requester, names))
        decision = final.get(key)
        if decision is None:
            outcomes = []
            for policy in layers:
                prepared = _prepare(policy, requester, owner, via)
                if prepared in per_policy:
                    outcome = per_policy[prepared]
                else:
                    outcome = _evaluate_prepared(policy, prepared, request, requester, context, via, shared)
                    per_policy[prepared] = outcome
                if outcome is not None:
                    outcomes.append(outcome)
            combo_key = tuple(id(d) for d in outcomes)
            decision = combined.get(combo_key)
            if decision is None:
                decision = combined[combo_key] = combine(outcomes)
            final[key] = decision
        decisions.append(decision)
    return decisions


def policy_from_dict(data: Any, where: str = "<policy>", path: Sequence[str | int] = ()) -> Policy:
    """Parse one policy from plain data; raises PolicyError naming ``where`` and the field."""
    return parse_policy(data, where, tuple(path))


def pack_from_dict(data: Any, where: str, include: Callable[[str, str, tuple], PolicyPack],
                   path: Sequence[str | int] = ()) -> PolicyPack:
    """Parse a pack; ``include(name, where, path)`` resolves ``{include: NAME}`` layers."""
    return parse_pack(data, where, include, tuple(path))
