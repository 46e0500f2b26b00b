"""Policies in other languages (Cedar, Rego) behind our evaluator's interface.

``facts`` maps what our policy language may read (``lookup.policy_model.ATTRIBUTES``) to
plain data both adapters hand their engine: the requester's and the owner's registered
attributes, how the network was reached, the declared request, and the declared
beneficiary when it names a registered organization (docs/policies.md). Neither Cedar
nor Rego's strings match whole words case-insensitively as our ``keywords`` operator
does, so the mapping also gives each declared text as its words: casefolded runs of
letters and digits, space-separated, with a space at each end (``" ice ero case "``), so
that a keyword is ``like "* ice ero *"`` in Cedar or ``contains(..., " ice ero ")`` in Rego.

An ``ExternalPack`` is a ``PolicyPack`` whose decisions come from ``evaluate_many`` of an
adapter (``lookup.policy_cedar.CedarPolicy``, ``lookup.policy_rego.RegoPolicy``) instead
of its layers; ``lookup.search.LookupService`` calls it when present. Owners' own
policies do not apply under it: the file decides. Any engine error denies (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lookup.policy_model import Context, Decision, Network, PolicyError, PolicyPack
from lookup.requests import Organization, SearchRequest

_WORD = re.compile(r"[^\W_]+")


def words(text: str | None) -> str:
    """A declared text as its words: ``"ICE+ERO case"`` -> ``" ice ero case "``."""
    found = _WORD.findall((text or "").casefold())
    return " " + " ".join(found) + " " if found else " "


def _org(org: Organization | None) -> dict[str, Any]:
    if org is None:
        return {"slug": "", "kind": "", "state": "", "tags": []}
    return {"slug": org.slug, "kind": org.kind, "state": org.state, "tags": sorted(org.tags)}


def _text(value: str | None) -> str:
    return (value or "").strip()


def facts(request: SearchRequest, requester: Organization, owner: Organization, via: str,
          lookup_org: Callable[[str], Organization | None] | None = None) -> dict[str, Any]:
    """The attributes of one (request, network) pair, as plain data (docs/policies.md)."""
    declared = " | ".join(p for p in (request.reason, request.offense_type, request.on_behalf_of) if p and p.strip())
    beneficiary = None
    if _text(request.on_behalf_of) and lookup_org is not None:
        beneficiary = lookup_org(_text(request.on_behalf_of))
    window = request.window_s
    return {
        "requester": _org(requester),
        "owner": _org(owner),
        "via": via,
        "request": {
            "reason": _text(request.reason), "offense_type": _text(request.offense_type),
            "case_number": _text(request.case_number), "on_behalf_of": _text(request.on_behalf_of),
            "user": _text(request.user), "search_type": request.search_type,
            "window_s": -1 if window is None else int(window),
            "has_offense_type": bool(_text(request.offense_type)),
            "has_case_number": bool(_text(request.case_number)),
            "declared_text": declared,
        },
        "words": {"declared": words(declared), "reason": words(request.reason),
                  "offense_type": words(request.offense_type), "on_behalf_of": words(request.on_behalf_of)},
        "beneficiary": {"registered": beneficiary is not None, **_org(beneficiary)},
    }


class Adapter(Protocol):
    name: str
    source: str

    def evaluate_many(self, request: SearchRequest, requester: Organization, networks: Iterable[Network],
                      context: Context) -> list[Decision]: ...


@dataclass(frozen=True)
class ExternalPack(PolicyPack):
    """A pack decided by an external policy file (its layers are unused)."""

    adapter: Any = field(default=None, compare=False, hash=False)

    def evaluate_many(self, request: SearchRequest, requester: Organization, networks: Iterable[Network],
                      context: Context) -> list[Decision]:
        return self.adapter.evaluate_many(request, requester, networks, context)


def failed(name: str, error: Exception | str) -> Decision:
    return Decision("deny", name, "evaluation-error", f"the policy engine failed ({error}); denied")


def load_policy_file(path: str | Path, base: PolicyPack | None = None) -> ExternalPack:
    """A ``.cedar`` or ``.rego`` file as a pack. ``base`` (the pack it stands in for) is
    accepted for the callers' symmetry; sharing is the scenario's, so nothing is taken from it."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(str(path), (), "no such policy file")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".cedar":
        from lookup.policy_cedar import CedarPolicy

        adapter: Adapter = CedarPolicy(text, path.name)
    elif path.suffix == ".rego":
        from lookup.policy_rego import RegoPolicy

        adapter = RegoPolicy(text, path.name)
    else:
        raise PolicyError(str(path), (), f"unknown policy language {path.suffix!r}: expected .cedar or .rego")
    return ExternalPack(adapter.name, adapter.source, (), description=f"{path.suffix[1:]} policy {path.name}",
                        adapter=adapter)


__all__ = ["Adapter", "ExternalPack", "facts", "failed", "load_policy_file", "words"]
