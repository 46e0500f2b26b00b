"""Adaptive outside agencies: learn which channels answer, reword, stop once located.

An adaptive agency pursues the same targets, arriving at the same times, as a static one
(``interest.draw_targets`` on the same stream). For each target it makes attempts one at
a time, ``attempt_interval_days`` apart, up to a budget (by default what a static agency
spends on average, spread over the span of a static agency's attempts), and chooses each attempt's channel by Thompson sampling over a
Beta belief per channel, shared by all its targets (docs/arms-race.md):

- prior: Beta(1 + w p, 1 + w (1 - p)) with p the channel's probability in the scenario's
  channel table and w = ``prior_weight``;
- outcome of an attempt: success when the search returned reads, failure otherwise;
  the agency learns it when the reads (or the refusal) reach it, after the hand-off delay;
- a denial by a sanction (the proxy tells it the owner cut it off) counts as
  ``sanction_penalty`` failures, and the channel is not tried again for that target;
- a denial by a rule that reads the declared text (a keyword rule) makes the agency
  reword on that channel from then on: the reason re-spelt past filters
  (``reasons.evade_filters``) and no declared outside beneficiary;
- the target's pursuit stops once the agency's own guess of the home (``locating``, on
  the reads it received, with no knowledge of the truth) points at a camera.

Draws come from ``agencies/adaptive/<slug>`` streams, never from the static plan's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agencies.dynamics import AdversarySpec
from agencies.interest import (
    DAY_S,
    PLANNED_CHANNELS,
    ChannelSpec,
    InterestSpec,
    PlannedSearch,
    declared,
    draw_targets,
)
from agencies.reasons import evade_filters
from agencies.registry import Agency, true_kind
from lookup.sanctions import is_sanction_rule
from sim.plates import decode


@dataclass(frozen=True)
class Target:
    """One outside agency's pursuit of one vehicle, as both strategies share it."""

    agency: str
    kind: str  # federal, out_of_state
    index: int
    vehicle: int
    plate: str
    first_s: float  # arrival: the first attempt may come up to two days later


class ChannelLearner:
    """One agency's belief about its channels: Beta(alpha, beta) per channel."""

    def __init__(self, channels: dict[str, ChannelSpec], spec: AdversarySpec, rng: np.random.Generator):
        usable = [c for c in PLANNED_CHANNELS if c in channels and channels[c].probability > 0]
        self.channels = tuple(usable)
        self.alpha = {c: 1.0 + spec.prior_weight * channels[c].probability for c in usable}
        self.beta = {c: 1.0 + spec.prior_weight * (1.0 - channels[c].probability) for c in usable}
        self.rng = rng
        self.penalty = spec.sanction_penalty
        self.reworded: set[str] = set()
        self._pending: list[tuple[float, str, float, float]] = []  # (known at, channel, successes, failures)

    def learn(self, known_at_s: float, channel: str, successes: float, failures: float) -> None:
        self._pending.append((known_at_s, channel, successes, failures))

    def _catch_up(self, now_s: float) -> None:
        keep = []
        for item in self._pending:
            if item[0] <= now_s:
                self.alpha[item[1]] += item[2]
                self.beta[item[1]] += item[3]
            else:
                keep.append(item)
        self._pending = keep

    def choose(self, now_s: float, exclude: set[str] = frozenset()) -> str | None:
        """Thompson sampling: a draw from each channel's belief (one per channel, always,
        in a fixed order), the best among those not excluded."""
        self._catch_up(now_s)
        if not self.channels:
            return None
        draws = self.rng.beta([self.alpha[c] for c in self.channels], [self.beta[c] for c in self.channels])
        best = None
        for c, d in zip(self.channels, draws, strict=True):
            if c not in exclude and (best is None or d > best[1]):
                best = (c, d)
        return best[0] if best else None

    def mean(self, channel: str) -> float:
        return self.alpha[channel] / (self.alpha[channel] + self.beta[channel])


def static_attempts(channels: dict[str, ChannelSpec], follow_ups: int) -> int:
    """What a static agency spends on a target on average: the budget of an adaptive one."""
    return max(1, round(sum(c.probability for name, c in channels.items() if name in PLANNED_CHANNELS)
                        * (1 + follow_ups)))


