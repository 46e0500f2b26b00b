"""Policy files: YAML -> ``lookup.policy`` objects, with errors naming file, line and field.

A file holds ``pack:`` (named layers, see ``lookup.policy_syntax.parse_pack``) or
``policy:`` (one policy, loaded as a one-layer pack). ``load_pack`` takes a built-in pack
name (``scenarios/builtin/policies/NAME.yaml``) or a path. ``{include: NAME}`` layers
name a built-in pack or a path relative to the including file.

A policy test file (``policies test FILE``) lists requests and the expected decisions::

    pack: ca-sb34                 # built-in name, or a path relative to the test file
    owner_policies:               # optional: each owner's own policy (appended last)
      oakland-ca-pd: {name: oakland-own, source: "...", default: allow}
    orgs:                         # registered organizations the cases name
      chp: {name: California Highway Patrol, kind: state, state: CA}
    cases:
      - name: CHP "ICE case" search of Oakland
        requester: chp            # a slug from orgs, or an inline {slug, kind, state, tags}
        owner: oakland-ca-pd
        via: share                # optional: own (default when requester is owner) | share | state | national_lookup
        request: {reason: ICE case, case_number: "25-0042", offense_type: ..., on_behalf_of: ...,
                  search_type: plate, window_s: 86400, user: officer}
        expect: deny              # allow | deny | require_approval | rate_limited
        rule: ca-sb54/sb54-immigration   # optional: "policy/rule" or just "rule"
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lookup.policy import DECISION_EFFECTS, VIA, Context, Decision, PolicyError, PolicyPack, decide
from lookup.policy_syntax import Parser, org_from_dict, parse_document, parse_policy
from lookup.requests import SEARCH_TYPES, Organization, ReadQuery, SearchRequest
from scenarios.yaml_input import YamlInputError, load_yaml_file

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin" / "policies"
TESTS_DIR = BUILTIN_DIR / "tests"


def builtin_pack_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def load_yaml(path: Path) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML; also map each field path to its line. Duplicate keys are errors."""
    where = str(path)
    try:
        data, node = load_yaml_file(path)
    except YamlInputError as error:
        raise PolicyError(where, (), error.message, error.line) from None
    lines: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple, active: frozenset) -> None:
        lines.setdefault(path, n.start_mark.line + 1)
        if id(n) in active:
            return
        active = active | {id(n)}
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in n.value:
                key = key_node.value
                if key in seen:
                    raise PolicyError(where, path, f"key {key!r} appears twice", key_node.start_mark.line + 1)
                seen.add(key)
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key), active)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i), active)

    if node is not None:
        walk(node, (), frozenset())
    return data, lines


