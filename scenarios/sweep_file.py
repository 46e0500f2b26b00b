"""Sweep files: YAML validated with pydantic at this edge, then the design's points.

A sweep varies scenario fields by dotted path (``owners[oakland-ca-pd].cameras``: list
items by slug) over a grid or a SALib sample, runs each point under several policies
and seeds, and reads outputs from each run's report by dotted path. Every error names
the sweep file, the line and the bad path or value, before anything runs.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import itertools
import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scenarios.experiment import load_policy, own_policies
from scenarios.files import (
    ScenarioError,
    ScenarioModel,
    _format_errors,
    _line_map,
    builtin_names,
    builtin_text,
    to_spec,
)
from scenarios.spec import ScenarioSpec
from scenarios.yaml_input import YamlInputError, load_yaml_file


class SweepError(ValueError):
    """A sweep that cannot run: the message names the file, line and field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkedValues(_Model):
    """Several paths that take each value together (e.g. both cities' cameras)."""

    paths: list[str] = Field(min_length=1)
    values: list[Any] = Field(min_length=1, description="the values every path takes together")


class LinkedRange(_Model):
    paths: list[str] = Field(min_length=1)
    range: tuple[float, float]
    integer: bool | None = Field(None, description="round sampled values (default: from the field's type)")


class SampleModel(_Model):
    method: Literal["lhs", "sobol", "morris"]
    n: int = Field(ge=1, le=100_000, description="lhs: points; sobol: base samples (N(D+2) points); "
                                               "morris: trajectories (N(D+1) points)")
    ranges: dict[str, tuple[float, float] | LinkedRange] = Field(min_length=1)
    num_levels: int = Field(4, ge=2, le=64, description="morris grid levels")
    bootstrap: int = Field(200, ge=10, le=10_000, description="resamples for sobol/morris intervals")


class FrontierModel(_Model):
    x: str = Field(description="legitimate cost output (an output of this sweep)")
    y: str = Field(description="leakage output (an output of this sweep)")


class SweepModel(_Model):
    scenario: str = Field(description="a built-in scenario name or a scenario file (relative to this file)")
    days: float | None = Field(None, gt=0, le=366)
    replications: int = Field(3, ge=1, le=1000, description="seeds root, root+1, ...")
    seed: int = Field(1, ge=0, lt=2**62)
    policies: list[str] = Field(default_factory=list, description="policy packs or files (default: the scenario's)")
    set: dict[str, Any] = Field(default_factory=dict, description="path -> value, at every point, before the design")
    grid: dict[str, list[Any] | LinkedValues] | None = None
    sample: SampleModel | None = None
    outputs: list[str] = Field(min_length=1, description="dotted paths into report.json; 'a / b' for a ratio")
    frontier: FrontierModel | None = None

@dataclass(frozen=True)
class Parameter:
    """One varied dimension: a label and the paths that take its value."""

    label: str
    paths: tuple[str, ...]
    integer: bool = False


@dataclass(frozen=True)
class Sweep:
    source: str
    model: SweepModel
    base: dict  # the scenario mapping before overrides
    scenario_source: str
    scenario_base_dir: str
    policies: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    points: tuple[dict[str, Any], ...]  # path -> value, in design order
    samples: np.ndarray | None  # the SALib sample matrix (sobol/morris analysis reads it)
    lines: dict[tuple, int]

    def line(self, *path) -> str:
        """``file:line`` of a field of the sweep file."""
        line = next((self.lines[path[:k]] for k in range(len(path), -1, -1) if path[:k] in self.lines), None)
        return f"{self.source}:{line}" if line else self.source

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.model.outputs)

    def resolved(self, point: dict[str, Any], seed: int) -> dict:
        """The scenario mapping of one run: the point's overrides, days and seed applied."""
        data = copy.deepcopy(self.base)
        for path, value in [*self.model.set.items(), *point.items()]:
            set_path(data, path, value)
        if self.model.days is not None:
            data["days"] = self.model.days
        data["seed"] = seed
        return data


_SEGMENT = re.compile(r"^([A-Za-z_][\w-]*)(?:\[([^\]]+)\])?$")


def parse_path(path: str) -> list[tuple[str, str | None]]:
    """``owners[oakland-ca-pd].cameras`` -> [("owners", "oakland-ca-pd"), ("cameras", None)]."""
    out = []
    for seg in path.split("."):
        m = _SEGMENT.match(seg.strip())
        if not m:
            raise KeyError(f"{seg!r} is not a field name (or name[slug])")
        out.append((m.group(1), m.group(2)))
    return out


