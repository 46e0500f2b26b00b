"""Scenario files: YAML, validated with pydantic at this edge, returned as ``ScenarioSpec``.

Errors name the file, the line, the field path and the bad value; nothing here raises a
bare traceback at a user.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cameras.capture import CaptureSpec
from scenarios.agency_files import AgenciesModel, check_names, interest_from, registry_from
from scenarios.spec import CamerasSpec, ExtraCamera, NetworkSpec, OwnerSpec, ScenarioSpec
from scenarios.yaml_input import YamlInputError, compose_yaml, construct_yaml, read_yaml_text
from sim.population import PopulationSpec, RegionCount, ThroughFlow

BUILTIN_DIR = "builtin"
DEFAULT_SCENARIO = "bay-area"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class OwnerModel(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="identifier, e.g. oakland-ca-pd")
    name: str
    kind: Literal["local", "sheriff", "state", "fusion", "federal", "out_of_state", "private"] = "local"
    state: str = Field("CA", pattern=r"^[A-Z]{2}$")
    jurisdiction: str | None = Field(None, description="road jurisdiction the owner polices")
    cameras: int = Field(0, ge=0, le=100_000, description="synthetic cameras (without a locations file)")
    retention_days: float = Field(30.0, gt=0, le=3650, description="Flock default 30 (FACTS.md)")
    reads_per_camera_per_day: float | None = Field(None, gt=0, le=100_000)
    calibrates: str | None = Field(None, description="home region whose population this owner's target sizes")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    city_size_m: float | None = Field(None, ge=500, le=50_000, description="synthetic city width")
    policy: str | None = Field(None, description="the owner's own policy: a policy file (relative to this file) or pack")


class ExtraCameraModel(_Model):
    id: str
    owner: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    direction_deg: float | None = Field(None, ge=0, lt=360)


class CaptureModel(_Model):
    p_capture_day: float = Field(0.97, ge=0, le=1)
    p_capture_night: float = Field(0.92, ge=0, le=1)
    fast_speed_mps: float = Field(25.0, gt=0)
    capture_loss_per_mps: float = Field(0.01, ge=0, le=1)
    make_error: float = Field(0.06, ge=0, le=1)
    colour_error: float = Field(0.10, ge=0, le=1)
    body_error: float = Field(0.04, ge=0, le=1)


class CamerasModel(_Model):
    locations: str | None = Field(None, description="OpenStreetMap ALPR points (GeoJSON), relative to the file")
    max_snap_m: float = Field(150.0, gt=0, le=5000)
    operator_owners: dict[str, str] = Field(default_factory=dict, description="OSM operator name -> owner slug")
    street_cameras_feed_city: list[str] = Field(default_factory=list)
    extra: list[ExtraCameraModel] = Field(default_factory=list)
    capture: CaptureModel = CaptureModel()
    misread_model: str = "default"


class NetworkModel(_Model):
    builtin: Literal["bay-area", "cities"] | None = "bay-area"
    geojson: str | None = None
    street_spacing_m: float | None = Field(None, ge=100, le=2000)


class RegionCountModel(_Model):
    vehicles: int = Field(ge=0, le=50_000_000, description="vehicles living in the region (a count)")
    source: str = Field("", description="where the figure comes from (or 'assumption')")


class ThroughFlowModel(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str = Field(alias="from", description="gate the flow enters at (a highway end)")
    to: str = Field(description="gate it leaves at")
    vehicles_per_day: float = Field(gt=0, le=2_000_000, description="crossings a day, both ways")
    source: str = ""


class PopulationModel(_Model):
    regions: dict[str, RegionCountModel] = Field(
        default_factory=dict, description="vehicles per home region, with sources (empty: calibrated to the owners)")
    through: list[ThroughFlowModel] = Field(default_factory=list, description="through traffic between gates")
    bridge_vehicles_per_day: float | None = Field(
        None, gt=0, le=5_000_000, description="counted daily volume over the bridge, both ways (fits bridge_penalty_s)")
    bridge_source: str = ""
    bridge_penalty_s: float | None = Field(None, ge=0, le=86_400, description="extra impedance across a bridge")
    commuter_share: float = Field(0.55, ge=0, le=1)
    commute_skip_share: float = Field(0.12, ge=0, le=1)
    other_trips_per_day: float = Field(0.9, ge=0, le=20, description="non-work tours per vehicle per day")
    through_trips_per_day: float = Field(0.6, ge=0, le=20, description="non-work tours of suburban vehicles")
    places_per_vehicle: int = Field(3, ge=1, le=6)
    chained_stop_share: float = Field(0.3, ge=0, le=1)
    heavy_share: float = Field(0.02, ge=0, le=0.5, description="fleet and ride-hail vehicles")
    heavy_trips_per_day: float = Field(14.0, ge=0, le=60)
    night_worker_share: float = Field(0.1, ge=0, le=1)
    trip_time_scale_s: float = Field(900.0, gt=0, le=86_400)
    through_trip_time_scale_s: float = Field(3600.0, gt=0, le=86_400)
    out_of_state_plate_share: float = Field(0.04, ge=0, le=1)
    through_out_of_state_plate_share: float = Field(0.10, ge=0, le=1)


class SharingModel(_Model):
    state_share: list[str] | None = Field(None, description="owners sharing with every agency of their state")
    shares: list[tuple[str, str]] = Field(default_factory=list, description="[owner, requester] 1:1 grants, added")
    national_lookup: list[str] | None = Field(None, description="organizations with National Lookup on")


class ScenarioModel(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    seed: int = Field(1, ge=0, lt=2**63)
    days: float = Field(30.0, gt=0, le=366)
    start: str = "2025-04-01T00:00:00"
    timezone: str = "America/Los_Angeles"
    batch_s: int = Field(3600, ge=60, le=86_400)
    network: NetworkModel = NetworkModel()
    owners: list[OwnerModel] = Field(min_length=1)
    population: PopulationModel = PopulationModel()
    cameras: CamerasModel = CamerasModel()
    warmup_days: float = Field(30.0, ge=0, le=3650, description="simulated before the measured days, so stores "
                               "hold the history searches look back over (default: the longest search window)")
    agencies: AgenciesModel | None = Field(None, description="agencies, interest and channels (see README)")
    policy: str | None = Field(None, description="policy pack name or file: the law and platform layers")
    sharing: SharingModel | None = Field(None, description="who shares with whom (default: FACTS.md, 2025)")

    @field_validator("start")
    @classmethod
    def _iso_start(cls, value: str) -> str:
        from datetime import datetime
        datetime.fromisoformat(value)
        return value

    @field_validator("owners")
    @classmethod
    def _unique_owners(cls, owners: list[OwnerModel]) -> list[OwnerModel]:
        slugs = [o.slug for o in owners]
        dup = sorted({s for s in slugs if slugs.count(s) > 1})
        if dup:
            raise ValueError(f"owner slug {dup[0]!r} appears more than once")
        return owners


def _line_map(root: yaml.Node | None) -> dict[tuple, int]:
    """Field path -> 1-based line, from YAML's node marks (aliases already bounded)."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return lines


