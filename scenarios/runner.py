"""One run: simpy drives the clock; traffic arrives in numpy batches, never one read at a time.

The traffic process draws a day of passes at each day's start, then every ``batch_s``
hands one time slice through capture into the read store. The clock starts
``warmup_days`` before the scenario's start (time 0): the warm-up fills the store with
the history searches look back over, and nothing in it is measured. Processes given to
``run_world`` (the agencies against a running service) share the environment and see
the store as it stands; in process, the agencies play afterwards on the finished store
(``agencies.process``), which answers as of each search's time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import simpy

from cameras.capture import capture
from lookup.store import ReadStore
from scenarios.builder import World
from sim.random_streams import RandomStreams
from sim.records import Passes, Reads, RecordsHasher, RunRecords
from sim.traffic import DAY_S, day_passes, merge_passes

Process = Callable[[simpy.Environment, "RunContext"], Generator]
PREFETCH_DAYS = 2  # days of passes drawn ahead, each on its own thread


@dataclass
class RunContext:
    """What processes of one run share: the world, the clock's store, streams, and tallies."""

    world: World
    streams: RandomStreams
    store: ReadStore
    days: float
    hasher: RecordsHasher = field(default_factory=RecordsHasher)
    passes: int = 0
    no_reads: int = 0

    def emit(self, reads: Reads) -> None:
        self.store.append(reads)
        self.hasher.update(reads)


def traffic_process(env: simpy.Environment, ctx: RunContext,
                    on_batch: Callable[[int, int], None] | None = None) -> Generator:
    first_day = -warmup_whole_days(ctx.world)
    last_day = int(np.ceil(ctx.days)) - 1
    if last_day < first_day:
        return
    # the next days' passes are drawn on other threads (compiled loops and numpy release
    # the GIL) while this day's are captured: a day's passes depend on nothing but the day
    # and the seed, so the records are the same
    pool = ThreadPoolExecutor(max_workers=PREFETCH_DAYS, thread_name_prefix="alprsim-traffic")
    upcoming = deque(pool.submit(day_passes, ctx.world.traffic, day, ctx.streams)
                     for day in range(first_day, min(first_day + PREFETCH_DAYS, last_day + 1)))
    try:
        yield from _traffic_days(env, ctx, on_batch, first_day, last_day, pool, upcoming)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _traffic_days(env: simpy.Environment, ctx: RunContext, on_batch: Callable[[int, int], None] | None,
                  first_day: int, last_day: int, pool: ThreadPoolExecutor, upcoming: deque[Future]) -> Generator:
    world, end_s = ctx.world, ctx.days * DAY_S
    batch_s = world.spec.batch_s
    carry: Passes | None = None
    for day in range(first_day, last_day + 1):
        passes = upcoming.popleft().result()
        if day + PREFETCH_DAYS <= last_day:
            upcoming.append(pool.submit(day_passes, world.traffic, day + PREFETCH_DAYS, ctx.streams))
        if carry is not None:
            passes = merge_passes(carry, passes)
        # the store keeps the run's reads in one set of columns, which are the records in
        # the end; reads never outnumber passes, so room for the rest of the run at this
        # day's rate with a margin for busier days avoids regrowing them (room never
        # written is never touched, so it costs address space, not memory)
        ctx.store.reserve(int(len(passes) * 1.3 * (np.ceil(ctx.days) - day)) + 1024)
        day_end = (day + 1) * DAY_S
        for t0 in range(day * DAY_S, day_end, batch_s):
            if t0 >= end_s:
                return
            lo = 0 if t0 == day * DAY_S else np.searchsorted(passes.time_s, t0)
            hi = np.searchsorted(passes.time_s, min(t0 + batch_s, end_s))
            batch = passes.take(slice(lo, hi))
            result = capture(batch, world.cameras, world.traffic.vehicles, world.capture, world.misread,
                             ctx.streams, world.start_local_hour)
            keep = result.reads.time_s >= first_day * DAY_S  # trips of the evening before the first day
            ctx.emit(result.reads.take(keep) if not keep.all() else result.reads)
            ctx.passes += result.passes
            ctx.no_reads += result.no_reads
            if on_batch:
                on_batch(t0 + batch_s, ctx.hasher.rows)
            yield env.timeout(batch_s)
        carry = passes.take(slice(np.searchsorted(passes.time_s, day_end), None))


def warmup_whole_days(world: World) -> int:
    return int(np.ceil(world.spec.warmup_days))


def retention_process(env: simpy.Environment, ctx: RunContext) -> Generator:
    """Once a day, drop reads past their owner's retention from the service's index."""
    while True:
        yield env.timeout(DAY_S)
        ctx.store.purge(int(env.now))


def run_world(world: World, days: float | None = None, processes: Iterable[Process] = (),
              on_batch: Callable[[int, int], None] | None = None, store=None) -> RunRecords:
    """Run the world's warm-up and ``days`` with its traffic and any extra processes.

    The world's seed (``world.spec.seed``) drives everything: one seed per run. ``store``
    replaces the in-process ``ReadStore`` (a service's, see ``scenarios.service_run``).
    Without extra processes nothing is purged, so the store can answer searches as of any
    time afterwards (retention is applied at query time); with them, a daily purge runs.
    """
    seed = world.spec.seed
    days = world.spec.days if days is None else days
    streams = RandomStreams(seed)
    ctx = RunContext(world, streams, store if store is not None else ReadStore(world.retention_days), days)
    env = simpy.Environment(initial_time=-warmup_whole_days(world) * DAY_S)
    env.process(traffic_process(env, ctx, on_batch))
    if processes:
        env.process(retention_process(env, ctx))
    for proc in processes:
        env.process(proc(env, ctx))
    env.run(until=days * DAY_S)
    return finish(ctx, seed, days)


def finish(ctx: RunContext, seed: int, days: float) -> RunRecords:
    """Assemble the records: the store's columns as they stand (views, no copy)."""
    world = ctx.world
    return RunRecords(seed=seed, days=days, owners=world.owners, cameras=world.cameras,
                      vehicles=world.traffic.vehicles, reads=ctx.store.all_reads(),
                      records_sha256=ctx.hasher.hexdigest(), no_reads=ctx.no_reads, passes=ctx.passes,
                      warmup_days=warmup_whole_days(world))
