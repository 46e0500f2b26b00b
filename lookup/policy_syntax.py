"""The policy language's syntax: attributes, operators, and strict parsing from plain data.

A policy (inside a file: under ``policy:``)::

    name: ca-sb34                      # slug
    source: "Civil Code 1798.90.55(b)"  # required: where the rule comes from
    layer: state_law                   # baseline | platform | state_law | owner | custom
    scope: {owner.state: CA}           # static conditions; omitted = everywhere
    default: allow                     # allow | deny (required)
    rules:
      - id: sb34-federal
        when: {requester.kind: federal}
        unless: {...}                  # optional: the rule does not match when this holds
        effect: deny                   # allow | deny | require_approval | limit
        message: "..."                 # optional; cite: optional source for this rule
      - id: outside-approval
        effect: require_approval
        approval: {delay_s: 14400, probability: 0.9}
      - id: window-30d
        effect: limit
        limit: {max_window_s: 2592000, rate: {max: 50, per_s: 86400, per: requester}}

A condition mapping is the conjunction of its entries. An entry is ``ATTRIBUTE: test`` or
a combinator ``all: [mapping, ...]``, ``any: [mapping, ...]``, ``not: mapping``. A test is
a scalar (equality; for tags, "contains"), a list (membership; for tags, "contains any")
or a mapping of operators (all must hold)::

    eq ne in not_in present          every attribute (present: true|false)
    keywords regex                   text: case-insensitive; keywords match whole words,
                                     a space inside a keyword matches any punctuation run
    gt ge lt le                      numbers (request.window_s)
    contains contains_any contains_none   tags
    same_as differs_from             another attribute's path: requester.state differs_from owner.state

A test on an absent value (no case number, an unregistered beneficiary) is false, except
``present: false``. Unknown keys, attributes, operators and malformed values raise
``PolicyError`` naming the field path: a policy that cannot be read never runs.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any

from lookup.policy_model import (
    ATTRIBUTES,
    COMPARABLE_KINDS,
    EFFECTS,
    LAYER_KINDS,
    OPERATORS,
    Approval,
    Attribute,
    Condition,
    Env,
    Limit,
    Policy,
    PolicyError,
    PolicyPack,
    RateLimit,
    Rule,
)
from lookup.requests import ORG_KINDS, Organization

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")
_STATE = re.compile(r"^[A-Z]{2}$")
RATE_PER = ("requester", "user", "requester_owner", "user_owner")


class Parser:
    """Strict readers for plain data; every failure is a PolicyError naming the field."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, path: tuple, message: str) -> PolicyError:
        return PolicyError(self.where, path, message)

    def mapping(self, data: Any, path: tuple, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(data, dict):
            raise self.fail(path, f"expected a mapping, got {_kind(data)}")
        for key in data:
            if not isinstance(key, str):
                raise self.fail(path, f"key {key!r} is not a string")
            if key not in allowed:
                raise self.fail((*path, key), f"unknown key {key!r}{_suggest(key, allowed)}; allowed: {', '.join(sorted(allowed))}")
        for key in sorted(required):
            if key not in data:
                raise self.fail(path, f"missing required key {key!r}")
        return data

    def string(self, data: Any, path: tuple, pattern: re.Pattern | None = None, what: str = "") -> str:
        if not isinstance(data, str) or not data.strip():
            raise self.fail(path, f"expected a non-empty string, got {_kind(data)}")
        if pattern is not None and not pattern.match(data):
            raise self.fail(path, f"{data!r} is not a valid {what} (pattern {pattern.pattern})")
        return data

    def number(self, data: Any, path: tuple, minimum: float = 0.0, strict: bool = False) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
            raise self.fail(path, f"expected a number, got {_kind(data)}")
        if data < minimum or (strict and data == minimum):
            raise self.fail(path, f"{data!r} must be {'>' if strict else '>='} {minimum:g}")
        return data

    # -- conditions --

    def conditions(self, data: Any, path: tuple, static_only: bool = False) -> tuple[Condition, ...]:
        if not isinstance(data, dict):
            raise self.fail(path, f"expected a mapping of conditions, got {_kind(data)}")
        if not data:
            raise self.fail(path, "empty condition mapping (omit it to mean 'always')")
        out: list[Condition] = []
        for key, test in data.items():
            if not isinstance(key, str):
                raise self.fail(path, f"key {key!r} is not a string")
            sub = (*path, key)
            if key in ("all", "any"):
                if not isinstance(test, list) or not test:
                    raise self.fail(sub, f"{key!r} takes a non-empty list of condition mappings")
                parts = tuple(_conjunction(self.conditions(item, (*sub, i), static_only)) for i, item in enumerate(test))
                out.append(_combinator(key, parts))
            elif key == "not":
                out.append(_combinator("not", (_conjunction(self.conditions(test, sub, static_only)),)))
            else:
                out.extend(self.attribute_tests(key, test, sub, static_only))
        return tuple(out)

    def attribute(self, name: str, path: tuple, static_only: bool) -> Attribute:
        attr = ATTRIBUTES.get(name)
        if attr is None:
            raise self.fail(path, f"unknown attribute {name!r}{_suggest(name, ATTRIBUTES)}; known: {', '.join(ATTRIBUTES)}")
        if static_only and not attr.static:
            raise self.fail(path, f"{name!r} depends on the request; a scope may only use requester.*, owner.* and access.via")
        return attr

    def attribute_tests(self, name: str, test: Any, path: tuple, static_only: bool) -> list[Condition]:
        attr = self.attribute(name, path, static_only)
        if isinstance(test, dict):
            if not test:
                raise self.fail(path, "empty operator mapping")
            return [self.operator(attr, op, value, (*path, op), static_only) for op, value in test.items()]
        if isinstance(test, list):
            return [self.operator(attr, "contains_any" if attr.kind == "set" else "in", test, path, static_only)]
        return [self.operator(attr, "contains" if attr.kind == "set" else "eq", test, path, static_only)]

    def scalar(self, attr: Attribute, value: Any, path: tuple) -> Any:
        kind = attr.kind
        if kind == "enum":
            if value not in attr.choices:
                raise self.fail(path, f"{value!r} is not a {attr.path} value; one of {', '.join(attr.choices)}")
            return value
        if kind == "state":
            return self.string(value, path, _STATE, "two-letter upper-case state code (US for federal)")
        if kind == "slug":
            return self.string(value, path, _SLUG, "organization slug")
        if kind == "set":
            return self.string(value, path, _TAG, "tag")
        if kind == "number":
            return self.number(value, path)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(path, f"expected true or false, got {_kind(value)}")
            return value
        return self.string(value, path).strip()

    def values(self, attr: Attribute, value: Any, path: tuple) -> tuple:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"expected a non-empty list, got {_kind(value)}")
        return tuple(self.scalar(attr, item, (*path, i)) for i, item in enumerate(value))

    def operator(self, attr: Attribute, op: str, value: Any, path: tuple, static_only: bool) -> Condition:
        allowed = OPERATORS[attr.kind]
        if op not in allowed:
            raise self.fail(path, f"unknown operator {op!r} for {attr.path} ({attr.kind}); allowed: {', '.join(allowed)}")
        get = attr.get
        owner_fields = frozenset([attr.owner_field] if attr.owner_field else [])
        static = attr.static
        folded = attr.kind == "text"
        network = attr.owner_field is not None or attr.path == "access.via"

        def make(shown_value: Any, test: Callable[[Env], bool]) -> Condition:
            return Condition(attr.path, op, shown_value, static, owner_fields, test, network)
        if op == "present":
            if not isinstance(value, bool):
                raise self.fail(path, f"present takes true or false, got {_kind(value)}")
            if attr.kind == "set":
                test = (lambda env: bool(get(env))) if value else (lambda env: not get(env))
            else:
                test = (lambda env: get(env) is not None) if value else (lambda env: get(env) is None)
            return make(value, test)
        if op in ("eq", "ne"):
            want = self.scalar(attr, value, path)
            if folded:
                want_f = want.casefold()
                if op == "eq":
                    def test(env):
                        v = get(env)
                        return v is not None and v.casefold() == want_f
                else:
                    def test(env):
                        v = get(env)
                        return v is not None and v.casefold() != want_f
            elif op == "eq":
                def test(env):
                    return get(env) == want  # None never equals a validated value
            else:
                def test(env):
                    v = get(env)
                    return v is not None and v != want
            return make(want, test)
        if op in ("in", "not_in"):
            items = self.values(attr, value, path)
            pool = frozenset(i.casefold() for i in items) if folded else frozenset(items)
            norm = (lambda v: v.casefold()) if folded else (lambda v: v)
            if op == "in":
                def test(env):
                    v = get(env)
                    return v is not None and norm(v) in pool
            else:
                def test(env):
                    v = get(env)
                    return v is not None and norm(v) not in pool
            return make(items, test)
        if op in ("keywords", "regex"):
            if op == "keywords":
                items = tuple(self.string(item, (*path, i)).strip() for i, item in enumerate(_as_list(self, value, path)))
                pattern = keyword_pattern(items)
                shown: Any = items
            else:
                shown = self.string(value, path)
                try:
                    pattern = re.compile(shown, re.IGNORECASE)
                except re.error as error:
                    raise self.fail(path, f"bad regular expression {shown!r}: {error}") from None
            search = pattern.search

            def test(env):
                v = get(env)
                return v is not None and search(v) is not None

            return make(shown, test)
        if op in ("gt", "ge", "lt", "le"):
            bound = self.number(value, path)
            compare = {"gt": float.__gt__, "ge": float.__ge__, "lt": float.__lt__, "le": float.__le__}[op]

            def test(env):
                v = get(env)
                return v is not None and compare(float(v), float(bound))

            return make(bound, test)
        if op == "contains":
            tag = self.scalar(attr, value, path)

            def test(env):
                v = get(env)
                return v is not None and tag in v

            return make(tag, test)
        if op in ("contains_any", "contains_none"):
            tags = frozenset(self.values(attr, value, path))
            if op == "contains_any":
                def test(env):
                    v = get(env)
                    return v is not None and not tags.isdisjoint(v)
            else:
                def test(env):
                    v = get(env)
                    return v is not None and tags.isdisjoint(v)
            return make(tuple(sorted(tags)), test)
        # same_as / differs_from
        other = self.attribute(self.string(value, path), path, static_only)
        comparable = (attr.kind in COMPARABLE_KINDS and other.kind in COMPARABLE_KINDS) or attr.kind == other.kind == "number"
        if not comparable:
            raise self.fail(path, f"cannot compare {attr.path} ({attr.kind}) with {other.path} ({other.kind})")
        get_other = other.get
        same = op == "same_as"

        def test(env):
            a, b = get(env), get_other(env)
            if a is None or b is None:
                return False
            if isinstance(a, str):
                return (a.casefold() == b.casefold()) is same
            return (a == b) is same

        pair = {attr.path.split(".")[0]: attr.path.split(".")[1], other.path.split(".")[0]: other.path.split(".")[1]}
        if set(pair) == {"owner", "requester"}:
            # only "owner.X equals requester.Y?" matters: project that, not every owner's value
            owner_fields = frozenset([f"{pair['owner']}=requester.{pair['requester']}"])
        elif other.owner_field:
            owner_fields = owner_fields | {other.owner_field}
        network = network or other.owner_field is not None or other.path == "access.via"
        return Condition(attr.path, op, other.path, static and other.static, owner_fields, test, network)

    # -- rules, policies, packs --

    def rule(self, data: Any, path: tuple) -> Rule:
        self.mapping(data, path, {"id", "when", "unless", "effect", "message", "cite", "approval", "limit"},
                     {"id", "effect"})
        rule_id = self.string(data["id"], (*path, "id"), _SLUG, "rule id")
        effect = data["effect"]
        if effect not in EFFECTS:
            raise self.fail((*path, "effect"), f"unknown effect {effect!r}; one of {', '.join(EFFECTS)}")
        when = self.conditions(data["when"], (*path, "when")) if "when" in data else ()
        if "unless" in data:
            when = (*when, _combinator("not", (_conjunction(self.conditions(data["unless"], (*path, "unless"))),)))
        for extra, needed_for in (("approval", "require_approval"), ("limit", "limit")):
            if extra in data and effect != needed_for:
                raise self.fail((*path, extra), f"{extra!r} is only for effect {needed_for!r}, not {effect!r}")
            if extra not in data and effect == needed_for:
                raise self.fail(path, f"effect {effect!r} needs {extra!r}")
        approval = limit = None
        if effect == "require_approval":
            a_path = (*path, "approval")
            a = self.mapping(data["approval"], a_path, {"delay_s", "probability"}, {"delay_s", "probability"})
            probability = self.number(a["probability"], (*a_path, "probability"), 0.0, strict=True)
            if probability > 1:
                raise self.fail((*a_path, "probability"), f"{probability!r} must be at most 1")
            approval = Approval(float(self.number(a["delay_s"], (*a_path, "delay_s"))), float(probability))
        if effect == "limit":
            limit = self.limit(data["limit"], (*path, "limit"))
        message = self.string(data["message"], (*path, "message")) if "message" in data else ""
        cite = self.string(data["cite"], (*path, "cite")) if "cite" in data else ""
        return Rule(rule_id, effect, when, message, cite, approval, limit)

    def limit(self, data: Any, path: tuple) -> Limit:
        self.mapping(data, path, {"max_window_s", "rate"})
        if not data:
            raise self.fail(path, "a limit needs max_window_s or rate")
        window = None
        if "max_window_s" in data:
            window = float(self.number(data["max_window_s"], (*path, "max_window_s"), 0.0, strict=True))
        rate = None
        if "rate" in data:
            r_path = (*path, "rate")
            r = self.mapping(data["rate"], r_path, {"max", "per_s", "per"}, {"max", "per_s"})
            if isinstance(r["max"], bool) or not isinstance(r["max"], int) or r["max"] < 1:
                raise self.fail((*r_path, "max"), f"expected a whole number >= 1, got {r['max']!r}")
            per = r.get("per", "requester")
            if per not in RATE_PER:
                raise self.fail((*r_path, "per"), f"unknown rate key {per!r}; one of {', '.join(RATE_PER)}")
            rate = RateLimit(r["max"], float(self.number(r["per_s"], (*r_path, "per_s"), 0.0, strict=True)), per)
        return Limit(window, rate)

    def policy(self, data: Any, path: tuple) -> Policy:
        self.mapping(data, path, {"name", "source", "description", "layer", "scope", "default",
                                  "default_message", "rules"}, {"name", "source", "default"})
        name = self.string(data["name"], (*path, "name"), _SLUG, "policy name")
        source = self.string(data["source"], (*path, "source"))
        default = data["default"]
        if default not in ("allow", "deny"):
            raise self.fail((*path, "default"), f"default must be 'allow' or 'deny', got {default!r}")
        layer = data.get("layer", "custom")
        if layer not in LAYER_KINDS:
            raise self.fail((*path, "layer"), f"unknown layer {layer!r}; one of {', '.join(LAYER_KINDS)}")
        scope = self.conditions(data["scope"], (*path, "scope"), static_only=True) if "scope" in data else ()
        rules_data = data.get("rules", [])
        if not isinstance(rules_data, list):
            raise self.fail((*path, "rules"), f"expected a list of rules, got {_kind(rules_data)}")
        rules = tuple(self.rule(item, (*path, "rules", i)) for i, item in enumerate(rules_data))
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            if rule.id in seen or rule.id in ("default", "evaluation-error"):
                raise self.fail((*path, "rules", i, "id"), f"rule id {rule.id!r} is used twice or reserved")
            seen.add(rule.id)
        description = self.string(data["description"], (*path, "description")) if "description" in data else ""
        default_message = (self.string(data["default_message"], (*path, "default_message"))
                           if "default_message" in data else "")
        return Policy(name, source, rules, default, scope, layer, description, default_message)


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _as_list(parser: Parser, value: Any, path: tuple) -> list:
    if not isinstance(value, list) or not value:
        raise parser.fail(path, f"expected a non-empty list of keywords, got {_kind(value)}")
    return value


