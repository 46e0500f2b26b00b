"""A Rego policy (``regopy``, rego-cpp) behind our evaluator's interface.

The module is ``package alprsim`` and defines ``deny``, a set of rule ids (strings),
and ``allow``, a boolean (docs/policies.md). The input document is
``lookup.policy_external.facts`` of one (request, network) pair. A non-empty ``deny``
denies, named by its first id in sorted order; else ``allow`` allows; else the default
denies. An engine error, or an answer without those names, denies (fail closed).
regopy has no batch call: one query per network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import regopy

from lookup.policy_external import facts, failed
from lookup.policy_model import Context, Decision, Network, PolicyError
from lookup.requests import Organization, SearchRequest

QUERY = "data.alprsim"


class RegoPolicy:
    def __init__(self, text: str, name: str = "rego"):
        self.name = name.rsplit(".", 1)[0]
        self.source = f"Rego policy {name}"
        self.text = text
        self._local = threading.local()  # an interpreter holds its input: one per thread
        try:
            self._interpreter()
        except regopy.RegoError as error:
            raise PolicyError(name, (), f"not a Rego module: {str(error)[:300]}") from None

    def _interpreter(self) -> regopy.Interpreter:
        rego = getattr(self._local, "rego", None)
        if rego is None:
            rego = regopy.Interpreter()
            rego.add_module(self.name, self.text)
            self._local.rego = rego
        return rego

    def decide(self, document: dict) -> Decision:
        try:
            rego = self._interpreter()
            rego.set_input(document)
            answer = rego.query(QUERY).results[0].expressions[0]
            deny, allow = answer.get("deny", []), answer.get("allow", False)
            if not isinstance(deny, list) or not isinstance(allow, bool):
                raise ValueError(f"data.alprsim must define deny (a set) and allow (a boolean), got {answer!r:.200}")
        except Exception as error:  # fail closed
            return failed(self.name, error)
        if deny:
            rule = sorted(str(d) for d in deny)[0]
            return Decision("deny", self.name, rule, f"denied by Rego rule {rule}")
        if allow:
            return Decision("allow", self.name, "allow", "allowed by the Rego policy")
        return Decision("deny", self.name, "default", "the Rego policy does not allow it (default deny)")

    def evaluate_many(self, request: SearchRequest, requester: Organization, networks: Iterable[Network],
                      context: Context) -> list[Decision]:
        return [self.decide(facts(request, requester, n.owner, n.via, context.lookup_org)) for n in networks]


__all__ = ["RegoPolicy"]
