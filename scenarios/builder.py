"""spec -> World: the road network, paths, population, cameras and traffic of a scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from cameras.capture import CaptureSpec
from cameras.misread import (
    ConfusionMisreadModel,
    MisreadModel,
    default_misread_model,
    prior_misread_model,
)
from cameras.osm import CameraFileError, facing_edge, nearest_edges, read_osm_cameras, snap_cameras
from cameras.placement import CameraSite, camera_table, checkpoints, site_weights, synthetic_sites
from scenarios.files import ScenarioError
from scenarios.spec import ScenarioSpec
from sim.networks import (
    CitySite,
    bay_area_network,
    city_size_m,
    lattice_sites,
    synthetic_cities_network,
)
from sim.paths import ROUTE_VARIANTS, CheckpointPaths, ZonePaths, checkpoints_on, zone_paths
from sim.population import group_choices, make_population
from sim.random_streams import RandomStreams
from sim.records import Cameras
from sim.roads import NetworkError, RoadNetwork, load_geojson_network
from sim.traffic import Traffic, calibrate_group_sizes, camera_flows, unit_group_flows

CA_MEDIAN_READS_PER_CAMERA_PER_DAY = 402.0  # FACTS.md: California portals, April 2026


@dataclass(frozen=True)
class World:
    spec: ScenarioSpec
    net: RoadNetwork
    paths: ZonePaths
    cameras: Cameras
    checkpoints: CheckpointPaths
    traffic: Traffic
    owners: tuple[str, ...]
    retention_days: np.ndarray
    capture: CaptureSpec
    misread: MisreadModel
    start_local_hour: float
    calibration: dict = field(default_factory=dict)
    camera_import: dict = field(default_factory=dict)


def _resolve(spec: ScenarioSpec, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(spec.base_dir) / p


def build_network(spec: ScenarioSpec) -> RoadNetwork:
    net_spec = spec.network
    if net_spec.geojson:
        try:
            return load_geojson_network(_resolve(spec, net_spec.geojson))
        except NetworkError as exc:
            raise ScenarioError(f"{spec.source}: network.geojson: {exc}") from None
    if net_spec.builtin == "bay-area":
        return bay_area_network(**({"street_spacing_m": net_spec.street_spacing_m} if net_spec.street_spacing_m else {}))
    if net_spec.builtin == "cities":
        owners = [o for o in spec.owners if o.cameras > 0 or o.reads_per_camera_per_day]
        placed = [CitySite(o.slug, o.lon, o.lat, o.city_size_m or city_size_m(o.cameras))
                  for o in owners if o.lon is not None]
        unplaced = [o for o in owners if o.lon is None]
        sites = placed + lattice_sites([o.slug for o in unplaced], [o.cameras for o in unplaced])
        return synthetic_cities_network(sites, **({"street_spacing_m": net_spec.street_spacing_m}
                                                  if net_spec.street_spacing_m else {}))
    raise ScenarioError(f"{spec.source}: network.builtin: {net_spec.builtin!r} is not a built-in network")


def _misread_model(spec: ScenarioSpec) -> MisreadModel:
    name = spec.cameras.misread_model
    if name == "default":
        return default_misread_model()
    if name == "prior":
        return prior_misread_model()
    try:
        return ConfusionMisreadModel.load(_resolve(spec, name))
    except ValueError as exc:
        raise ScenarioError(f"{spec.source}: cameras.misread_model: {exc}") from None


def _mean_read_probability(capture: CaptureSpec, misread: MisreadModel, night_share: float = 0.15) -> float:
    no_read = getattr(misread, "p_no_read", np.array([0.05, 0.05, 0.08, 0.08]))
    day = capture.p_capture_day * (1 - float(np.mean(no_read[:2])))
    night = capture.p_capture_night * (1 - float(np.mean(no_read[2:])))
    return (1 - night_share) * day + night_share * night


def _camera_sites(spec: ScenarioSpec, net: RoadNetwork, weights: dict[str, np.ndarray],
                  streams: RandomStreams) -> tuple[list[CameraSite], dict]:
    jurisdiction_owner = {o.jurisdiction: o.slug for o in spec.owners if o.jurisdiction}
    summary: dict = {}
    if spec.cameras.locations:
        path = _resolve(spec, spec.cameras.locations)
        try:
            points = read_osm_cameras(path)
        except CameraFileError as exc:
            raise ScenarioError(f"{spec.source}: cameras.locations: {exc}") from None
        sites, imported = snap_cameras(net, points, jurisdiction_owner, spec.cameras.operator_owners,
                                       spec.cameras.street_cameras_feed_city, spec.cameras.max_snap_m)
        summary = {"file": str(path), "points": imported.points, "in_area": imported.in_area,
                   "snapped": imported.snapped, "by_owner": imported.by_owner, "left_out": imported.left_out}
    else:
        sites = []
        for o in spec.owners:
            if o.cameras:
                try:
                    sites += synthetic_sites(o.slug, o.cameras, weights[o.slug], streams)
                except ValueError as exc:
                    raise ScenarioError(f"{spec.source}: owners.{o.slug}.cameras: {exc}") from None
    if spec.cameras.extra:
        lon = np.array([e.lon for e in spec.cameras.extra])
        lat = np.array([e.lat for e in spec.cameras.extra])
        edges, fractions, _ = nearest_edges(net, lon, lat, spec.cameras.max_snap_m)
        for i, (extra, edge, fraction) in enumerate(zip(spec.cameras.extra, edges, fractions, strict=True)):
            if edge < 0:
                raise ScenarioError(f"{spec.source}: cameras.extra.{i}: ({extra.lon}, {extra.lat}) is more than "
                                    f"{spec.cameras.max_snap_m:.0f} m from any road")
            e, f = facing_edge(net, int(edge), float(fraction), extra.direction_deg)
            sites.append(CameraSite(extra.camera_id, extra.owner, e, f, extra.direction_deg is None))
    return sites, summary


def build_world(spec: ScenarioSpec) -> World:
    streams = RandomStreams(spec.seed)
    net = build_network(spec)
    paths = zone_paths(net)
    unit = unit_group_flows(net, paths, spec.population)
    per_edge_traffic = unit.sum(axis=0)
    weights = {o.slug: site_weights(net, o.jurisdiction, per_edge_traffic) if o.jurisdiction else np.zeros(net.n_edges)
               for o in spec.owners}
    capture = spec.cameras.capture
    misread = _misread_model(spec)
    p_read = _mean_read_probability(capture, misread)

    # calibration: each owner's target sizes the population of the region it names
    any_target = any(o.reads_per_camera_per_day for o in spec.owners)
    targets, group_of_owner = {}, {}
    for o in spec.owners:
        region = o.calibrates or o.jurisdiction
        if region not in net.regions or not weights[o.slug].any():
            continue
        target = o.reads_per_camera_per_day or (None if any_target else CA_MEDIAN_READS_PER_CAMERA_PER_DAY)
        if target:
            targets[o.slug] = target
            group_of_owner[o.slug] = net.regions.index(region)
    if not group_of_owner:
        raise ScenarioError(f"{spec.source}: owners: no owner polices a region with homes, so traffic "
                            f"cannot be calibrated (set jurisdiction to one of {list(net.regions)})")
    sizes = calibrate_group_sizes(camera_flows(net, unit), weights, targets, group_of_owner, p_read)
    # regions no owner calibrates get the calibrated regions' vehicles per unit of activity
    calibrated = sorted(set(group_of_owner.values()))
    activity = np.bincount(net.zone_region, weights=net.zone_weight, minlength=len(net.regions))
    density = float(np.median(sizes[calibrated] / np.maximum(activity[calibrated], 1e-9)))
    for g in range(len(net.regions)):
        if g not in calibrated:
            sizes[g] = round(density * activity[g])

    vehicles = make_population(net, paths, sizes, spec.population, streams)
    sites, camera_import = _camera_sites(spec, net, weights, streams)
    if not sites:
        raise ScenarioError(f"{spec.source}: cameras: the scenario places no camera")
    owners = spec.owner_slugs
    try:
        cams = camera_table(net, sites, owners)
    except ValueError as exc:
        raise ScenarioError(f"{spec.source}: cameras: {exc}") from None
    cp_edge, cp_fraction, cp_camera = checkpoints(net, cams)
    # which street of its segment's bundle a camera watches: a function of its id alone
    street = (cams.key % np.uint64(ROUTE_VARIANTS)).astype(np.int64)[cp_camera]
    cp_paths = checkpoints_on(paths, net, cp_edge, cp_fraction, cp_camera, street)

    start = datetime.fromisoformat(spec.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(spec.timezone))
    start_local_hour = start.hour + start.minute / 60 + start.second / 3600
    traffic = Traffic(net, paths, cp_paths, vehicles, spec.population,
                      group_choices(net, paths, spec.population), start_local_hour, start.weekday())
    calibration = {
        "vehicles_by_region": {r: int(sizes[g]) for g, r in enumerate(net.regions)},
        "targets_reads_per_camera_per_day": targets,
        "mean_read_probability": round(p_read, 4),
    }
    return World(spec, net, paths, cams, cp_paths, traffic, owners,
                 np.array([o.retention_days for o in spec.owners]), capture, misread, start_local_hour,
                 calibration, camera_import)