def _format_errors(exc: ValidationError, source: str, lines: dict[tuple, int]) -> str:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        line = next((lines[loc[:k]] for k in range(len(loc), -1, -1) if loc[:k] in lines), None)
        where = f"{source}:{line}" if line else source
        got = f" (got {err['input']!r})" if err["type"] != "missing" and not isinstance(err["input"], dict | list) else ""
        out.append(f"{where}: {path}: {err['msg']}{got}")
    return "\n".join(out)


def parse_scenario(text: str, source: str = "<string>", base_dir: str = ".") -> ScenarioSpec:
    try:
        node = compose_yaml(text, source)
        data = construct_yaml(node, source)
    except YamlInputError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario file is a mapping of fields (name, owners, ...)")
    try:
        model = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source, _line_map(node))) from None
    return to_spec(model, source, base_dir, _line_map(node))


def _at(source: str, lines: dict[tuple, int] | None, path: str) -> str:
    """``source:line`` of a dotted field path (the nearest enclosing line known)."""
    parts = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    line = next((lines[parts[:k]] for k in range(len(parts), 0, -1) if lines and parts[:k] in lines), None)
    return f"{source}:{line}" if line else source


def to_spec(m: ScenarioModel, source: str, base_dir: str, lines: dict[tuple, int] | None = None) -> ScenarioSpec:
    owners = tuple(OwnerSpec(**o.model_dump()) for o in m.owners)
    slugs = {o.slug for o in owners}
    cams = m.cameras
    for i, extra in enumerate(cams.extra):
        if extra.owner not in slugs:
            raise ScenarioError(f"{source}: cameras.extra.{i}.owner: {extra.owner!r} is not an owner slug")
    for name, slug in cams.operator_owners.items():
        if slug not in slugs:
            raise ScenarioError(f"{source}: cameras.operator_owners.{name}: {slug!r} is not an owner slug")
    if m.network.builtin is None and m.network.geojson is None:
        raise ScenarioError(f"{source}: network: name a builtin network or a geojson file")
    registry = registry_from(m.agencies)
    problems = check_names(m.agencies, {a.org.slug for a in registry} | slugs, slugs)
    if problems:
        path, message = problems[0]
        raise ScenarioError(f"{_at(source, lines, path)}: {path}: {message}")
    extra_sections = {k: v for k, v in (("policy", m.policy),
                                         ("sharing", m.sharing.model_dump() if m.sharing else None)) if v is not None}
    return ScenarioSpec(
        name=m.name, description=m.description, seed=m.seed, days=m.days, start=m.start,
        timezone=m.timezone, batch_s=m.batch_s, warmup_days=m.warmup_days,
        interest=interest_from(m.agencies), registry=registry,
        gunshots_per_day=dict(m.agencies.gunshots_per_day) if m.agencies else {},
        sensors_per_km2=m.agencies.sensors_per_km2 if m.agencies else 6.0,
        network=NetworkSpec(**m.network.model_dump()),
        owners=owners,
        population=_population_spec(m.population),
        cameras=CamerasSpec(
            locations=cams.locations, max_snap_m=cams.max_snap_m, operator_owners=dict(cams.operator_owners),
            street_cameras_feed_city=tuple(cams.street_cameras_feed_city),
            extra=tuple(ExtraCamera(e.id, e.owner, e.lon, e.lat, e.direction_deg) for e in cams.extra),
            capture=CaptureSpec(**cams.capture.model_dump()), misread_model=cams.misread_model),
        source=source, base_dir=base_dir, extra=extra_sections)


