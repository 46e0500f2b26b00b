"""The lookup service over HTTP on a large store, beside the same query on the SQLite file.

Seeds a store of ``ALPRSIM_BENCH_READS`` reads (default 10 million: 500,000 vehicles,
three owners, 30 days) with ``bulk_append``, starts ``alprsim serve`` on it (a separate
process on 127.0.0.1), then measures, in the same run:

- exact-plate searches over loopback (``ALPRSIM_BENCH_CLIENTS`` concurrent clients for
  ``ALPRSIM_BENCH_SECONDS`` seconds): searches/s, p50 and p99 latency, each beside the
  same exact-plate query made directly on the SQLite file (one connection, no HTTP, no
  policy, no audit row);
- ingest over HTTP (camera key, 20,000-read batches encoded beforehand, as an uploader
  holds them) in reads/s, beside the same batches appended in process through the domain
  call (``PersistentService.ingest``);
- a bare FastAPI route answering a small JSON POST (same uvicorn, same clients, same
  run): the ceiling of the HTTP stack on this machine, beside our searches per second;
- the server process's CPU time per search (beside the bare route's) and reads ingested
  per server CPU second: on a machine shared with other work these hold still while the
  rates above move with the load (Linux only: read from /proc).

Each search client has its own agency key (as each officer's client would): the
service's per-key throttle (``--key-rate``) bounds one key, not the service.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from pydantic import BaseModel

from benchmarks import emit, log
from lookup.access import Principal, SharingSettings
from lookup.client import batch_json
from lookup.persistent import PersistentService
from lookup.requests import Organization
from sim.plates import PLATE_FORMATS, decode_many
from sim.records import Reads

ADMIN = Principal("admin", "admin", None)
ADMIN_KEY = "benchmark-admin-key"
OWNERS = ("oakland-ca-pd", "san-francisco-ca-pd", "california-highway-patrol")
OPEN = {"name": "open", "source": "benchmark", "layers": [{"policy": {
    "name": "open", "source": "benchmark", "layer": "baseline", "default": "allow"}}]}
DAY_S = 86_400


def synthetic_reads(rng: np.random.Generator, plates: np.ndarray, n: int, t0: int, span_s: int, owner: int) -> Reads:
    return Reads.from_columns({
        "time_s": np.sort(rng.integers(t0, t0 + span_s, n)), "camera": rng.integers(0, 1000, n),
        "owner": np.full(n, owner), "plate": plates[rng.integers(0, len(plates), n)],
        "plate_state": np.zeros(n), "confidence": rng.random(n).astype(np.float32),
        "make": rng.integers(0, 40, n), "colour": rng.integers(0, 12, n), "body": rng.integers(0, 6, n),
        "vehicle": np.full(n, -1)})


def seed_store(path: Path, total: int, plates: np.ndarray, rng: np.random.Generator) -> float:
    """Register the owners and bulk-load ``total`` reads; returns reads/s of the load."""
    service = PersistentService(path, ADMIN_KEY)
    for slug in OWNERS:
        service.create_org(ADMIN, Organization(slug, slug, "local", "CA"), owns_cameras=True, devices=1000,
                           retention_days=3650)
    service.create_org(ADMIN, Organization("alameda-so", "Alameda County Sheriff", "sheriff", "CA"))
    service.set_pack(ADMIN, OPEN)
    for slug in OWNERS:
        service.set_sharing(ADMIN, SharingSettings(("alameda-so",), True, False), slug)
    batch = 250_000
    hours = max(1, total // batch)

    def batches():
        done = 0
        for h in range(hours):
            n = min(batch, total - done)
            if n <= 0:
                return
            done += n
            yield synthetic_reads(rng, plates, n, int(h * 30 * DAY_S / hours), int(30 * DAY_S / hours), h % 3)

    t0 = time.perf_counter()
    added = service.store.bulk_append(batches())
    elapsed = time.perf_counter() - t0
    service.close()
    return added / elapsed


def domain_ingest(path: Path, plates: np.ndarray, rng: np.random.Generator, batches: int, size: int) -> float:
    service = PersistentService(path, ADMIN_KEY)
    service.create_org(ADMIN, Organization("bench-direct", "direct", "local", "CA"), owns_cameras=True)
    who = Principal("bench", "camera", "bench-direct")
    data = [synthetic_reads(rng, plates, size, 31 * DAY_S + i * 60, 60, 0) for i in range(batches)]
    t0 = time.perf_counter()
    for i, reads in enumerate(data):
        service.ingest(who, reads, f"direct-{i}")
    elapsed = time.perf_counter() - t0
    service.close()
    return batches * size / elapsed


class SmallBody(BaseModel):
    request_id: str
    user: str
    reason: str = ""


def bare_app():
    """A bare FastAPI route answering a small JSON POST: the HTTP stack's ceiling."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/bare")
    def bare(body: SmallBody) -> dict:
        return {"request_id": body.request_id, "status": "served"}

    return app


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far (Linux /proc), else None. On
    a machine shared with other work, a server's CPU time per request is the figure the
    load does not move; its requests per second are not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _per(before: float | None, after: float | None, count: float) -> float | None:
    return None if before is None or after is None or not count else (after - before) / count


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_bare() -> tuple[subprocess.Popen, str]:
    port = _port()
    root = Path(__file__).resolve().parents[1]
    code = ("import uvicorn; from benchmarks.service import bare_app; "
            f"uvicorn.run(bare_app(), host='127.0.0.1', port={port}, log_level='error', access_log=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(root)})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.post(f"{url}/bare", json={"request_id": "x", "user": "u"}, timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the bare server did not start")


