"""From passes to reads: capture by conditions, the misread model, fingerprint errors.

Every draw is keyed by the pass itself (camera key, vehicle, time), so a camera's reads
do not change when other cameras are added or batches are cut differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cameras.fused_capture import capture_kernel
from cameras.misread import ConfusionMisreadModel, MisreadModel
from sim.plates import BASE, PLATE_LEN, encode_symbols
from sim.population import BODIES, COLOURS, MAKES
from sim.random_streams import RandomStreams, combine_keys, keyed_uniforms
from sim.records import Cameras, Passes, Reads, Vehicles

_POWERS = BASE ** np.arange(PLATE_LEN - 1, -1, -1, dtype=np.int64)


@dataclass(frozen=True)
class CaptureSpec:
    """Chance that a passing vehicle is photographed, and fingerprint error rates.

    Assumptions (no public figure): 97% by day, 92% at night, falling 1% per m/s above
    25 m/s; fingerprint attributes wrong 6% (make), 10% (colour), 4% (body type).
    """

    p_capture_day: float = 0.97
    p_capture_night: float = 0.92
    fast_speed_mps: float = 25.0
    capture_loss_per_mps: float = 0.01
    make_error: float = 0.06
    colour_error: float = 0.10
    body_error: float = 0.04
    night_from_hour: int = 20
    night_until_hour: int = 6

    def is_night(self, time_s: np.ndarray, start_local_hour: float) -> np.ndarray:
        hour = (time_s / 3600.0 + start_local_hour) % 24
        return (hour >= self.night_from_hour) | (hour < self.night_until_hour)

    def p_capture(self, night: np.ndarray, speed_mps: np.ndarray) -> np.ndarray:
        base = np.where(night, self.p_capture_night, self.p_capture_day)
        loss = self.capture_loss_per_mps * np.maximum(speed_mps - self.fast_speed_mps, 0.0)
        return np.clip(base - loss, 0.0, 1.0)


@dataclass(frozen=True)
class CaptureResult:
    reads: Reads
    passes: int
    no_reads: int


def pass_keys(passes: Passes, cameras: Cameras) -> np.ndarray:
    return combine_keys(cameras.key[passes.camera], passes.vehicle.astype(np.uint64),
                        passes.time_s.astype(np.uint64))


def _noisy_category(true: np.ndarray, u_err: np.ndarray, u_pick: np.ndarray, p_err: float, k: int) -> np.ndarray:
    wrong = u_err < p_err
    other = (true.astype(np.int64) + 1 + (u_pick * (k - 1)).astype(np.int64)) % k
    return np.where(wrong, other, true).astype(np.uint8)


def capture(passes: Passes, cameras: Cameras, vehicles: Vehicles, spec: CaptureSpec, misread: MisreadModel,
            streams: RandomStreams, start_local_hour: float) -> CaptureResult:
    """Reads made from a batch of passes (columnar in, columnar out)."""
    if not len(passes):
        return CaptureResult(Reads.empty(), 0, 0)
    if isinstance(misread, ConfusionMisreadModel):
        return _fused_capture(passes, cameras, vehicles, spec, misread, streams, start_local_hour)
    return capture_stepwise(passes, cameras, vehicles, spec, misread, streams, start_local_hour)


def _fused_capture(passes: Passes, cameras: Cameras, vehicles: Vehicles, spec: CaptureSpec,
                   misread: ConfusionMisreadModel, streams: RandomStreams, start_local_hour: float) -> CaptureResult:
    """``capture_stepwise`` with the confusion tables, in one compiled pass (same reads)."""
    rates = np.array([spec.p_capture_day, spec.p_capture_night, spec.make_error, spec.colour_error, spec.body_error,
                      spec.fast_speed_mps, spec.capture_loss_per_mps], np.float64)
    keys = np.array([streams.stream_key(name) for name in
                     ("capture", "misread/char", "misread/substitute", "misread/read", "fingerprint")], np.uint64)
    index, plate, confidence, make, colour, body, no_reads = capture_kernel(
        np.ascontiguousarray(passes.time_s, np.int64), np.ascontiguousarray(passes.camera),
        np.ascontiguousarray(passes.vehicle), np.ascontiguousarray(passes.speed_mps, np.float32),
        np.ascontiguousarray(cameras.key, np.uint64), np.ascontiguousarray(vehicles.plate_symbols, np.uint8),
        vehicles.make, vehicles.colour, vehicles.body, rates,
        np.array([spec.night_from_hour, spec.night_until_hour], np.float64), float(start_local_hour), keys,
        misread.p_no_read.astype(np.float64), misread.p_char_error.astype(np.float64),
        _confusion_cdf(misread), np.array([len(MAKES), len(COLOURS), len(BODIES)], np.int64), _POWERS)
    camera, vehicle = passes.camera[index], passes.vehicle[index]
    reads = Reads(time_s=passes.time_s[index], camera=camera, owner=cameras.owner[camera], plate=plate,
                  plate_state=vehicles.plate_state[vehicle], confidence=confidence, make=make, colour=colour,
                  body=body, vehicle=vehicle)
    return CaptureResult(reads, len(passes), int(no_reads))


_CDF_CACHE: dict[int, tuple[ConfusionMisreadModel, np.ndarray]] = {}


def _confusion_cdf(model: ConfusionMisreadModel) -> np.ndarray:
    """Running sums of each confusion row (as ``observe`` takes them), computed once per model."""
    hit = _CDF_CACHE.get(id(model))
    if hit is None or hit[0] is not model:
        hit = _CDF_CACHE[id(model)] = (model, np.cumsum(model.confusion, axis=2))
    return hit[1]


def capture_stepwise(passes: Passes, cameras: Cameras, vehicles: Vehicles, spec: CaptureSpec, misread: MisreadModel,
                     streams: RandomStreams, start_local_hour: float) -> CaptureResult:
    """Reads made from a batch of passes, one numpy step after another: any misread model."""
    if not len(passes):
        return CaptureResult(Reads.empty(), 0, 0)
    keys = pass_keys(passes, cameras)
    night = spec.is_night(passes.time_s, start_local_hour)
    u = keyed_uniforms(keys, streams.stream_key("capture"), 1)[:, 0]
    seen = np.nonzero(u < spec.p_capture(night, passes.speed_mps))[0]
    keys, night = keys[seen], night[seen]
    vehicle = passes.vehicle[seen]
    true_symbols = vehicles.plate_symbols[vehicle]
    if getattr(misread, "reads_plate_state", False):
        # the image path draws each state's layout, so it needs to know the state
        obs = misread.observe(true_symbols, night, passes.speed_mps[seen], keys, streams,
                              plate_state=vehicles.plate_state[vehicle])
    else:
        obs = misread.observe(true_symbols, night, passes.speed_mps[seen], keys, streams)
    ok = ~obs.no_read
    keys, vehicle, seen = keys[ok], vehicle[ok], seen[ok]
    f = keyed_uniforms(keys, streams.stream_key("fingerprint"), 6)
    reads = Reads(
        time_s=passes.time_s[seen],
        camera=passes.camera[seen],
        owner=cameras.owner[passes.camera[seen]],
        plate=encode_symbols(obs.symbols[ok]),
        plate_state=vehicles.plate_state[vehicle],
        confidence=obs.confidence[ok],
        make=_noisy_category(vehicles.make[vehicle], f[:, 0], f[:, 1], spec.make_error, len(MAKES)),
        colour=_noisy_category(vehicles.colour[vehicle], f[:, 2], f[:, 3], spec.colour_error, len(COLOURS)),
        body=_noisy_category(vehicles.body[vehicle], f[:, 4], f[:, 5], spec.body_error, len(BODIES)),
        vehicle=vehicle,
    )
    return CaptureResult(reads, len(passes), int(obs.no_read.sum()))
