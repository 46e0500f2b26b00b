"""The sharing graph: which organizations may search which owners' cameras, and how.

Flock's model (FACTS.md): each agency owns its data and chooses whom to share with:
specific agencies (1:1), every agency of its state, or none; "National Lookup" is
reciprocal: an agency that turns it on to search other states' cameras exposes its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lookup.requests import Organization


@dataclass(frozen=True)
class SharingGraph:
    orgs: dict[str, Organization]  # the registry: every organization, by slug
    owners: tuple[str, ...]  # organizations that own cameras
    shares: frozenset[tuple[str, str]] = frozenset()  # (owner, requester) 1:1 grants
    state_share: frozenset[str] = frozenset()  # owners that share with every agency of their state
    national_lookup: frozenset[str] = frozenset()  # organizations with National Lookup on

    def __post_init__(self) -> None:
        for owner, requester in self.shares:
            for slug, role in ((owner, "owner"), (requester, "requester")):
                if slug not in self.orgs:
                    raise ValueError(f"sharing: {role} {slug!r} of a share is not a registered organization")
        for slug in (*self.owners, *self.state_share, *self.national_lookup):
            if slug not in self.orgs:
                raise ValueError(f"sharing: {slug!r} is not a registered organization")

    def reachable(self, requester: str) -> list[tuple[str, str]]:
        """(owner, via) for every owner network a search by ``requester`` fans out to.

        ``via`` is the strongest path: own, then share, then state, then national_lookup.
        """
        org = self.orgs.get(requester)
        if org is None:
            return []
        out = []
        for owner in self.owners:
            if owner == requester:
                out.append((owner, "own"))
            elif (owner, requester) in self.shares:
                out.append((owner, "share"))
            elif owner in self.state_share and self.orgs[owner].state == org.state and org.kind != "federal":
                out.append((owner, "state"))
            elif requester in self.national_lookup and owner in self.national_lookup:
                out.append((owner, "national_lookup"))
        return out

    def without_shares(self, pairs: Iterable[tuple[str, str]]) -> SharingGraph:
        """The graph with some 1:1 grants revoked (an audit's sanction)."""
        return SharingGraph(self.orgs, self.owners, self.shares - frozenset(pairs), self.state_share,
                            self.national_lookup)
