"""Our evaluator beside Cedar (cedarpy) and Rego (regopy) on the same decisions.

The requests of ``benchmarks.policy_eval`` (searches by California, federal and state
agencies with the reasons seen in reporting, each over 400 networks) decided under
``ca-sb34-sb54`` by our ``evaluate_many``, by ``examples/policies/ca-sb34-sb54.cedar``
one network at a time (``cedarpy.is_authorized``) and batched per search
(``cedarpy.is_authorized_batch``), and by the ``.rego`` file (one query per network, on
fewer requests: it is slow). Every engine's effects are checked equal to ours first.
Goal (issue 13): ours >= 10x cedarpy one by one.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks import emit, log
from benchmarks.policy_eval import _world
from lookup.policy import Context, Network, evaluate_many
from lookup.policy_external import load_policy_file
from scenarios.policy_files import load_pack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "policies"


def main() -> None:
    rng = np.random.default_rng(7)
    owners, requests, registry = _world(rng, n_owners=400, n_requests=60)
    layers = load_pack("ca-sb34-sb54").layers
    cedar = load_policy_file(EXAMPLES / "ca-sb34-sb54.cedar").adapter
    rego = load_policy_file(EXAMPLES / "ca-sb34-sb54.rego").adapter
    ours_networks = [Network(o, layers, "share") for o in owners]
    plain = [Network(o, (), "share") for o in owners]
    n = len(requests) * len(owners)

    def context(req):
        return Context(now_s=req.time_s, lookup_org=registry.get)

    log("checking that the engines agree")
    for who, req in requests[:10]:
        ours = [d.effect for d in evaluate_many(req, who, ours_networks, context(req))]
        assert [d.effect for d in cedar.evaluate_many(req, who, plain, context(req))] == ours
        assert [d.effect for d in rego.evaluate_many(req, who, plain[:40], context(req))] == ours[:40]

    t = time.perf_counter()
    for who, req in requests:
        evaluate_many(req, who, ours_networks, context(req))
    ours_rate = n / (time.perf_counter() - t)

    log("cedarpy batched")
    t = time.perf_counter()
    for who, req in requests:
        cedar.evaluate_many(req, who, plain, context(req))
    batched = n / (time.perf_counter() - t)

    log("cedarpy one by one")
    few = requests[:10]
    t = time.perf_counter()
    for who, req in few:
        for net in plain:
            cedar.evaluate_one(req, who, net, context(req))
    one_by_one = len(few) * len(plain) / (time.perf_counter() - t)

    log("regopy one query per network")
    t = time.perf_counter()
    for who, req in requests[:3]:
        rego.evaluate_many(req, who, plain[:100], context(req))
    rego_rate = 3 * 100 / (time.perf_counter() - t)

    emit("policy_cedar.ours_vs_cedar_one_by_one", ours_rate, "decisions/s", baseline=one_by_one, networks=len(owners))
    emit("policy_cedar.ours_vs_cedar_batched", ours_rate, "decisions/s", baseline=batched, networks=len(owners))
    emit("policy_cedar.cedar_batched_vs_one_by_one", batched, "decisions/s", baseline=one_by_one)
    emit("policy_cedar.ours_vs_rego", ours_rate, "decisions/s", baseline=rego_rate)


if __name__ == "__main__":
    main()