def _item(items: list, selector: str, where: str) -> dict:
    for key in ("slug", "id", "name"):
        for item in items:
            if isinstance(item, dict) and item.get(key) == selector:
                return item
    if selector.isdigit() and int(selector) < len(items):
        return items[int(selector)]
    slugs = [str(i.get("slug") or i.get("id")) for i in items if isinstance(i, dict)]
    raise KeyError(f"{where}[{selector}]: no item with that slug (items: {', '.join(slugs)})")


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a field of a raw scenario mapping; missing mappings on the way are created."""
    node: Any = data
    segments = parse_path(path)
    for i, (name, selector) in enumerate(segments):
        last = i == len(segments) - 1
        if not isinstance(node, dict):
            raise KeyError(f"{'.'.join(s for s, _ in segments[:i])}: not a mapping")
        if selector is not None:
            items = node.get(name)
            if not isinstance(items, list):
                raise KeyError(f"{name}: not a list of items addressed by slug")
            node = _item(items, selector, name)
            if last:
                raise KeyError(f"{name}[{selector}]: name a field of the item (e.g. .cameras)")
        elif last:
            node[name] = copy.deepcopy(value)
        else:
            child = node.get(name)
            if child is None:
                child = node[name] = {}
            node = child


def get_path(data: dict, path: str) -> Any:
    node: Any = data
    for name, selector in parse_path(path):
        if not isinstance(node, dict):
            return None
        node = node.get(name)
        if selector is not None:
            node = _item(node or [], selector, name)
    return node


def _unwrap(annotation) -> Any:
    """The model class (or dict/list/scalar) inside Optional[...] and list[...]."""
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if args else None
    return annotation


def check_path(path: str) -> None:
    """Raise KeyError naming the first unknown field, with close matches."""
    model: Any = ScenarioModel
    for name, selector in parse_path(path):
        if isinstance(model, type) and issubclass(model, BaseModel):
            fields = model.model_fields
            if name not in fields:
                close = difflib.get_close_matches(name, list(fields), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else f"; fields: {', '.join(fields)}"
                raise KeyError(f"{name!r} is not a scenario field here{hint}")
            annotation = fields[name].annotation
            if selector is not None and typing.get_origin(_strip_optional(annotation)) is not list:
                raise KeyError(f"{name}[{selector}]: {name} is not a list")
            model = _unwrap(annotation)
        else:
            model = None


def _strip_optional(annotation):
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def is_integer_field(path: str, base: dict) -> bool:
    """Whether sampled values must be rounded: an int field, or an int where it is now."""
    model: Any = ScenarioModel
    annotation = None
    for name, _ in parse_path(path):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            annotation = None
            break
        annotation = _strip_optional(model.model_fields[name].annotation)
        model = _unwrap(annotation)
    if annotation is int:
        return True
    current = get_path(base, path)
    return isinstance(current, int) and not isinstance(current, bool)


def spec_from_mapping(data: dict, source: str, base_dir: str) -> ScenarioSpec:
    """A resolved scenario mapping -> ``ScenarioSpec``, checked as a run would check it."""
    try:
        model = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source, {})) from None
    spec = to_spec(model, source, base_dir)
    own_policies(spec)
    return spec


def run_key(resolved: dict, policy: str) -> str:
    """The resume key: a hash of the run's resolved scenario (seed and days included) and policy."""
    blob = json.dumps({"scenario": resolved, "policy": policy}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _scenario(name: str, sweep_dir: Path) -> tuple[dict, str, str]:
    path = sweep_dir / name
    if name.endswith((".yaml", ".yml")) or path.exists():
        if not path.exists():
            path = Path(name)
        source, base_dir = str(path), str(path.resolve().parent)
        try:
            data, root = load_yaml_file(path)
        except YamlInputError as exc:
            raise KeyError(str(exc)) from None
        if isinstance(data, dict):
            try:  # the scenario as it stands, before any point changes it: its own file and line
                ScenarioModel.model_validate(data)
            except ValidationError as exc:
                raise KeyError(_format_errors(exc, str(path), _line_map(root))) from None
    else:
        if name not in builtin_names():
            raise KeyError(f"no built-in scenario {name!r}; built-in: {', '.join(builtin_names())}")
        source, base_dir = f"<built-in {name}>", "."
        data = yaml.safe_load(builtin_text(name))
    if not isinstance(data, dict):
        raise KeyError(f"{source}: a scenario file is a mapping of fields")
    return data, source, base_dir


def _parameters(model: SweepModel, base: dict) -> list[Parameter]:
    params = []
    for label, spec in (model.grid or {}).items():
        paths = tuple(spec.paths) if isinstance(spec, LinkedValues) else (label,)
        params.append(Parameter(label, paths))
    for label, spec in (model.sample.ranges.items() if model.sample else ()):
        paths = tuple(spec.paths) if isinstance(spec, LinkedRange) else (label,)
        integer = spec.integer if isinstance(spec, LinkedRange) and spec.integer is not None else \
            is_integer_field(paths[0], base)
        params.append(Parameter(label, paths, integer))
    return params


def design(model: SweepModel, params: list[Parameter]) -> tuple[list[dict], np.ndarray | None]:
    """Every point of the design (path -> value) and, for samples, the SALib matrix."""
    if model.grid is not None:
        axes = [v.values if isinstance(v, LinkedValues) else v for v in model.grid.values()]
        points = []
        for combo in itertools.product(*axes):
            points.append({path: value for p, value in zip(params, combo, strict=True) for path in p.paths})
        return points, None
    if model.sample is None:
        return [{}], None
    from SALib import ProblemSpec
    s = model.sample
    bounds = [list(r.range if isinstance(r, LinkedRange) else r) for r in s.ranges.values()]
    problem = ProblemSpec({"names": [p.label for p in params], "bounds": bounds})
    if s.method == "lhs":
        problem.sample_latin(s.n, seed=model.seed)
    elif s.method == "sobol":
        problem.sample_sobol(s.n, calc_second_order=False, seed=model.seed)
    else:
        problem.sample_morris(s.n, num_levels=s.num_levels, seed=model.seed)
    samples = np.asarray(problem.samples, dtype=np.float64)
    points = []
    for row in samples:
        point = {}
        for p, x in zip(params, row, strict=True):
            value = int(round(float(x))) if p.integer else float(x)
            point.update(dict.fromkeys(p.paths, value))
        points.append(point)
    return points, samples


def load_sweep(path: str | Path, days: float | None = None, replications: int | None = None) -> Sweep:
    """Parse and check a sweep file; every point's scenario is validated before anything runs.

    ``days`` and ``replications`` override the file's (the command line's options).
    """
    path = Path(path)
    source = str(path)
    try:
        data, root = load_yaml_file(path)  # size, encoding, nesting and alias bounds, as scenario files
    except YamlInputError as exc:
        raise SweepError(str(exc)) from None
    if not isinstance(data, dict):
        raise SweepError(f"{source}: a sweep file is a mapping (scenario, policies, grid or sample, outputs)")
    lines = _line_map(root)
    if "grid" in data and not data["grid"]:
        raise SweepError(f"{source}:{lines.get(('grid',), '?')}: grid: empty; name at least one path with its values")
    if days is not None and not 0 < days <= 366:
        raise SweepError(f"--days: {days:g} must be above 0 and at most 366")
    if replications is not None and not 1 <= replications <= 1000:
        raise SweepError(f"--replications: {replications} must be between 1 and 1000")
    data.update({k: v for k, v in (("days", days), ("replications", replications)) if v is not None})
    try:
        model = SweepModel.model_validate(data)
    except ValidationError as exc:
        raise SweepError(_format_errors(exc, source, lines)) from None
    sweep = Sweep(source, model, {}, "", ".", (), (), (), None, lines)
    _check_design(sweep)
    try:
        base, scenario_source, scenario_dir = _scenario(model.scenario, path.parent)
    except KeyError as exc:
        raise SweepError(f"{sweep.line('scenario')}: scenario: {exc.args[0]}") from None
    params = _parameters_checked(sweep, model, base)
    points, samples = design(model, params)
    policies = tuple(_policy_name(p, path.parent) for p in model.policies) or (base.get("policy"),)
    if policies == (None,):
        raise SweepError(f"{sweep.line('policies')}: policies: none given and the scenario names no policy")
    sweep = dataclasses.replace(sweep, base=base, scenario_source=scenario_source, scenario_base_dir=scenario_dir,
                                policies=policies, parameters=tuple(params), points=tuple(points),
                                samples=samples)
    _check_points(sweep)
    _check_outputs(sweep)
    return sweep


def _check_design(sweep: Sweep) -> None:
    m = sweep.model
    if m.grid is not None and m.sample is not None:
        raise SweepError(f"{sweep.line('sample')}: sample: give either grid (every combination) or sample "
                         "(a design), not both")
    if m.grid is not None and not m.grid:
        raise SweepError(f"{sweep.line('grid')}: grid: empty; name at least one path with its values")
    for label, values in (m.grid or {}).items():
        if isinstance(values, list) and not values:
            raise SweepError(f"{sweep.line('grid', label)}: grid.{label}: no values")
    for label, rng in (m.sample.ranges.items() if m.sample else ()):
        lo, hi = rng.range if isinstance(rng, LinkedRange) else rng
        if not lo < hi:
            raise SweepError(f"{sweep.line('sample', 'ranges', label)}: sample.ranges.{label}: range "
                             f"[{lo:g}, {hi:g}]: lo must be below hi")


def _policy_name(name: str, sweep_dir: Path) -> str:
    """A policy file named relative to the sweep file becomes absolute; packs stay names."""
    path = sweep_dir / name
    return str(path.resolve()) if name.endswith((".yaml", ".yml")) and path.exists() else name


def _parameters_checked(sweep: Sweep, model: SweepModel, base: dict) -> list[Parameter]:
    for path in model.set:
        try:
            check_path(path)
            set_path(copy.deepcopy(base), path, 0)
        except KeyError as exc:
            raise SweepError(f"{sweep.line('set', path)}: set.{path}: {exc.args[0]}") from None
    section = "grid" if model.grid is not None else "sample"
    keys = list((model.grid or {}).items()) + list(model.sample.ranges.items() if model.sample else [])
    for label, spec in keys:
        paths = spec.paths if isinstance(spec, LinkedValues | LinkedRange) else [label]
        for p in paths:
            try:
                check_path(p)
                set_path(copy.deepcopy(base), p, 0)
            except KeyError as exc:
                where = sweep.line(section, *(("ranges",) if section == "sample" else ()), label)
                inner = f"{p}: " if p != label else ""
                raise SweepError(f"{where}: {section}.{label}: {inner}{exc.args[0]}") from None
    return _parameters(model, base)


def _check_points(sweep: Sweep) -> None:
    """Every point's scenario through the scenario's own model, and every policy, before any run."""
    section = "grid" if sweep.model.grid is not None else "sample"
    seen = set()
    for point in sweep.points:
        frozen = json.dumps(point, sort_keys=True, default=str)
        if frozen in seen:
            continue
        seen.add(frozen)
        resolved = sweep.resolved(point, sweep.model.seed)
        try:
            spec = spec_from_mapping(resolved, sweep.scenario_source, sweep.scenario_base_dir)
        except ScenarioError as exc:
            param = next((p for p in sweep.parameters if any(_mentions(str(exc), q) for q in p.paths)),
                         sweep.parameters[0] if sweep.parameters else None)
            if param is None or not any(_mentions(str(exc), q) for q in param.paths):
                fixed = next((q for q in sweep.model.set if _mentions(str(exc), q)), None)
                if fixed is not None:
                    raise SweepError(f"{sweep.line('set', fixed)}: set.{fixed}: {_strip_source(str(exc))}") from None
            if param is None:
                raise SweepError(f"{sweep.line('scenario')}: scenario: {exc}") from None
            where = sweep.line(section, *(("ranges",) if section == "sample" else ()), param.label)
            values = ", ".join(f"{q} = {point[q]!r}" for q in param.paths)
            raise SweepError(f"{where}: {section}.{param.label}: {values}: {_strip_source(str(exc))}") from None
        if len(seen) == 1:  # a policy resolves against the scenario's folder, the same at every point
            for i, name in enumerate(sweep.policies):
                try:
                    load_policy(name, spec)
                except ScenarioError as exc:
                    raise SweepError(f"{sweep.line('policies', i)}: policies: {exc}") from None


def _mentions(message: str, path: str) -> bool:
    tail = [name for name, _ in parse_path(path)][-1]
    return tail in message


def _strip_source(message: str) -> str:
    return re.sub(r"^[^:]*?(:\d+)?: ", "", message, count=1)


def _check_outputs(sweep: Sweep) -> None:
    frontier = sweep.model.frontier
    for axis in ("x", "y"):
        name = getattr(frontier, axis) if frontier else None
        if name is not None and name not in sweep.outputs:
            raise SweepError(f"{sweep.line('frontier', axis)}: frontier.{axis}: {name!r} is not one of the "
                             f"outputs ({', '.join(sweep.outputs)})")
    for i, out in enumerate(sweep.outputs):
        for part in out.split("/"):
            try:
                parse_path(part.strip())
            except KeyError as exc:
                raise SweepError(f"{sweep.line('outputs', i)}: outputs: {out!r}: {exc.args[0]}") from None
