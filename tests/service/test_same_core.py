"""Over HTTP, the simulator gets the in-process answers: same decisions, rows and audit rows."""

from __future__ import annotations

import numpy as np
import pytest

from lookup.access import keyed_approvals
from lookup.audit import AuditLog
from lookup.policy import policy_from_dict
from lookup.requests import Organization, ReadQuery, SearchRequest
from lookup.search import LookupService
from lookup.sharing import SharingGraph
from lookup.store import ReadStore
from scenarios.policy_files import load_pack
from scenarios.service_run import connect_world, pack_document
from sim.plates import decode_many
from tests.service.conftest import ADMIN_KEY, Server

ALPHA_OWN = {"name": "alpha-own", "source": "tests", "layer": "owner", "default": "allow", "rules": [
    {"id": "case-needed", "when": {"requester.kind": "state", "request.case_number": {"present": False}},
     "effect": "deny", "message": "alpha: outside searches need a case number"},
    {"id": "hourly", "when": {"request.search_type": "plate"}, "effect": "limit",
     "limit": {"rate": {"max": 1, "per_s": 7200, "per": "requester"}}},
    {"id": "outside-approval", "when": {"access.via": {"ne": "own"}, "request.search_type": "partial"},
     "effect": "require_approval", "approval": {"delay_s": 600, "probability": 0.7}},
]}
APPROVAL_SEED = 7
REASONS = ["stolen vehicle", "ICE ERO request", "investigation", "211PC", "assist FBI", "homicide"]


def registry(owners: tuple[str, ...]) -> dict[str, Organization]:
    orgs = {slug: Organization(slug, slug.replace("-", " ").title(), "local", "CA") for slug in owners}
    for org in (Organization("chp", "California Highway Patrol", "state", "CA"),
                Organization("fbi", "Federal Bureau of Investigation", "federal", "US"),
                Organization("reno-nv-pd", "Reno NV PD", "out_of_state", "NV"),
                Organization("tfo", "Task Force Officer", "local", "CA", frozenset({"task_force"}))):
        orgs[org.slug] = org
    return orgs


def random_request(rng: np.random.Generator, i: int, now_s: int, orgs: list[str], seen: np.ndarray
                   ) -> SearchRequest:
    plate = decode_many(seen[rng.integers(len(seen))][None])[0]
    kind = rng.choice(["plate", "plate", "plate", "partial", "window"])
    start = None if rng.random() < 0.3 else int(now_s - rng.integers(3600, 3 * 86400))
    start = None if start is None or start < 0 else start
    if kind == "plate":
        query = ReadQuery(plate=plate, start_s=start, end_s=None if start is None else now_s)
    elif kind == "partial":
        query = ReadQuery(plate_pattern=plate[:4] + "*", start_s=start, end_s=None if start is None else now_s)
    else:
        query = ReadQuery(start_s=max(0, now_s - 1800), end_s=now_s, cameras=(0, 1, 2, 3, 4, 5))
    return SearchRequest(
        f"q{i}", str(rng.choice(orgs)), f"user-{rng.integers(3)}", now_s, str(rng.choice(REASONS)),
        str(kind), query, offense_type=None if rng.random() < 0.5 else "10851 VC",
        case_number=None if rng.random() < 0.5 else f"26-{i:05d}",
        on_behalf_of=None if rng.random() < 0.8 else str(rng.choice(["fbi", "ICE", "chp"])))


def test_http_answers_equal_the_in_process_core(tmp_path, two_towns_world, two_towns_records):
    world, records = two_towns_world, two_towns_records
    alpha, beta = world.owners
    orgs = registry(world.owners)
    graph = SharingGraph(orgs, world.owners, frozenset({(alpha, "chp"), (alpha, "fbi"), (beta, "chp"),
                                                        (alpha, "tfo")}),
                         frozenset({beta}), frozenset({alpha, "reno-nv-pd"}))
    devices = np.bincount(world.cameras.owner, minlength=len(world.owners))
    local = LookupService(ReadStore(world.retention_days), world.owners,
                          {o: int(devices[i]) for i, o in enumerate(world.owners)}, graph,
                          load_pack("ca-sb34-sb54"), {alpha: policy_from_dict(ALPHA_OWN)}, AuditLog())
    server = Server(tmp_path / "same.sqlite", args=("--approval-seed", str(APPROVAL_SEED))).start()
    approvals = keyed_approvals(APPROVAL_SEED)
    session = connect_world(world, server.url, ADMIN_KEY, orgs.values(), "ca-sb34-sb54", {alpha: ALPHA_OWN}, graph)
    try:
        reads = records.reads.take(records.measured())  # the measured days (the warm-up has time_s < 0)
        hour = reads.time_s // 3600
        assert np.all(np.diff(reads.time_s) >= 0)
        rng = np.random.default_rng(2026)
        compared, effects = 0, set()
        for h in range(int(hour.max()) + 1):
            batch = reads.take(hour == h)
            local.store.append(batch)
            session.store.append(batch)
            if h and h % 24 == 0:
                local.store.purge(h * 3600)
                session.store.purge(h * 3600)
            seen = reads.plate[:len(session.store)]
            for _ in range(3):
                request = random_request(rng, compared, h * 3600 + 1800, sorted(orgs), seen)
                expected = local.search(request, approvals(request))
                got = session.lookup.search(request)
                assert [(n.owner, n.via, n.decision.effect, n.decision.rule_ref, n.searched, n.reads, n.delay_s)
                        for n in got.networks] == [
                    (n.owner, n.via, n.decision.effect, n.decision.rule_ref, n.searched, n.reads, n.delay_s)
                    for n in expected.networks], request
                np.testing.assert_array_equal(got.rows, expected.rows)
                np.testing.assert_array_equal(got.row_delay_s, expected.row_delay_s)
                assert got.audit == expected.audit == session.lookup.audit_rows[-1]
                effects |= {(n.decision.effect, n.searched) for n in expected.networks}
                compared += 1
        assert effects == {("allow", True), ("deny", False), ("rate_limited", False), ("require_approval", True),
                           ("require_approval", False)}  # the comparison covered every outcome
        assert session.admin.verify()["ok"] and len(local.audit) == compared
        assert session.admin.stats()["reads_appended"] == len(reads)
    finally:
        session.close()
        server.stop()


def test_a_pack_sent_inlined_is_the_pack_loaded_from_files():
    from lookup.policy import pack_from_dict

    for name in ("open", "ca-sb34-sb54", "strict", "flock-2025"):
        def refuse(*_):
            raise AssertionError("no includes left")

        assert pack_from_dict(pack_document(name), name, refuse).layers == load_pack(name).layers


@pytest.mark.parametrize("name", ["no-such-pack"])
def test_an_unknown_pack_is_a_clear_error(name):
    from lookup.policy import PolicyError

    with pytest.raises(PolicyError, match="no such policy pack"):
        pack_document(name)