def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern:
    """Whole-word, case-insensitive alternation; inner spaces match any separator run."""
    alternatives = []
    for word in sorted(set(keywords), key=len, reverse=True):
        pieces = [re.escape(piece) for piece in word.split()]
        alternatives.append(r"[\W_]+".join(pieces))
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])", re.IGNORECASE)


def _conjunction(parts: tuple[Condition, ...]) -> Condition:
    return parts[0] if len(parts) == 1 else _combinator("all", parts)


def _combinator(kind: str, parts: tuple[Condition, ...]) -> Condition:
    static = all(p.static for p in parts)
    owner_fields = frozenset().union(*(p.owner_fields for p in parts))
    tests = tuple(p.test for p in parts)
    if kind == "all":
        def test(env):
            return all(t(env) for t in tests)
        value: Any = parts
    elif kind == "any":
        def test(env):
            return any(t(env) for t in tests)
        value = parts
    else:
        inner = tests[0]

        def test(env):
            return not inner(env)
        value = parts[0]
    return Condition(kind, kind, value, static, owner_fields, test, any(p.network for p in parts))


def parse_policy(data: Any, where: str, path: tuple = ()) -> Policy:
    return Parser(where).policy(data, path)


def parse_pack(data: Any, where: str, include: Callable[[str, str, tuple], PolicyPack],
               path: tuple = ()) -> PolicyPack:
    """A pack: ``name``, ``source``, ``description``, ``layers`` (each ``{include: NAME}``
    or ``{policy: {...}}``). Packs only decide: who shares with whom is the scenario's."""
    parser = Parser(where)
    if isinstance(data, dict) and "sharing" in data:
        raise parser.fail((*path, "sharing"), "a pack only decides; who shares with whom is the scenario's "
                          "`sharing:` section (state_share, national_lookup, shares)")
    parser.mapping(data, path, {"name", "source", "description", "layers"}, {"name", "source", "layers"})
    name = parser.string(data["name"], (*path, "name"), _SLUG, "pack name")
    source = parser.string(data["source"], (*path, "source"))
    description = parser.string(data["description"], (*path, "description")) if "description" in data else ""
    layers_data = data["layers"]
    if not isinstance(layers_data, list) or not layers_data:
        raise parser.fail((*path, "layers"), f"expected a non-empty list of layers, got {_kind(layers_data)}")
    layers: list[Policy] = []
    for i, item in enumerate(layers_data):
        l_path = (*path, "layers", i)
        parser.mapping(item, l_path, {"include", "policy"})
        if len(item) != 1:
            raise parser.fail(l_path, "a layer is either {include: NAME} or {policy: {...}}")
        if "include" in item:
            included = include(parser.string(item["include"], (*l_path, "include")), where, (*l_path, "include"))
            new = list(included.layers)
        else:
            new = [parser.policy(item["policy"], (*l_path, "policy"))]
        for policy in new:
            same = [p for p in layers if p.name == policy.name]
            if same and same[0] != policy:
                raise parser.fail(l_path, f"two different layers are named {policy.name!r}")
            if not same:
                layers.append(policy)
    return PolicyPack(name, source, tuple(layers), description)


