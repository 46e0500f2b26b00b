"""The scenario as frozen dataclasses: what the builder and runner read.

Scenario files (YAML) are validated by ``scenarios.files`` with pydantic and converted to
these. Defaults, with the figures they rest on, are documented in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agencies.interest import InterestSpec
from agencies.registry import BAY_AREA_AGENCIES, Agency
from cameras.capture import CaptureSpec
from sim.population import PopulationSpec


@dataclass(frozen=True)
class OwnerSpec:
    """An organization that owns cameras (a data owner), and how its cameras are set up."""

    slug: str
    name: str
    kind: str = "local"
    state: str = "CA"
    jurisdiction: str | None = None  # road jurisdiction it polices; synthetic cameras go there
    cameras: int = 0  # synthetic cameras (ignored when a locations file places them)
    retention_days: float = 30.0
    reads_per_camera_per_day: float | None = None  # calibration target for its median camera
    calibrates: str | None = None  # population group (home region) its target sizes
    lon: float | None = None  # city centre, for networks of synthetic cities
    lat: float | None = None
    city_size_m: float | None = None  # synthetic city's width; default grows with its cameras
    policy: str | None = None  # the owner's own policy (a file or pack), after the scenario's pack


@dataclass(frozen=True)
class ExtraCamera:
    """A camera added by hand at a position (snapped to the nearest road)."""

    camera_id: str
    owner: str
    lon: float
    lat: float
    direction_deg: float | None = None


@dataclass(frozen=True)
class CamerasSpec:
    locations: str | None = None  # OpenStreetMap ALPR GeoJSON; None = synthetic placement
    max_snap_m: float = 150.0
    operator_owners: dict[str, str] = field(default_factory=dict)
    street_cameras_feed_city: tuple[str, ...] = ()
    extra: tuple[ExtraCamera, ...] = ()
    capture: CaptureSpec = CaptureSpec()
    misread_model: str = "default"  # "default" (calibrated artefact), "prior", or a JSON file


@dataclass(frozen=True)
class NetworkSpec:
    builtin: str | None = "bay-area"  # "bay-area" or "cities" (one synthetic city per owner)
    geojson: str | None = None
    street_spacing_m: float | None = None


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    description: str = ""
    seed: int = 1
    days: float = 30.0
    start: str = "2025-04-01T00:00:00"  # local time at the scenario start
    timezone: str = "America/Los_Angeles"
    batch_s: int = 3600  # traffic batch: one simpy step writes this much time of reads
    warmup_days: float = 30.0  # simulated before the measured days (reads only: nobody searches)
    network: NetworkSpec = NetworkSpec()
    owners: tuple[OwnerSpec, ...] = ()
    population: PopulationSpec = PopulationSpec()
    cameras: CamerasSpec = CamerasSpec()
    source: str = "<built-in>"  # file it came from, for messages
    base_dir: str = "."  # relative paths in the file resolve from here
    interest: InterestSpec = InterestSpec()  # the agencies' behaviour (``agencies:`` section)
    registry: tuple[Agency, ...] = BAY_AREA_AGENCIES
    gunshots_per_day: dict[str, float] = field(default_factory=dict)  # owner -> gunshots a day
    sensors_per_km2: float = 6.0
    extra: dict = field(default_factory=dict)  # sections later stages read (policy, sharing)

    def owner(self, slug: str) -> OwnerSpec:
        for o in self.owners:
            if o.slug == slug:
                return o
        raise KeyError(slug)

    @property
    def owner_slugs(self) -> tuple[str, ...]:
        return tuple(o.slug for o in self.owners)
