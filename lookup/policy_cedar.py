"""A Cedar policy (``cedarpy``) behind our evaluator's interface, batched per search.

Mapping (docs/policies.md): principal ``Agency::"<requester slug>"`` and resource
``Network::"<owner slug>"``, entities with attributes ``kind``, ``state`` and ``tags``
(a set); action ``Action::"search"``; the context is ``lookup.policy_external.facts``
less the two organizations: ``via``, ``request`` (a record of the declared fields),
``words`` (the declared texts as words) and ``beneficiary``. Cedar's answer is Allow or
Deny; the deciding policy (the first in file order of those Cedar reports) is named by
its ``@id("...")`` annotation (else ``policyN``).
Cedar skips a policy whose evaluation errs; here any error denies (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import cedarpy

from lookup.policy_external import facts, failed
from lookup.policy_model import Context, Decision, Network, PolicyError
from lookup.requests import Organization, SearchRequest

ACTION = {"type": "Action", "id": "search"}
_STATEMENT = re.compile(r"\b(permit|forbid)\s*\(")
_ANNOTATION_ID = re.compile(r'@id\(\s*"([^"]*)"\s*\)')
_COMMENT = re.compile(r"//[^\n]*")


def _ids(text: str) -> list[str]:
    """Each statement's ``@id`` annotation, in order (cedarpy names them policy0, policy1...)."""
    code = _COMMENT.sub("", text)
    out, last_end = [], 0
    for i, match in enumerate(_STATEMENT.finditer(code)):
        between = code[last_end:match.start()]
        found = _ANNOTATION_ID.findall(between)
        out.append(found[-1] if found else f"policy{i}")
        end = code.find(";", match.end())
        last_end = match.end() if end < 0 else end + 1
    return out


def _entity(kind: str, org: dict) -> dict:
    return {"uid": {"type": kind, "id": org["slug"]},
            "attrs": {"kind": org["kind"], "state": org["state"], "tags": org["tags"]}, "parents": []}


def _order(policy_id: str) -> tuple[int, str]:
    tail = policy_id[6:] if policy_id.startswith("policy") else ""
    return (int(tail), "") if tail.isdigit() else (1 << 30, policy_id)


class CedarPolicy:
    """One Cedar policy set; ``evaluate_many`` sends one batch per search."""

    def __init__(self, text: str, name: str = "cedar"):
        self.name = name.rsplit(".", 1)[0]
        self.source = f"Cedar policy {name}"
        try:
            self.policies = cedarpy.PolicySet.from_str(text)
        except Exception as error:  # cedarpy raises its own parse errors
            raise PolicyError(name, (), f"not a Cedar policy set: {error}") from None
        self.ids = _ids(text)

    def requests(self, request: SearchRequest, requester: Organization, networks: Iterable[Network],
                 context: Context) -> tuple[list[dict], list[dict]]:
        """(Cedar requests, entities) for every network one search reaches."""
        entities: dict[tuple[str, str], dict] = {}
        out = []
        for network in networks:
            f = facts(request, requester, network.owner, network.via, context.lookup_org)
            entities[("Agency", requester.slug)] = _entity("Agency", f["requester"])
            entities[("Network", network.owner.slug)] = _entity("Network", f["owner"])
            out.append({"principal": {"type": "Agency", "id": requester.slug}, "action": ACTION,
                        "resource": {"type": "Network", "id": network.owner.slug},
                        "context": {"via": f["via"], "request": f["request"], "words": f["words"],
                                    "beneficiary": f["beneficiary"]}})
        return out, list(entities.values())

    def decision(self, result) -> Decision:
        if result.diagnostics.errors:
            return failed(self.name, "; ".join(result.diagnostics.errors)[:300])
        # Cedar's determining policies come as a set: name the first in file order
        reasons = [self._rule(r) for r in sorted(result.diagnostics.reasons, key=_order)]
        if result.allowed:
            return Decision("allow", self.name, reasons[0] if reasons else "permit", "permitted by a Cedar policy")
        if not reasons:
            return Decision("deny", self.name, "default", "no Cedar policy permits it (default deny)")
        return Decision("deny", self.name, reasons[0], f"forbidden by Cedar policy {reasons[0]}")

    def _rule(self, policy_id: str) -> str:
        if policy_id.startswith("policy") and policy_id[6:].isdigit() and int(policy_id[6:]) < len(self.ids):
            return self.ids[int(policy_id[6:])]
        return policy_id

    def evaluate_many(self, request: SearchRequest, requester: Organization, networks: Iterable[Network],
                      context: Context) -> list[Decision]:
        networks = list(networks)
        if not networks:
            return []
        try:
            batch, entities = self.requests(request, requester, networks, context)
            results = cedarpy.is_authorized_batch(batch, self.policies, entities)
        except Exception as error:  # fail closed
            return [failed(self.name, error)] * len(networks)
        return [self.decision(r) for r in results]

    def evaluate_one(self, request: SearchRequest, requester: Organization, network: Network,
                     context: Context) -> Decision:
        """One network, one engine call (for the benchmark's one-by-one figure)."""
        try:
            (single,), entities = self.requests(request, requester, [network], context)
            return self.decision(cedarpy.is_authorized(single, self.policies, entities))
        except Exception as error:
            return failed(self.name, error)


__all__ = ["CedarPolicy"]
