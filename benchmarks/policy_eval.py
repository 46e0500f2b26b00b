"""Policy evaluation and audit throughput at simulator scale.

Figures: decisions per second for ``evaluate_many`` (one search over 400 networks) under
ca-sb34-sb54 and strict, each against ``decide`` called network by network in the same
run; audit rows appended per second (400 networks a row) against the bare canonical JSON
serialisation of the same rows.
"""

from __future__ import annotations

import json
import time

import numpy as np

from benchmarks import emit, log
from lookup.audit import AuditLog, NetworkEntry
from lookup.policy import Context, Network, decide, evaluate_many
from lookup.requests import Organization, ReadQuery, SearchRequest
from scenarios.policy_files import load_pack

REASONS = ["ICE case", "AOA", "investigation", "ICE WARRANT", "Immigration - HSI", "211PC", "245(a)(2)PC",
           "10851 VC", "stolen vehicle", "missing person", "inv", "BOL", "robbery", "HSI", "daytime search for best result"]


def _world(rng: np.random.Generator, n_owners: int = 400, n_requests: int = 300):
    owners = [Organization(f"ca-{i}", f"CA agency {i}", "local", "CA") for i in range(n_owners - 50)]
    owners += [Organization(f"tx-{i}", f"TX agency {i}", "out_of_state", "TX") for i in range(50)]
    requesters = owners[:20] + [Organization("ice-ero", "ICE ERO", "federal", "US"),
                                Organization("chp", "CHP", "state", "CA")]
    registry = {o.slug: o for o in requesters}
    requests = []
    for i in range(n_requests):
        who = requesters[int(rng.integers(len(requesters)))]
        now = 30 * 86400 + i * 60
        requests.append((who, SearchRequest(
            f"r{i}", who.slug, "officer", now, REASONS[int(rng.integers(len(REASONS)))], "plate",
            ReadQuery(plate="7ABC123", start_s=now - 86400, end_s=now),
            case_number="26-01628" if rng.random() < 0.6 else None,
            on_behalf_of=["chp", None, "ice-ero"][int(rng.integers(3))])))
    return owners, requests, registry


def _rate(fn, repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rng = np.random.default_rng(7)
    owners, requests, registry = _world(rng)
    for pack_name in ("ca-sb34-sb54", "strict"):
        layers = load_pack(pack_name).layers
        networks = [Network(o, layers, "share") for o in owners]
        decisions = len(requests) * len(networks)

        def many(networks=networks):
            for who, req in requests:
                evaluate_many(req, who, networks, Context(req.time_s, lookup_org=registry.get))

        def one_by_one(networks=networks):
            for who, req in requests:
                context = Context(req.time_s, lookup_org=registry.get)
                for n in networks:
                    decide(req, who, n.owner, n.layers, context, n.via)

        many()  # warm the static pre-filter caches, as a long run would
        log(f"{pack_name}: {decisions} decisions per pass")
        t_base = _rate(one_by_one)
        t_many = _rate(many, 2)
        emit(f"policy_decisions_per_s_{pack_name}", decisions / t_many, "decisions/s",
             baseline=decisions / t_base, networks=len(networks), searches=len(requests))

    audit_log = AuditLog()
    who, req = requests[0]
    entries = [NetworkEntry(o.slug, 30, "allow", "open/default", True, 2) for o in owners]
    rows = 300
    t_append = _rate(lambda: [audit_log.append(req, who, entries) for _ in range(rows)])
    sample = audit_log[0].to_record()
    t_json = _rate(lambda: [json.dumps(sample, sort_keys=True, separators=(",", ":")) for _ in range(rows)])
    emit("audit_rows_appended_per_s", rows / t_append, "rows/s", baseline=rows / t_json,
         networks_per_row=len(entries), baseline_is="canonical JSON of the same rows only")