def start_server(path: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "scenarios.cli_serve", "--db", str(path), "--port", str(port),
                             "--log-level", "error"], cwd=root, stdout=subprocess.DEVNULL,
                            env={**os.environ, "ALPRSIM_ADMIN_KEY": ADMIN_KEY, "PYTHONPATH": str(root)})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def http_searches(url: str, keys: list[str], plates: list[str], clients: int, seconds: float,
                  path: str = "/v1/searches") -> tuple[float, np.ndarray]:
    """(searches/s, latencies in s) of ``clients`` threads searching exact plates for ``seconds``
    (client ``k`` with ``keys[k]``); ``path`` /bare for the bare route."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def worker(k: int) -> None:
        rng = np.random.default_rng(k)
        headers = {"Authorization": f"Bearer {keys[k]}"} if keys[k] else {}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            i = 0
            while time.perf_counter() < deadline:
                body = {"request_id": f"bench-{k}-{i}", "user": f"officer-{k}", "reason": "stolen vehicle",
                        "case_number": f"26-{i}", "query": {"plate": plates[rng.integers(len(plates))]}}
                if path == "/bare":
                    body = {"request_id": body["request_id"], "user": body["user"], "reason": body["reason"]}
                t = time.perf_counter()
                r = c.post(path, json=body)
                latencies[k].append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"search answered {r.status_code}: {r.text[:200]}")
                i += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    flat = np.array([x for part in latencies for x in part])
    return len(flat) / elapsed, flat


def direct_queries(path: Path, codes: np.ndarray, seconds: float) -> tuple[float, np.ndarray]:
    """The same exact-plate query on the file (the view over the day tables, each probed
    by its plate index): the rows and the columns a search returns."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA mmap_size=4294967296")  # as the service reads it
    rng = np.random.default_rng(99)
    latencies = []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        code = int(codes[rng.integers(len(codes))])
        t = time.perf_counter()
        conn.execute("SELECT id, time_s, camera, owner, plate, plate_state, confidence, make, colour, body "
                     "FROM reads WHERE plate = ? AND time_s < ?", (code, 31 * DAY_S + 1)
                     ).fetchall()
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    conn.close()
    return len(latencies) / elapsed, np.array(latencies)


def http_ingest(url: str, key: str, plates: np.ndarray, rng: np.random.Generator, batches: int, size: int) -> float:
    # encoded beforehand, as a camera's uploader would hold them: the figure is the service's
    bodies = [batch_json(synthetic_reads(rng, plates, size, 32 * DAY_S + i * 60, 60, 0), f"http-{i}")
              for i in range(batches)]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}",
                                             "content-type": "application/json"}, timeout=120) as c:
        t0 = time.perf_counter()
        for body in bodies:
            r = c.post("/v1/reads/batches", content=body)
            if r.status_code != 201:
                raise RuntimeError(f"ingest answered {r.status_code}: {r.text[:200]}")
        return batches * size / (time.perf_counter() - t0)