def line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of a field path (or of its nearest ancestor) in ``load_yaml``'s map.

    For policies embedded in other YAML (a scenario's agencies), parse with
    ``policy_from_dict(data, file, path=(...))`` and on PolicyError re-raise
    ``error.with_line(line_for(lines, error.path))``.
    """
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


class _Loader:
    """Loads files and includes, with cycle detection and a memo per load."""

    def __init__(self) -> None:
        self.stack: list[Path] = []
        self.memo: dict[Path, PolicyPack] = {}

    def resolve(self, name: str, base: Path | None) -> Path | None:
        """A built-in pack name, else a path (relative to ``base`` when given)."""
        if "/" not in name and not name.endswith((".yaml", ".yml")) and (BUILTIN_DIR / f"{name}.yaml").is_file():
            return BUILTIN_DIR / f"{name}.yaml"
        candidate = Path(name) if base is None else base / name
        return candidate.resolve() if candidate.is_file() else None

    def load(self, path: Path) -> PolicyPack:
        path = path.resolve()
        if path in self.memo:
            return self.memo[path]
        if path in self.stack:
            chain = " -> ".join(p.name for p in (*self.stack, path))
            raise PolicyError(str(path), (), f"include cycle: {chain}")
        self.stack.append(path)
        try:
            data, lines = load_yaml(path)

            def include(name: str, where: str, field_path: tuple) -> PolicyPack:
                target = self.resolve(name, path.parent)
                if target is None:
                    raise PolicyError(where, field_path, f"cannot include {name!r}: not a built-in pack "
                                      f"({', '.join(builtin_pack_names())}) nor a file", line_for(lines, field_path))
                return self.load(target)

            try:
                pack = parse_document(data, str(path), include)
            except PolicyError as error:
                if error.line is None and error.where == str(path):
                    raise error.with_line(line_for(lines, error.path)) from None
                raise
        finally:
            self.stack.pop()
        self.memo[path] = pack
        return pack


def load_pack(name_or_path: str | Path) -> PolicyPack:
    """A built-in pack by name, or a policy/pack YAML file by path."""
    loader = _Loader()
    path = loader.resolve(str(name_or_path), None)
    if path is None:
        raise PolicyError(str(name_or_path), (), f"no such policy pack or file; built-in packs: "
                          f"{', '.join(builtin_pack_names())}")
    return loader.load(path)


# --- policy test files ---------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCase:
    name: str
    requester: Organization
    owner: Organization
    via: str
    request: SearchRequest
    expect: str
    rule: str | None
    line: int | None


@dataclass(frozen=True)
class CaseResult:
    case: PolicyCase
    decision: Decision

    @property
    def ok(self) -> bool:
        if self.decision.effect != self.case.expect:
            return False
        rule = self.case.rule
        return rule is None or rule in (self.decision.rule_ref, self.decision.rule)


@dataclass(frozen=True)
class PolicyTestFile:
    path: Path
    pack: PolicyPack
    owner_policies: dict
    orgs: dict[str, Organization]
    cases: tuple[PolicyCase, ...]

    def lookup_org(self, text: str) -> Organization | None:
        key = text.strip().casefold()
        for org in self.orgs.values():
            if key in (org.slug.casefold(), org.name.casefold()):
                return org
        return None


_REQUEST_KEYS = {"reason", "offense_type", "case_number", "on_behalf_of", "search_type", "window_s", "user",
                 "plate", "now_s"}


def load_policy_tests(path: str | Path) -> PolicyTestFile:
    path = Path(path).resolve()
    data, lines = load_yaml(path)
    where = str(path)
    p = Parser(where)
    try:
        p.mapping(data, (), {"pack", "owner_policies", "orgs", "cases"}, {"pack", "cases"})
        pack_name = p.string(data["pack"], ("pack",))
        loader = _Loader()
        target = loader.resolve(pack_name, path.parent)
        if target is None:
            raise p.fail(("pack",), f"no such policy pack or file {pack_name!r}")
        pack = loader.load(target)
        orgs = {slug: org_from_dict(spec, where, ("orgs", slug), slug=slug)
                for slug, spec in _any_mapping(p, data.get("orgs", {}), ("orgs",)).items()}
        owners = {slug: parse_policy(spec, where, ("owner_policies", slug))
                  for slug, spec in _any_mapping(p, data.get("owner_policies", {}), ("owner_policies",)).items()}
        if not isinstance(data["cases"], list) or not data["cases"]:
            raise p.fail(("cases",), "expected a non-empty list of cases")
        cases = tuple(_case(p, item, ("cases", i), orgs, lines) for i, item in enumerate(data["cases"]))
    except PolicyError as error:
        if error.line is None and error.where == where:
            raise error.with_line(line_for(lines, error.path)) from None
        raise
    return PolicyTestFile(path, pack, owners, orgs, cases)


def _any_mapping(p: Parser, data: Any, path: tuple) -> dict:
    if not isinstance(data, dict):
        raise p.fail(path, f"expected a mapping, got {type(data).__name__}")
    return data


def _org(p: Parser, value: Any, path: tuple, orgs: dict[str, Organization]) -> Organization:
    if isinstance(value, str):
        if value not in orgs:
            raise p.fail(path, f"unknown organization {value!r}; listed under orgs: {', '.join(orgs) or 'none'}")
        return orgs[value]
    return org_from_dict(value, p.where, path)


def _case(p: Parser, data: Any, path: tuple, orgs: dict[str, Organization], lines: dict) -> PolicyCase:
    p.mapping(data, path, {"name", "requester", "owner", "via", "request", "expect", "rule"},
              {"requester", "owner", "request", "expect"})
    requester = _org(p, data["requester"], (*path, "requester"), orgs)
    owner = _org(p, data["owner"], (*path, "owner"), orgs)
    via = data.get("via", "own" if requester.slug == owner.slug else "share")
    if via not in VIA:
        raise p.fail((*path, "via"), f"unknown access path {via!r}; one of {', '.join(VIA)}")
    expect = data["expect"]
    if expect not in DECISION_EFFECTS:
        raise p.fail((*path, "expect"), f"unknown decision {expect!r}; one of {', '.join(DECISION_EFFECTS)}")
    r_path = (*path, "request")
    r = p.mapping(data["request"], r_path, _REQUEST_KEYS)
    text = {}
    for key in ("reason", "offense_type", "case_number", "on_behalf_of", "user", "plate"):
        value = r.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise p.fail((*r_path, key), f"expected text, got {type(value).__name__}")
        text[key] = None if value is None else str(value)
    search_type = r.get("search_type", "plate")
    if search_type not in SEARCH_TYPES:
        raise p.fail((*r_path, "search_type"), f"unknown search type {search_type!r}; one of {', '.join(SEARCH_TYPES)}")
    now_s = int(p.number(r.get("now_s", 30 * 86400), (*r_path, "now_s")))
    window = r.get("window_s", 86400)
    query = ReadQuery(plate=text["plate"] or "7ABC123")
    if window is not None:
        window = int(p.number(window, (*r_path, "window_s")))
        query = ReadQuery(plate=query.plate, start_s=now_s - window, end_s=now_s)
    name = data.get("name") or f"case {path[-1]}"
    request = SearchRequest(request_id=f"case-{path[-1]}", org=requester.slug, user=text["user"] or "officer",
                            time_s=now_s, reason=text["reason"] or "", search_type=search_type, query=query,
                            offense_type=text["offense_type"], case_number=text["case_number"],
                            on_behalf_of=text["on_behalf_of"])
    rule = p.string(data["rule"], (*path, "rule")) if "rule" in data else None
    return PolicyCase(str(name), requester, owner, via, request, expect, rule, line_for(lines, path))


def run_policy_tests(tests: PolicyTestFile) -> list[CaseResult]:
    results = []
    for case in tests.cases:
        layers = tests.pack.layers_for(tests.owner_policies.get(case.owner.slug))
        context = Context(now_s=case.request.time_s, lookup_org=tests.lookup_org)
        decision = decide(case.request, case.requester, case.owner, layers, context, case.via)
        results.append(CaseResult(case, decision))
    return results
