"""``alprsim demo``: narrated walkthroughs of a real run, one step at a time.

Each story runs the small ``classroom`` scenario (seconds), then picks its examples from
that run's own trace (``scenarios.trace_view``): the searches shown, their decisions, the
audit rows and the reads are what the simulator produced for the seed, never canned.
The narration between them is fixed text that explains what each channel is.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from lookup.audit_export import NETWORK_AUDIT_COLUMNS, to_csv
from scenarios.cli_forensics import run_audit
from scenarios.trace_view import RunTrace, SearchTrace, clock, traced_runs

STORIES = ("proxy-loophole", "policy-fix", "audit")
DEMO_SCENARIO = "classroom"
AUDITOR = "oakland-ca-pd"  # whose published audit the stories read
FIX_POLICIES = ("ca-sb34", "ca-sb34-sb54", "strict")
OUTSIDE_LABELS = ("immigration", "federal", "out_of_state")

# the channels the proxy-loophole story walks through, and what each one is
CHANNEL_STEPS = (
    ("direct", "The front door: the federal agency asks itself",
     "The agency searches under its own name. California's SB 34 layer sees a federal requester and "
     "refuses: this is the door the law closed."),
    ("proxy_honest", "An honest proxy: an in-state officer asks, and says why",
     "A California agency runs the search for the federal agency and writes the real purpose down. The "
     "requester is in-state, so SB 34 lets it through; only a rule that reads the reason can stop it."),
    ("proxy_vague", "A vague proxy: the same favour, with a vague reason",
     "The in-state officer writes 'investigation' or 'AOA'. Nothing in the row says federal."),
    ("proxy_disguised", "A disguised proxy: the favour passed off as local work",
     "The reason names a local-sounding crime and the officer's own agency as the beneficiary."),
    ("fusion_relay", "A fusion-centre relay: NCRIC searches for the federal agency",
     "The fusion centre is a California agency that reaches every network that shares state-wide."),
    ("task_force", "A task-force officer: federal work under local credentials",
     "A federal agent deputised to a county task force logs in as the county."),
    ("multi_hop", "Several hops: a request passed along a chain of agencies",
     "Each agency in the chain asks the next; the last one searches, and its row names the middle one."),
)


def run_demo(story: str, console: Console, policy: str = "ca-sb34", seed: int | None = None,
             pause: Callable[[], bool] | None = None, scenario: str = DEMO_SCENARIO) -> None:
    """Play ``story``; ``pause`` is called between steps (False stops the story)."""
    from scenarios.experiment import load_policy
    from scenarios.files import load_scenario, with_overrides

    spec = with_overrides(load_scenario(scenario), seed=seed)
    policies = list(FIX_POLICIES) if story == "policy-fix" else [policy]
    for name in policies:
        load_policy(name, spec)  # a bad name fails before any simulation
    with console.status(f"simulating {spec.name} ({spec.days:g} days, seed {spec.seed})"):
        runs = traced_runs(spec, policies).runs
    steps = {"proxy-loophole": _loophole, "policy-fix": _policy_fix, "audit": _audit}[story](runs, policy)
    for number, (title, body) in enumerate(steps, start=1):
        if number > 1 and pause is not None and not pause():
            return
        console.print(Rule(f"[bold]{number}. {title}", align="left"))
        console.print(body)
        console.print()


# --- picking examples from the run -----------------------------------------------------


def _oakland_reads(s: SearchTrace) -> int:
    reach = s.reach(AUDITOR)
    return reach.reads if reach else 0


def _target(trace: RunTrace) -> tuple[str, int] | None:
    """The federal target with the most channels served (read by Oakland's cameras, ICE
    first), for a story to follow."""
    by_target: dict[tuple[str, int], list[SearchTrace]] = {}
    for s in trace.searches:
        if s.beneficiary_kind == "federal" and s.target_vehicle >= 0:
            by_target.setdefault((s.beneficiary, s.target_vehicle), []).append(s)
    if not by_target:
        return None
    return max(by_target, key=lambda t: (len({x.channel for x in by_target[t] if x.served}),
                                         sum(_oakland_reads(x) for x in by_target[t]) > 0, t[0] == "ice-ero",
                                         -t[1]))


def pick_examples(trace: RunTrace) -> dict[str, SearchTrace]:
    """One search per channel: the followed target's own if it has one, else another
    federal search (ICE first, served first, CHP first for honest proxies)."""
    target = _target(trace)
    out = {}
    for channel, _, _ in CHANNEL_STEPS:
        candidates = [s for s in trace.searches if s.channel == channel and s.beneficiary_kind == "federal"]
        if not candidates:
            continue
        out[channel] = max(candidates, key=lambda s: (
            (s.beneficiary, s.target_vehicle) == target, s.served, _oakland_reads(s) > 0,
            s.beneficiary == "ice-ero", s.org == "california-highway-patrol", -s.time_s))
    return out


# --- rendering ---------------------------------------------------------------------------


def _kv(title: str, pairs: list[tuple[str, str]], style: str) -> Table:
    table = Table(title=title, show_header=False, title_style=style, title_justify="left", expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in pairs:
        table.add_row(k, v)
    return table


def faces(trace: RunTrace, s: SearchTrace) -> Table:
    """The declared face beside the true face."""
    declared = _kv("Declared face (what the service saw)", [
        ("requester", f"{s.org_name} ({s.org})"), ("user", s.user), ("reason", repr(s.reason)),
        ("case number", s.case_number or "–"), ("offense", s.offense_type or "–"),
        ("on behalf of", trace.name(s.on_behalf_of) if s.on_behalf_of else "–"),
        ("search", f"{s.search_type} {s.plate or ''}".strip()), ("time", clock(trace, s.time_s))], "bold cyan")
    true = _kv("True face (known only to the simulator)", [
        ("beneficiary", f"{s.beneficiary_name} ({s.beneficiary_kind})"), ("channel", s.channel),
        ("chain", " -> ".join(trace.name(c) for c in s.chain)),
        ("hand-off delay", f"{s.handoff_delay_s / 3600:g} h"),
        ("target vehicle", "area search" if s.target_vehicle < 0 else f"#{s.target_vehicle}")], "bold magenta")
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(declared, true)
    return grid


def decisions(trace: RunTrace, s: SearchTrace) -> RenderableType:
    if not s.networks:
        return Text("No network was reached: the requester has no access to any camera network here.")
    table = Table(title="Networks reached", title_justify="left")
    for col in ("owner", "decision", "rule", "searched", "reads returned"):
        table.add_column(col, justify="right" if col == "reads returned" else "left")
    for n in s.networks:
        table.add_row(trace.name(n.owner), n.effect, n.rule, "yes" if n.searched else "no", str(n.reads))
    return table


def audit_row(trace: RunTrace, s: SearchTrace, owner: str = AUDITOR) -> RenderableType:
    row = s.published_for(owner)
    if row is None:
        return Text(f"{trace.name(owner)}'s network audit has no row for this search: its cameras were not searched.")
    return _kv(f"{trace.name(owner)}'s published {row.layout} row", list(row.columns), "bold yellow")


def arrivals(trace: RunTrace, s: SearchTrace) -> Text:
    if not s.distinct_reads:
        return Text("No reads reached the beneficiary.")
    who = s.beneficiary_name
    text = (f"{s.distinct_reads} distinct read(s) reached {who} from {clock(trace, s.first_arrival_s)} "
            f"to {clock(trace, s.last_arrival_s)} ({s.new_reads} of them first delivered by this search). ")
    if s.target_vehicle >= 0:
        near = "–" if s.nearest_home_m is None else f"{s.nearest_home_m:,.0f} m"
        text += (f"At night: {s.night_reads}; at night within 500 m of the target's home: "
                 f"{s.night_reads_near_home}, on {s.nights_near_home} night(s) (two nights locate a home). The "
                 f"closest read was {near} from it.")
    return Text(text)


def verdict(trace: RunTrace, s: SearchTrace) -> Text:
    if not s.distinct_reads:
        return Text("Verdict: nothing was delivered.", style="bold green")
    shows = "shows" if s.audit_shows_outside else "does NOT show"
    return Text(f"Verdict: the audit row {shows} a federal or out-of-state purpose; the reads went to "
                f"{s.beneficiary_name}.", style="bold green" if s.audit_shows_outside else "bold red")


def _headline_table(runs: dict[str, RunTrace]) -> Table:
    table = Table(title="Same world, same requests, each policy", title_justify="left")
    table.add_column("")
    for name in runs:
        table.add_column(name, justify="right")
    heads = [r.headline for r in runs.values()]
    rows = [("federal distinct reads delivered", [h.federal_distinct_reads for h in heads]),
            ("  deliveries, repeats included", [h.federal_deliveries for h in heads]),
            ("federal searches served", [h.federal_searches_served for h in heads]),
            ("federal served, visible in audit",
             ["–" if h.federal_visible_share is None else f"{h.federal_visible_share:.0%}" for h in heads]),
            ("out-of-state distinct reads delivered", [h.out_of_state_distinct_reads for h in heads]),
            ("legitimate searches denied", [f"{h.legit_denied}/{h.legit_searches}" for h in heads]),
            ("bystander reads delivered", [h.bystander_reads for h in heads])]
    for label, values in rows:
        table.add_row(label, *(f"{v:,}" if isinstance(v, int) else v for v in values))
    return table


def _by_channel(runs: dict[str, RunTrace]) -> Table:
    table = Table(title="Federal distinct reads delivered, by channel", title_justify="left")
    table.add_column("channel")
    for name in runs:
        table.add_column(name, justify="right")
    channels = sorted({f.channel for r in runs.values() for s in r.searches if s.beneficiary_kind == "federal"
                       for f in s.flows})
    for c in channels:
        table.add_row(c, *(f"{sum(f.reads for s in r.searches if s.beneficiary_kind == 'federal' for f in s.flows if f.channel == c):,}"
                           for r in runs.values()))
    return table


# --- stories ---------------------------------------------------------------------------------


Steps = Iterator[tuple[str, RenderableType]]


def _intro(trace: RunTrace, policy: str) -> RenderableType:
    return Text(f"Scenario {trace.scenario}, seed {trace.seed}: {len(trace.searches):,} searches under the policy "
                f"{policy}. Camera owners: {', '.join(trace.name(o) for o in trace.owners)}. Every search below was "
                "picked from this run's own trace.")


def _loophole(runs: dict[str, RunTrace], policy: str) -> Steps:
    trace = runs[policy]
    examples = pick_examples(trace)
    target = _target(trace)
    who = trace.name(target[0]) if target else "a federal agency"
    yield "A federal agency wants to find someone", Group(_intro(trace, policy), Text(
        f"{who} is after vehicle #{target[1] if target else '?'}. California law (SB 34) forbids sharing plate "
        "reads with federal agencies. Watch the same request arrive through different doors, and what "
        f"{trace.name(AUDITOR)}'s published audit shows each time."))
    for channel, title, narration in CHANNEL_STEPS:
        s = examples.get(channel)
        if s is None:
            yield title, Text(f"No federal search took this channel in this run (seed {trace.seed}).")
            continue
        yield title, Group(Text(narration, style="italic"), Text(f"Search {s.search_id}:"), faces(trace, s),
                           decisions(trace, s), audit_row(trace, s), arrivals(trace, s), verdict(trace, s))
    h = trace.headline
    served = [s for s in trace.searches if s.beneficiary_kind == "federal" and s.served]
    hidden = sum(1 for s in served if not s.audit_shows_outside)
    yield "What the whole run shows", Group(Text(
        f"Under {policy}, {h.federal_distinct_reads:,} distinct reads reached federal agencies through "
        f"{len(served)} served searches; {hidden} of those searches left no federal trace in the audit log."),
        _by_channel({policy: trace}))


def _policy_fix(runs: dict[str, RunTrace], policy: str) -> Steps:
    base = runs[FIX_POLICIES[0]]
    examples = pick_examples(base)
    yield "The same requests under three policies", Group(_intro(base, ", ".join(runs)), Text(
        "ca-sb34 refuses federal requesters; ca-sb34-sb54 also refuses what DECLARES an immigration purpose or "
        "a federal beneficiary; strict requires a case number and a stated purpose and refuses vague reasons."))
    table = Table(title=f"Each example's decision on {base.name(AUDITOR)}'s cameras, and the reads it delivered",
                  title_justify="left")
    table.add_column("channel")
    table.add_column("declared reason", overflow="fold")
    for name in runs:
        table.add_column(name, overflow="fold")
    for channel, _, _ in CHANNEL_STEPS:
        s = examples.get(channel)
        if s is None:
            continue
        cells = []
        for run in runs.values():
            same = run.search(s.search_id)
            reach = same.reach(AUDITOR) or (same.networks[0] if same.networks else None)
            cells.append("no access" if reach is None else f"{reach.effect} ({reach.rule}), {same.distinct_reads} reads")
        table.add_row(channel, repr(s.reason), *cells)
    yield "Request by request", table
    yield "What each policy stops, and what it costs", Group(_headline_table(runs), _by_channel(runs))
    strict, sb54 = runs[FIX_POLICIES[-1]].headline, runs[FIX_POLICIES[1]].headline
    yield "The trade-off", Text(
        f"strict cuts federal distinct reads from {sb54.federal_distinct_reads:,} (ca-sb34-sb54) to "
        f"{strict.federal_distinct_reads:,}, and denies {strict.legit_denied:,} of {strict.legit_searches:,} "
        "legitimate searches that lacked a case number or a stated purpose. What gets through is what was "
        "disguised as local work: a policy reads only the declared face.")


def audit_flags(trace: RunTrace, owner: str = AUDITOR) -> list[tuple[SearchTrace, str]]:
    """Run ``alprsim audit`` on the owner's published network audit; each row's label."""
    touched = [s for s in trace.searches if s.published_for(owner) is not None and s.published_for(owner).layout ==
               "network audit"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"network_audit_{owner}.csv"
        to_csv([dict(s.published_for(owner).columns) for s in touched], NETWORK_AUDIT_COLUMNS, path)
        run_audit([path], Path(tmp) / "flags", "network", "CA", owner)
        with open(Path(tmp) / "flags" / "flags.csv", newline="", encoding="utf-8") as handle:
            labels = [row["label"] for row in csv.DictReader(handle)]
    return list(zip(touched, labels, strict=True))


def _audit(runs: dict[str, RunTrace], policy: str) -> Steps:
    trace = runs[policy]
    owner = trace.name(AUDITOR)
    flags = audit_flags(trace)
    yield f"{owner} audits its own log", Group(_intro(trace, policy), Text(
        f"{owner} exports its network audit (every search that touched its cameras, in the layout agencies "
        f"publish) and runs `alprsim audit` on it: {len(flags):,} rows. The auditor sees only the declared face."))
    table = Table(title="Flagged as outside (immigration, federal, out-of-state) vs. who really got the reads",
                  title_justify="left")
    table.add_column("true beneficiary")
    table.add_column("rows", justify="right")
    table.add_column("flagged outside", justify="right")
    table.add_column("missed", justify="right")
    for kind in ("federal", "out_of_state", "state", "local"):
        mine = [label for s, label in flags if s.beneficiary_kind == kind]
        flagged = sum(label in OUTSIDE_LABELS for label in mine)
        table.add_row(kind, f"{len(mine):,}", f"{flagged:,}", f"{len(mine) - flagged:,}" if kind in
                      ("federal", "out_of_state") else "–")
    yield "What is flagged, what is missed", table
    outside = [(s, label) for s, label in flags if s.outside]
    caught = [x for x in outside if x[1] in OUTSIDE_LABELS]
    missed = [x for x in outside if x[1] not in OUTSIDE_LABELS]
    false = [x for x in flags if not x[0].outside and x[1] in OUTSIDE_LABELS]
    for title, group in (("Flagged: the log said so", caught), ("Missed: nothing in the row says federal", missed),
                         ("Flagged, but local work", false)):
        if not group:
            yield title, Text("No such row in this run.")
            continue
        s, label = max(group, key=lambda x: (x[0].beneficiary == "ice-ero", x[0].distinct_reads, -x[0].time_s))
        yield title, Group(Text(f"`alprsim audit` labelled this row {label!r}."), audit_row(trace, s),
                           faces(trace, s), arrivals(trace, s))
    n_out = len(outside)
    yield "What the auditor can and cannot see", Text(
        f"Of {n_out:,} rows in {owner}'s log whose reads really went to a federal or out-of-state agency, the "
        f"audit flagged {len(caught):,} and missed {len(missed):,}. It flagged {len(false):,} rows of local work. "
        "A vague or disguised reason leaves nothing to flag: the audit log records the declared face only.")