def main() -> None:
    total = int(os.environ.get("ALPRSIM_BENCH_READS", 10_000_000))
    clients = int(os.environ.get("ALPRSIM_BENCH_CLIENTS", 4))
    seconds = float(os.environ.get("ALPRSIM_BENCH_SECONDS", 10))
    rng = np.random.default_rng(2026)
    plates = np.unique(PLATE_FORMATS["CA"].generate(rng, 500_000))
    with tempfile.TemporaryDirectory(prefix="alprsim-bench-") as tmp:
        path = Path(tmp) / "service.sqlite"
        log(f"seeding {total:,} reads")
        load_rate = seed_store(path, total, plates, rng)
        emit("service.bulk_load_reads_per_s", load_rate, "reads/s", store_reads=total)
        log("ingest in process")
        direct_ingest = domain_ingest(path, plates, rng, 10, 20_000)
        proc, url = start_server(path)
        try:
            admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
            admin.put("/v1/admin/clock", json={"now_s": 31 * DAY_S})  # the searches' time: the server's clock
            agencies = [admin.post("/v1/admin/keys", json={"org": "alameda-so", "role": "agency"}).json()["key"]
                        for _ in range(clients)]
            camera = admin.post("/v1/admin/keys", json={"org": OWNERS[0], "role": "camera"}).json()["key"]
            texts = decode_many(plates)
            log(f"searching over HTTP: {clients} clients, {seconds:g} s")
            cpu0 = process_cpu_s(proc.pid)
            http_rate, http_lat = http_searches(url, agencies, texts, clients, seconds)
            search_cpu_s = _per(cpu0, process_cpu_s(proc.pid), len(http_lat))
            log(f"the bare route: {clients} clients, {seconds:g} s")
            bare_proc, bare_url = start_bare()
            try:
                cpu0 = process_cpu_s(bare_proc.pid)
                bare_rate, bare_lat = http_searches(bare_url, [""] * clients, texts, clients, seconds, "/bare")
                bare_cpu_s = _per(cpu0, process_cpu_s(bare_proc.pid), len(bare_lat))
            finally:
                os.kill(bare_proc.pid, signal.SIGTERM)
                bare_proc.wait(30)
            log("the same query on the file")
            file_rate, file_lat = direct_queries(path, plates, min(seconds, 5.0))
            log("ingest over HTTP")
            cpu0 = process_cpu_s(proc.pid)
            http_rate_ingest = http_ingest(url, camera, plates, rng, 10, 20_000)
            ingest_cpu_s = _per(cpu0, process_cpu_s(proc.pid), 10 * 20_000)
            stored = admin.get("/v1/admin/stats").json()["reads_stored"]
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(30)
    extra = {"store_reads": stored, "clients": clients}
    emit("service.search_per_s", http_rate, "searches/s", baseline=file_rate, **extra)
    emit("service.search_per_s_vs_bare_route", http_rate, "searches/s", baseline=bare_rate, **extra)
    emit("service.bare_route_p50_ms", float(np.percentile(bare_lat, 50)) * 1e3, "ms",
         baseline=float(np.percentile(http_lat, 50)) * 1e3, **extra)
    emit("service.search_p50_ms", float(np.percentile(http_lat, 50)) * 1e3, "ms",
         baseline=float(np.percentile(file_lat, 50)) * 1e3, **extra)
    emit("service.search_p99_ms", float(np.percentile(http_lat, 99)) * 1e3, "ms",
         baseline=float(np.percentile(file_lat, 99)) * 1e3, **extra)
    emit("service.ingest_http_reads_per_s", http_rate_ingest, "reads/s", baseline=direct_ingest,
         batch_reads=20_000, **extra)
    if search_cpu_s is not None and bare_cpu_s is not None:
        # the server's CPU time per request (the bare route's as baseline): what the
        # searches/s would be on a core of its own, whatever else the machine is running
        emit("service.search_server_cpu_ms", search_cpu_s * 1e3, "ms", baseline=bare_cpu_s * 1e3, **extra)
    if ingest_cpu_s is not None:
        emit("service.ingest_http_reads_per_server_cpu_s", 1 / ingest_cpu_s, "reads/s", batch_reads=20_000,
             **extra)


if __name__ == "__main__":
    main()
