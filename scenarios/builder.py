"""spec -> World: the road network, paths, population, cameras and traffic of a scenario."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
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
from sim.calibration import (
    base_bundle_width,
    bridge_volume,
    calibrate_group_sizes,
    fit_bridge_penalty,
    fit_bundle_widths,
    through_flows,
    through_vehicles,
    unit_group_flows,
)
from sim.networks import (
    CitySite,
    bay_area_network,
    city_size_m,
    lattice_sites,
    synthetic_cities_network,
)
from sim.paths import CheckpointPaths, ZonePaths, checkpoints_on, zone_paths
from sim.population import PopulationSpec, group_choices, group_names, make_population
from sim.random_streams import RandomStreams
from sim.records import Cameras
from sim.roads import NetworkError, RoadNetwork, load_geojson_network
from sim.traffic import Traffic, make_traffic

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
    bundle_width: np.ndarray | None = None  # int64 per edge: real streets each segment stands for
    population: dict = field(default_factory=dict)  # vehicles by group, with sources


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


def _with_traffic(net: RoadNetwork, traffic_per_edge: np.ndarray) -> np.ndarray:
    """Edges that carry traffic either way (a camera without heading reads both)."""
    key = net.edge_from.astype(np.int64) * net.n_nodes + net.edge_to
    order = np.argsort(key)
    rev = net.edge_to.astype(np.int64) * net.n_nodes + net.edge_from
    pos = np.clip(np.searchsorted(key[order], rev), 0, len(order) - 1)
    reverse = np.where(key[order][pos] == rev, order[pos], -1)
    busy = traffic_per_edge > 0
    return busy | np.where(reverse >= 0, busy[np.maximum(reverse, 0)], False)


def _camera_sites(spec: ScenarioSpec, net: RoadNetwork, weights: dict[str, np.ndarray],
                  streams: RandomStreams, usable: np.ndarray | None = None) -> tuple[list[CameraSite], dict]:
    jurisdiction_owner = {o.jurisdiction: o.slug for o in spec.owners if o.jurisdiction}
    summary: dict = {}
    if spec.cameras.locations:
        path = _resolve(spec, spec.cameras.locations)
        try:
            points = read_osm_cameras(path)
        except CameraFileError as exc:
            raise ScenarioError(f"{spec.source}: cameras.locations: {exc}") from None
        sites, imported = snap_cameras(net, points, jurisdiction_owner, spec.cameras.operator_owners,
                                       spec.cameras.street_cameras_feed_city, spec.cameras.max_snap_m, usable)
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


def _counted_sizes(spec: ScenarioSpec, net: RoadNetwork) -> np.ndarray:
    """Vehicles per home region from the scenario's counts (or a bridge's traffic count)."""
    pop = spec.population
    sizes = np.zeros(len(net.regions), np.int64)
    for g, region in enumerate(net.regions):
        count = pop.region_count(region)
        if count is None:
            raise ScenarioError(f"{spec.source}: population.regions: no count for region {region!r} "
                                f"(the network's regions: {', '.join(net.regions)})")
        sizes[g] = count.vehicles
    unknown = sorted({r.region for r in pop.regions} - set(net.regions))
    if unknown:
        raise ScenarioError(f"{spec.source}: population.regions.{unknown[0]}: not a region of network "
                            f"{net.name!r} ({', '.join(net.regions)})")
    return sizes


def _population_summary(spec: ScenarioSpec, net: RoadNetwork, sizes: np.ndarray) -> dict:
    pop: PopulationSpec = spec.population
    names = group_names(net, pop)
    sources = {r.region: r.source for r in pop.regions}
    sources.update({t.name: t.source for t in pop.through})
    return {"vehicles": int(sizes.sum()), "by_region": {n: int(sizes[g]) for g, n in enumerate(names)},
            "sources": {n: sources.get(n) or "calibrated to the owners' reads (no count given)" for n in names}}


def build_world(spec: ScenarioSpec) -> World:
    streams = RandomStreams(spec.seed)
    net = build_network(spec)
    paths = zone_paths(net)
    pop = spec.population
    counted = _counted_sizes(spec, net) if pop.regions else None
    thru = through_flows(net, paths, pop)
    if pop.bridge_penalty_s is None:
        penalty = 0.0
        if pop.bridge_vehicles_per_day and counted is not None:
            try:
                penalty = fit_bridge_penalty(net, paths, pop, counted, pop.bridge_vehicles_per_day,
                                             bridge_volume(net, thru.sum(axis=0)))
            except ValueError as exc:
                raise ScenarioError(f"{spec.source}: population.{exc}") from None
        pop = dataclasses.replace(pop, bridge_penalty_s=penalty)
        spec = dataclasses.replace(spec, population=pop)
    unit = unit_group_flows(net, paths, pop)
    per_edge_traffic = unit.sum(axis=0) + thru.sum(axis=0) / max(thru.sum(), 1.0)
    weights = {o.slug: site_weights(net, o.jurisdiction, per_edge_traffic) if o.jurisdiction else np.zeros(net.n_edges)
               for o in spec.owners}
    capture = spec.cameras.capture
    misread = _misread_model(spec)
    p_read = _mean_read_probability(capture, misread)

    any_target = any(o.reads_per_camera_per_day for o in spec.owners)
    targets, group_of_owner, jurisdiction_of = {}, {}, {}
    for o in spec.owners:
        region = o.calibrates or o.jurisdiction
        if not weights[o.slug].any():
            continue
        target = o.reads_per_camera_per_day or (None if any_target else CA_MEDIAN_READS_PER_CAMERA_PER_DAY)
        if target:
            targets[o.slug] = target
            jurisdiction_of[o.slug] = o.jurisdiction
            if region in net.regions:
                group_of_owner[o.slug] = net.regions.index(region)
    base_width = base_bundle_width(net)
    if pop.regions:
        # the population is an input (counts); what is fitted is the bundle width
        sizes = counted
        flows = sizes.astype(np.float64) @ unit + thru.sum(axis=0)
        width, scales = fit_bundle_widths(net, flows, weights, targets, jurisdiction_of, p_read)
        method = "population from counts; bundle widths fitted to the owners' medians"
    else:
        if not group_of_owner:
            raise ScenarioError(f"{spec.source}: owners: no owner polices a region with homes, so traffic "
                                f"cannot be calibrated (set jurisdiction to one of {list(net.regions)})")
        sizes = calibrate_group_sizes(unit / base_width, weights, {o: targets[o] for o in group_of_owner},
                                      group_of_owner, p_read)
        # regions no owner calibrates get the calibrated regions' vehicles per unit of activity
        calibrated = sorted(set(group_of_owner.values()))
        activity = np.bincount(net.zone_region, weights=net.zone_weight, minlength=len(net.regions))
        density = float(np.median(sizes[calibrated] / np.maximum(activity[calibrated], 1e-9)))
        for g in range(len(net.regions)):
            if g not in calibrated:
                sizes[g] = round(density * activity[g])
        flows = sizes.astype(np.float64) @ unit + thru.sum(axis=0)
        width, scales = np.maximum(np.round(base_width), 1).astype(np.int64), {}
        method = "population calibrated to the owners' reads (no counts in the scenario)"
    all_sizes = np.concatenate([sizes, [through_vehicles(t.vehicles_per_day) for t in pop.through]]).astype(np.int64)
    # the population and the cameras' checkpoints do not depend on each other: the
    # population is drawn on a second thread (its own named streams) meanwhile
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alprsim-population") as pool:
        population_job = pool.submit(make_population, net, paths, all_sizes, pop, streams, net.gate_zone)
        sites, camera_import = _camera_sites(spec, net, weights, streams, _with_traffic(net, per_edge_traffic))
        if not sites:
            raise ScenarioError(f"{spec.source}: cameras: the scenario places no camera")
        owners = spec.owner_slugs
        try:
            cams = camera_table(net, sites, owners)
        except ValueError as exc:
            raise ScenarioError(f"{spec.source}: cameras: {exc}") from None
        cp_edge, cp_fraction, cp_camera = checkpoints(net, cams)
        # which street of its segment's bundle a camera watches: a function of its id alone
        cp_width = width[cp_edge]
        street = (cams.key[cp_camera] % cp_width.astype(np.uint64)).astype(np.int64)
        cp_paths = checkpoints_on(paths, net, cp_edge, cp_fraction, cp_camera, cp_width, street)
        try:
            vehicles = population_job.result()
        except ValueError as exc:
            raise ScenarioError(f"{spec.source}: {exc}") from None

    start = datetime.fromisoformat(spec.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(spec.timezone))
    start_local_hour = start.hour + start.minute / 60 + start.second / 3600
    names = group_names(net, pop)
    traffic = make_traffic(net, paths, cp_paths, vehicles, pop, group_choices(net, paths, pop), start_local_hour,
                           start.weekday(), cams.key, names)
    population = _population_summary(spec, net, all_sizes)
    calibration = {
        "method": method,
        "vehicles_by_region": population["by_region"],
        "targets_reads_per_camera_per_day": targets,
        "bundle_scale_by_jurisdiction": scales,
        "mean_read_probability": round(p_read, 4),
        "bridge_penalty_s": pop.bridge_penalty_s,
        "expected_bridge_vehicles_per_day": round(bridge_volume(net, flows)),
    }
    return World(spec, net, paths, cams, cp_paths, traffic, owners,
                 np.array([o.retention_days for o in spec.owners]), capture, misread, start_local_hour,
                 calibration, camera_import, width, population)