def _population_spec(m: PopulationModel) -> PopulationSpec:
    fields = m.model_dump(exclude={"regions", "through"})
    regions = tuple(RegionCount(name, r.vehicles, r.source) for name, r in m.regions.items())
    through = tuple(ThroughFlow(t.from_, t.to, t.vehicles_per_day, t.source) for t in m.through)
    return PopulationSpec(**fields, regions=regions, through=through)


def builtin_names() -> list[str]:
    folder = resources.files("scenarios") / BUILTIN_DIR
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    if name not in builtin_names():
        raise ScenarioError(f"no built-in scenario {name!r}; built-in: {', '.join(builtin_names())}")
    return (resources.files("scenarios") / BUILTIN_DIR / f"{name}.yaml").read_text()


def load_scenario(name_or_path: str | None = None) -> ScenarioSpec:
    """A built-in scenario by name, or a YAML file by path."""
    name_or_path = name_or_path or DEFAULT_SCENARIO
    path = Path(name_or_path)
    if path.suffix or len(path.parts) > 1 or path.exists():  # built-in names have neither
        try:
            text = read_yaml_text(path)
        except YamlInputError as exc:
            raise ScenarioError(str(exc)) from None
        return parse_scenario(text, str(path), str(path.resolve().parent))
    return parse_scenario(builtin_text(name_or_path), f"<built-in {name_or_path}>", ".")


def with_overrides(spec: ScenarioSpec, **changes: Any) -> ScenarioSpec:
    """A copy with some top-level fields changed (``None`` values are ignored)."""
    return dataclasses.replace(spec, **{k: v for k, v in changes.items() if v is not None})


def json_schema() -> dict:
    return ScenarioModel.model_json_schema()