def parse_document(data: Any, where: str, include: Callable[[str, str, tuple], PolicyPack]) -> PolicyPack:
    """A policy file: ``{pack: {...}}`` or ``{policy: {...}}`` (a one-layer pack)."""
    parser = Parser(where)
    parser.mapping(data, (), {"pack", "policy"})
    if len(data) != 1:
        raise parser.fail((), "a policy file holds exactly one of 'pack:' or 'policy:'")
    if "pack" in data:
        return parse_pack(data["pack"], where, include, ("pack",))
    policy = parse_policy(data["policy"], where, ("policy",))
    return PolicyPack(policy.name, policy.source, (policy,), policy.description)


def org_from_dict(data: Any, where: str, path: tuple, slug: str | None = None) -> Organization:
    """A registered organization from plain data (test files, scenarios)."""
    parser = Parser(where)
    parser.mapping(data, path, {"slug", "name", "kind", "state", "tags"}, {"kind", "state"} | (set() if slug else {"slug"}))
    slug = parser.string(data.get("slug", slug), (*path, "slug"), _SLUG, "organization slug")
    kind = data["kind"]
    if kind not in ORG_KINDS:
        raise parser.fail((*path, "kind"), f"{kind!r} is not an organization kind; one of {', '.join(ORG_KINDS)}")
    state = parser.string(data["state"], (*path, "state"), _STATE, "two-letter upper-case state code (US for federal)")
    tags_data = data.get("tags", [])
    if not isinstance(tags_data, list):
        raise parser.fail((*path, "tags"), f"expected a list of tags, got {_kind(tags_data)}")
    tags = frozenset(parser.string(t, (*path, "tags", i), _TAG, "tag") for i, t in enumerate(tags_data))
    name = parser.string(data["name"], (*path, "name")) if "name" in data else slug
    return Organization(slug, name, kind, state, tags)