class Campaign:
    """An adaptive agency's pursuit of one target: the next attempt, and what it learned."""

    def __init__(self, target: Target, agency: Agency, learner: ChannelLearner, channels: dict[str, ChannelSpec],
                 spec: InterestSpec, registry: dict[str, Agency], budget: int, keyword_rules: frozenset[str]):
        self.target, self.agency, self.learner = target, agency, learner
        self.channels, self.spec, self.registry = channels, spec, registry
        self.budget, self.keyword_rules = budget, keyword_rules
        self.attempts = 0
        self.channels_used: list[str] = []
        self.excluded: set[str] = set()
        self.stopped_located = False
        self.received_rows: list[np.ndarray] = []
        self.received_at: list[np.ndarray] = []
        interval_days = spec.dynamics.learning.attempt_interval_days
        if interval_days is None:
            interval_days = spec.follow_ups * spec.follow_up_interval_days / max(budget - 1, 1)
        self.interval_s = max(interval_days, 1 / 24) * DAY_S
        # like a static agency's first attempt on a channel: within two days of the arrival
        self.first_attempt_s = target.first_s + float(learner.rng.random()) * 2 * DAY_S

    @property
    def switches(self) -> int:
        return sum(a != b for a, b in zip(self.channels_used, self.channels_used[1:], strict=False))

    def attempt(self, now_s: int, located: Callable[[Campaign, float], bool]) -> PlannedSearch | None:
        """The attempt at ``now_s``, or None when the pursuit is over (budget, located, no channel)."""
        if self.attempts >= self.budget or self.stopped_located:
            return None
        if located(self, now_s):
            self.stopped_located = True
            return None
        rng = self.learner.rng
        channel = self.learner.choose(now_s, self.excluded)
        draw = rng.random(6)
        if channel is None:
            return None
        self.attempts += 1
        t = self.target
        org = self.agency.org
        request, chain, adversarial = declared(channel, org, t.plate, int(now_s), self.spec, self.registry, rng,
                                               draw, f"{t.agency}-t{t.index:04d}-{channel}-a{self.attempts}")
        if request is None:
            self.excluded.add(channel)
            return self.attempt(now_s, located) if self.attempts < self.budget else None
        if channel in self.learner.reworded:
            reason = evade_filters(rng, request.reason)
            adversarial = adversarial or reason != request.reason
            outside = request.on_behalf_of in (org.slug, org.name)
            request = dataclasses.replace(request, reason=reason, on_behalf_of=None if outside else request.on_behalf_of)
        self.channels_used.append(channel)
        return PlannedSearch(int(now_s), request, t.agency, t.kind, channel, (*chain, t.agency),
                             self.channels[channel].handoff_delay_s, t.vehicle, False, adversarial=adversarial)

    def observe(self, plan: PlannedSearch, rows: np.ndarray, delivered_s: np.ndarray,
                rules: tuple[tuple[bool, str], ...]) -> None:
        """What the attempt got: ``rules`` is (searched, rule) per network reached."""
        known_at = plan.time_s + plan.handoff_delay_s
        if len(rows):
            self.received_rows.append(rows)
            self.received_at.append(delivered_s)
        sanctioned = any(not searched and is_sanction_rule(rule) for searched, rule in rules)
        if sanctioned:
            self.excluded.add(plan.channel)
            self.learner.learn(known_at, plan.channel, 0.0, self.learner.penalty)
        else:
            self.learner.learn(known_at, plan.channel, 1.0 if len(rows) else 0.0, 0.0 if len(rows) else 1.0)
        if any(not searched and rule in self.keyword_rules for searched, rule in rules):
            self.learner.reworded.add(plan.channel)


def keyword_rules(pack) -> frozenset[str]:
    """Rules (``policy/rule``) whose conditions read the declared text: a denial by one of
    them tells the requester its wording was the problem."""
    text_attrs = ("request.declared_text", "request.reason", "request.offense_type", "request.case_number")

    def reads_text(cond) -> bool:
        if cond.attr in text_attrs:
            return True
        parts = cond.value if isinstance(cond.value, tuple | list) else (cond.value,)
        return any(hasattr(p, "attr") and reads_text(p) for p in parts)

    out = set()
    for policy in getattr(pack, "layers", ()):
        for rule in policy.rules:
            if rule.effect == "deny" and any(reads_text(c) for c in rule.when):
                out.add(f"{policy.name}/{rule.id}")
    return frozenset(out)


def outside_targets(registry: dict[str, Agency], vehicles, days: float, spec: InterestSpec,
                    streams) -> list[Target]:
    """Every outside agency's targets: the same draws as ``interest.plan_outside``."""
    residents = np.nonzero(vehicles.plate_state == 0)[0]
    out = []
    for slug, rate in sorted(spec.targets_per_30_days.items()):
        agency = registry.get(slug)
        if agency is None or rate <= 0:
            continue
        targets, arrivals = draw_targets(streams.generator(f"agencies/interest/{slug}"), residents, rate, days, spec)
        kind = true_kind(agency.org)
        out += [Target(slug, kind, i, int(v), decode(vehicles.plate[v]), float(a))
                for i, (v, a) in enumerate(zip(targets, arrivals, strict=True))]
    return out


def campaigns_for(targets: list[Target], registry: dict[str, Agency], spec: InterestSpec, streams,
                  keyword_refs: frozenset[str]) -> list[Campaign]:
    """One campaign per target; one learner per agency, on its own named stream."""
    learners: dict[str, ChannelLearner] = {}
    out = []
    learning = spec.dynamics.learning
    for target in targets:
        agency = registry[target.agency]
        channels = spec.channels_for(target.agency, target.kind)
        if target.agency not in learners:
            learners[target.agency] = ChannelLearner(channels, learning,
                                                     streams.generator(f"agencies/adaptive/{target.agency}"))
        budget = learning.attempts_per_target or static_attempts(channels, spec.follow_ups)
        out.append(Campaign(target, agency, learners[target.agency], channels, spec, registry, budget, keyword_refs))
    return out
