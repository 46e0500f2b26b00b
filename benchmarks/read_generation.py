"""Read generation: the vectorised path beside one simpy event per read, and beside memory.

Vectorised: ``day_passes`` (a day of trips expanded into camera passes) and ``capture``
in the runner's hourly batches, on the built ``bay-area`` world, for ``DAYS`` days.

Baseline, written here and run in the same process: the classic discrete-event design.
One simpy process per trip walks its camera checkpoints, one ``env.timeout`` event per
pass, and captures that pass when the event fires (the same ``capture`` code, on one
pass). It runs on the trips of a subset of vehicles (every ``SUBSET``-th) of one day; its
reads are checked to be exactly the vectorised path's reads of those vehicles, and its
rate (reads per second) is compared with the vectorised rate. A second baseline is the
floor of any per-event design: bare simpy events, one per read, doing nothing.

Memory: the reads occupy ``sum(READ_COLUMNS itemsizes)`` bytes each; the vectorised
throughput in bytes per second is set against a numpy copy of an array of that size.
"""

from __future__ import annotations

import os
import time

import numpy as np
import simpy

from benchmarks import emit, log
from cameras.capture import capture
from scenarios.builder import build_world
from scenarios.files import load_scenario
from sim.random_streams import RandomStreams
from sim.records import READ_COLUMNS, Reads
from sim.traffic import DAY_S, Legs, day_legs, day_passes, expand_legs

DAYS = 3
SUBSET = 100  # the baseline simulates every SUBSET-th vehicle's trips of day 0
FLOOR_EVENTS = 500_000  # bare simpy events timed for the per-event floor
READ_BYTES = sum(dt.itemsize for dt in READ_COLUMNS.values())


def vectorised(world, streams: RandomStreams, days: int) -> tuple[float, Reads, int]:
    """(seconds, reads of day 0, total reads) of day_passes + capture in hourly batches."""
    batch_s = world.spec.batch_s
    total, day0 = 0, []
    t0 = time.perf_counter()
    for day in range(days):
        passes = day_passes(world.traffic, day, streams)
        cuts = np.searchsorted(passes.time_s, np.arange(day * DAY_S + batch_s, (day + 1) * DAY_S, batch_s))
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(passes)], strict=True):
            reads = capture(passes.take(slice(lo, hi)), world.cameras, world.traffic.vehicles, world.capture,
                            world.misread, streams, world.start_local_hour).reads
            total += len(reads)
            if day == 0:
                day0.append(reads)
    return time.perf_counter() - t0, Reads.concat(day0), total


def per_event(world, streams: RandomStreams, subset: int) -> tuple[float, list[Reads]]:
    """The baseline: one simpy process per trip (leg), one event per pass (see the docstring)."""
    traffic = world.traffic
    legs = day_legs(traffic, 0, streams)
    trips = np.flatnonzero(legs.vehicle % subset == 0)
    out: list[Reads] = []
    env = simpy.Environment(initial_time=float(legs.depart_s[trips].min()) - 1.0 if len(trips) else 0.0)

    def trip(k: int):
        one_leg = Legs(*(getattr(legs, f)[k:k + 1] for f in ("vehicle", "pair", "depart_s", "tour_key", "segment")))
        # the leg's passes, computed by the same code, then visited one event at a time
        passes = expand_legs(traffic, one_leg, streams)
        for j in range(len(passes)):
            t = int(passes.time_s[j])
            if t > env.now:
                yield env.timeout(t - env.now)
            reads = capture(passes.take(slice(j, j + 1)), world.cameras, traffic.vehicles, world.capture,
                            world.misread, streams, world.start_local_hour).reads
            if len(reads):
                out.append(reads)

    t0 = time.perf_counter()
    for k in trips:
        env.process(trip(int(k)))
    env.run()
    return time.perf_counter() - t0, out


def bare_events(n: int) -> float:
    """Seconds for ``n`` simpy timeout events that do nothing (the per-event floor)."""
    env = simpy.Environment()

    def ticker():
        for _ in range(n):
            yield env.timeout(1)

    t0 = time.perf_counter()
    env.process(ticker())
    env.run()
    return time.perf_counter() - t0


def copy_seconds(nbytes: int, repeats: int = 5) -> float:
    """Best time of a numpy copy of an array of ``nbytes`` (pages touched beforehand)."""
    src = np.ones(nbytes, np.uint8)
    dst = np.zeros(nbytes, np.uint8)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return best


def _key(reads: Reads) -> list[tuple]:
    return sorted(zip(reads.time_s.tolist(), reads.camera.tolist(), reads.vehicle.tolist(), reads.plate.tolist(),
                      reads.make.tolist(), strict=True))


def main() -> None:
    log(f"read_generation: building bay-area; load average {os.getloadavg()[0]:.2f}")
    world = build_world(load_scenario("bay-area"))
    streams = RandomStreams(world.spec.seed)
    vec_s, day0, vec_reads = vectorised(world, streams, DAYS)
    vec_rate = vec_reads / vec_s
    log(f"vectorised: {vec_reads:,} reads in {vec_s:.2f} s")
    base_s, base_parts = per_event(world, streams, SUBSET)
    base = Reads.concat(base_parts)
    # the per-event baseline must have done the same work: the same reads for its vehicles
    # (trips of day 0 only; the vectorised day 0 also holds reads of trips that start on
    # day 0 and run past midnight, which the baseline simulates too)
    expected = day0.take(day0.vehicle % SUBSET == 0)
    same = _key(expected) == _key(base)
    base_rate = len(base) / base_s
    log(f"per-event baseline: {len(base):,} reads in {base_s:.2f} s; identical reads: {same}")
    if not same:
        raise SystemExit("read_generation: the per-event baseline's reads differ from the vectorised path's")
    emit("read_generation.throughput", vec_rate, "reads/s", baseline=base_rate,
         days=DAYS, reads=vec_reads, baseline_reads=len(base), baseline_vehicles=f"every {SUBSET}th",
         load_average=round(os.getloadavg()[0], 2))
    floor_rate = FLOOR_EVENTS / bare_events(FLOOR_EVENTS)
    emit("read_generation.vs_bare_simpy_events", vec_rate, "reads/s", baseline=floor_rate)
    nbytes = vec_reads * READ_BYTES
    copy_s = copy_seconds(nbytes)
    emit("read_generation.memory_bandwidth_fraction", nbytes / vec_s, "bytes/s", baseline=nbytes / copy_s,
         read_bytes=READ_BYTES, array_bytes=nbytes, copy_s=round(copy_s, 4), vectorised_s=round(vec_s, 3))


if __name__ == "__main__":
    main()
