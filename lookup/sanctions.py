"""Sanctions an owner imposes after an audit, and their effect on later searches.

A sanction is a record (who imposed it, on whom, what it does, from when until when, why,
and the exported audit rows that were its evidence). ``SanctionTable`` holds a run's
sanctions; ``SanctionedPack`` wraps a policy pack so that the one search core
(``lookup.search``) consults the table before the pack's layers: a network whose owner
has an active sanction naming the request is denied with the rule ``sanction/<id>``,
every other network is decided by the pack as before. The check fails closed: an error
while reading the table denies.

Actions:
- ``revoke_share``: the organization's searches no longer reach the owner's network
  (whatever path the sharing graph offers: a 1:1 share, state-wide, National Lookup);
- ``suspend_user``: that organization's user is refused on the owner's network (the
  owner's own officers included);
- ``require_beneficiary``: that organization's searches must declare a beneficiary
  (``on_behalf_of``) to reach the owner's network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lookup.policy import Decision, evaluate_many
from lookup.requests import SearchRequest

ACTIONS = ("revoke_share", "suspend_user", "require_beneficiary")
SANCTION_POLICY = "sanction"


@dataclass(frozen=True)
class Sanction:
    """One sanction: ``owner`` acts against ``org`` (and ``user``, for a suspension)."""

    id: str
    owner: str
    action: str  # one of ACTIONS
    org: str
    user: str | None
    start_s: float
    end_s: float
    reason: str  # the flags that led to it, e.g. "federal x3"
    evidence: tuple[str, ...]  # the flagged rows, as the exported log shows them

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"sanction {self.id}: action {self.action!r} is not one of {', '.join(ACTIONS)}")
        if self.action == "suspend_user" and not self.user:
            raise ValueError(f"sanction {self.id}: suspend_user names no user")
        if not self.end_s > self.start_s:
            raise ValueError(f"sanction {self.id}: ends ({self.end_s}) before it starts ({self.start_s})")

    def active(self, time_s: float) -> bool:
        return self.start_s <= time_s < self.end_s

    def refuses(self, owner: str, request: SearchRequest, via: str) -> bool:
        """Whether this sanction denies ``request`` on ``owner``'s network."""
        if owner != self.owner or request.org != self.org or not self.active(request.time_s):
            return False
        if self.action == "suspend_user":  # on the owner's network, its own officers included
            return request.user == self.user
        if via == "own":  # an owner does not revoke its own access
            return False
        if self.action == "revoke_share":
            return True
        return not request.on_behalf_of  # require_beneficiary


@dataclass
class SanctionTable:
    """A run's sanctions, in the order they were imposed (mutable: audits add to it)."""

    sanctions: list[Sanction] = field(default_factory=list)

    def add(self, sanction: Sanction) -> None:
        self.sanctions.append(sanction)

    def refusing(self, owner: str, request: SearchRequest, via: str) -> Sanction | None:
        return next((s for s in self.sanctions if s.refuses(owner, request, via)), None)


def _denial(sanction: Sanction) -> Decision:
    return Decision("deny", SANCTION_POLICY, sanction.id,
                    f"sanctioned by {sanction.owner}: {sanction.action} until t={sanction.end_s:.0f}s",
                    trail=(f"{SANCTION_POLICY}/{sanction.id}=deny",))


def is_sanction_rule(rule_ref: str) -> bool:
    return rule_ref.startswith(f"{SANCTION_POLICY}/")


@dataclass(frozen=True)
class SanctionedPack:
    """A policy pack whose decisions first consult a sanctions table."""

    pack: Any  # a PolicyPack, or a pack decided by a Cedar or Rego file
    table: SanctionTable

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def source(self) -> str:
        return self.pack.source

    @property
    def layers(self):
        return self.pack.layers

    @property
    def description(self) -> str:
        return getattr(self.pack, "description", "")

    def evaluate_many(self, request, requester, networks, context) -> list[Decision]:
        networks = list(networks)
        refused: dict[int, Decision] = {}
        for i, (owner, _, via) in enumerate(networks):
            try:
                sanction = self.table.refusing(owner.slug, request, via)
            except Exception as exc:  # noqa: BLE001 - a broken table denies (fail closed)
                refused[i] = Decision("deny", SANCTION_POLICY, "evaluation-error", f"sanctions: {exc}")
                continue
            if sanction is not None:
                refused[i] = _denial(sanction)
        rest = [n for i, n in enumerate(networks) if i not in refused]
        inner = getattr(self.pack, "evaluate_many", None) or evaluate_many
        decided = iter(inner(request, requester, rest, context) if rest else [])
        return [refused[i] if i in refused else next(decided) for i in range(len(networks))]


__all__ = ["ACTIONS", "SANCTION_POLICY", "Sanction", "SanctionTable", "SanctionedPack", "is_sanction_rule"]
