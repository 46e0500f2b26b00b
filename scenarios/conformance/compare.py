"""``alprsim policies compare PACK FILE``: a Cedar or Rego policy beside a built-in pack on
the standard request corpus, every disagreement listed with its request.

The standard corpus: the conformance kit's policy corpus (``corpus.CASES``, each against
``conf-owner``'s network) and the requests of every built-in pack's test table
(``scenarios/builtin/policies/tests``), each with its own organizations. The pack's
layers decide (our evaluator); the file decides through its adapter. Owners' own
policies are left out on both sides: a policy file stands in for the whole pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lookup.policy import Context, Decision, Network, PolicyPack, decide
from lookup.policy_external import ExternalPack, load_policy_file
from lookup.requests import Organization, SearchRequest
from scenarios.conformance.corpus import CASES, as_request, orgs
from scenarios.conformance.fixture import OWNER
from scenarios.policy_files import TESTS_DIR, load_pack, load_policy_tests


@dataclass(frozen=True)
class CorpusRequest:
    label: str  # where it comes from
    request: SearchRequest
    requester: Organization
    owner: Organization
    via: str
    lookup_org: Callable[[str], Organization | None]

    def describe(self) -> str:
        r = self.request
        parts = [f"{self.requester.slug} ({self.requester.kind}, {self.requester.state}) -> {self.owner.slug} "
                 f"via {self.via}", f"reason {r.reason!r}"]
        parts += [f"{name} {getattr(r, name)!r}" for name in ("offense_type", "on_behalf_of")
                  if getattr(r, name)]
        return ", ".join(parts)


@dataclass(frozen=True)
class Disagreement:
    item: CorpusRequest
    ours: Decision
    theirs: Decision


def standard_corpus() -> list[CorpusRequest]:
    registry = orgs()
    out = [CorpusRequest(f"conformance POL-{i + 1:02d}", as_request(case, f"corpus-{i}", "7KIT000"),
                         registry[case.requester], registry[OWNER], "own" if case.requester == OWNER else "share",
                         registry.get) for i, case in enumerate(CASES)]
    for path in sorted(TESTS_DIR.glob("*.yaml")):
        tests = load_policy_tests(path)
        out += [CorpusRequest(f"{path.stem} test: {case.name}", case.request, case.requester, case.owner, case.via,
                              tests.lookup_org) for case in tests.cases]
    return out


def compare(pack: PolicyPack, external: ExternalPack, corpus: list[CorpusRequest] | None = None
            ) -> tuple[int, list[Disagreement]]:
    """(requests compared, those whose effects differ)."""
    corpus = standard_corpus() if corpus is None else corpus
    differ = []
    for item in corpus:
        context = Context(now_s=item.request.time_s, lookup_org=item.lookup_org)
        ours = decide(item.request, item.requester, item.owner, pack.layers, context, item.via)
        theirs = external.evaluate_many(item.request, item.requester, [Network(item.owner, (), item.via)], context)[0]
        if ours.effect != theirs.effect:
            differ.append(Disagreement(item, ours, theirs))
    return len(corpus), differ


def compare_files(pack_name: str, policy_file: str | Path) -> tuple[int, list[Disagreement]]:
    return compare(load_pack(pack_name), load_policy_file(policy_file))


__all__ = ["CorpusRequest", "Disagreement", "compare", "compare_files", "standard_corpus"]
