"""``alprsim audit``, ``alprsim replay`` and ``alprsim network scan``: real logs and sharing lists.

- ``audit FILE...``: label every logged search by the purpose its text shows
  (``forensics.classifier``), write ``DIR/flags.csv`` and ``DIR/summary.md``. Streams: memory
  does not grow with the files.
- ``replay FILE... --policy NAME...``: which logged searches each policy pack would have
  refused, and by which rule (``DIR/replay.csv``, ``DIR/replay.md``, a table).
- ``network scan FILE...``: every outbound share of every California owner that SB 34 forbids
  (``DIR/forbidden_shares.csv``, ``DIR/review_shares.csv``, ``DIR/network_scan.md``).
"""

from __future__ import annotations

import csv
import gc
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from forensics.agencytable import AgencyTableError, load_agency_table
from forensics.auditlogs import (
    FORMATS,
    NO_TIME,
    AuditFormatError,
    ImportInfo,
    iter_chunks,
    read_portal_stats,
)
from forensics.classifier import LABELS, classify_named_columns
from forensics.mentions import agency_table, use_agency_table
from forensics.orgnames import FORBIDDEN_REASONS, read_sharing_list, scan_shares
from forensics.replay import replay, slug_of
from lookup.policy import PolicyError
from lookup.requests import ORG_KINDS, Organization
from scenarios.cli_errors import user_error
from scenarios.output_files import output_folder_problem, staged_outputs
from scenarios.policy_files import load_pack

FLAG_COLUMNS = ("id", "label", "score", "evidence", "named_agency", "agency", "time", "reason", "source", "line")
FLAGGED = ("immigration", "federal", "out_of_state", "assist_other")


def _console() -> Console:
    return Console(stderr=True, soft_wrap=False, width=140)


def _fail(message: str) -> typer.Exit:
    return user_error(message)


def _zone(value: str, option: str = "--tz") -> str:
    """A time-zone name ZoneInfo knows (checked before any file is read)."""
    if value.upper() == "UTC":
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"{option}: {value!r} is not a time zone (e.g. UTC, America/Los_Angeles)") from None
    return value


def _out_folder(out: Path) -> Path:
    problem = output_folder_problem(out)
    if problem:
        raise _fail(f"--out {out}: {problem}")
    return out


def _state(value: str, option: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise _fail(f"{option}: {value!r} is not a two-letter state")
    return value


# --- audit ---------------------------------------------------------------------------


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while streaming.

    Reading makes millions of short-lived lists and tuples, all freed by reference
    counting; the collector's full passes over the verdict caches halve the speed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class AuditSummary:
    """Counts for the markdown summary; bounded by agencies x labels, not by rows."""

    def __init__(self) -> None:
        self.by_agency: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(LABELS), dtype=np.int64))
        self.score_sum = np.zeros(len(LABELS))
        self.terms: dict[str, Counter] = defaultdict(Counter)
        self.examples: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        self.files: list[ImportInfo] = []
        # (named agency, label) -> searching agency -> searches: who asks whom for help
        self.named: dict[tuple[str, str], Counter] = defaultdict(Counter)
        self.rows_without_searcher = 0  # no org column value and no --agency

    def add(self, agencies: list[str], codes: np.ndarray, scores: np.ndarray, evidence: list[str],
            reasons: list[str], ids: list[str], named: list[str] = ()) -> None:
        for (code, name, agency), n in Counter(zip(codes.tolist(), named, agencies, strict=True)).items():
            if name and LABELS[code] in FLAGGED:
                self.named[(name, LABELS[code])][agency] += n
        width = len(LABELS)
        index: dict[str, int] = {}
        agency_ids = np.fromiter((index.setdefault(a, len(index)) for a in agencies), dtype=np.int64,
                                 count=len(agencies))
        counts = np.bincount(agency_ids * width + codes, minlength=len(index) * width).reshape(-1, width)
        for agency, i in index.items():
            self.by_agency[agency] += counts[i]
        self.score_sum += np.bincount(codes, weights=scores, minlength=width)
        for (code, text), n in Counter(zip(codes.tolist(), evidence, strict=True)).items():
            decider = text.split(" | ", 1)[0].split(": ", 1)[-1]
            self.terms[LABELS[code]][re.sub(r"\d+", "#", decider)[:80]] += n
        for code, label in enumerate(LABELS):
            examples = self.examples[label]
            if len(examples) < 5:
                for i in np.flatnonzero(codes == code)[: 5 - len(examples)].tolist():
                    examples.append((ids[i], agencies[i], reasons[i][:80], evidence[i][:120]))

    @property
    def totals(self) -> np.ndarray:
        return sum(self.by_agency.values(), np.zeros(len(LABELS), dtype=np.int64))


def _md(cell: object) -> str:
    return str(cell).replace("|", "\\|").replace("\n", " ")


def render_audit_summary(summary: AuditSummary, owner_state: str) -> str:
    totals = summary.totals
    rows = int(totals.sum())
    lines = ["# Audit flags", "",
             f"{rows:,} searches; purposes judged from the declared text, seen from a {owner_state} owner "
             "(labels: see `forensics/classifier.py`). Flags are leads for a person to check, not findings.", ""]
    if summary.rows_without_searcher:
        lines += [f"{summary.rows_without_searcher:,} rows name no searching agency (no org column, no `--agency`): "
                  "there a bare agency name beside a case number was read as the searcher's own. Pass `--agency` "
                  "to read it as an assist when it names another agency.", ""]
    lines += ["## Files", "", "| file | layout | encoding | rows | skipped lines | cp1252 lines | ignored columns |",
             "|---|---|---|---:|---:|---:|---|"]
    for info in summary.files:
        lines.append(f"| {_md(info.source)} | {info.format} | {info.encoding} | {info.rows:,} | {info.skipped_lines:,} "
                     f"| {info.cp1252_lines:,} | {_md(', '.join(info.ignored_columns))} |")
    lines += ["", "## By label", "", "| label | searches | share | mean score | what decided it most often |",
              "|---|---:|---:|---:|---|"]
    for code, label in enumerate(LABELS):
        n = int(totals[code])
        mean = summary.score_sum[code] / n if n else 0.0
        top = ", ".join(f"{_md(t)} ({c:,})" for t, c in summary.terms[label].most_common(4))
        lines.append(f"| {label} | {n:,} | {n / rows if rows else 0:.1%} | {mean:.2f} | {top} |")
    lines += ["", "## By agency", "",
              "Agencies ordered by immigration + federal + out-of-state searches (at most 50 shown).", "",
              "| agency | searches | " + " | ".join(LABELS) + " |", "|---|---:|" + "---:|" * len(LABELS)]
    ranked = sorted(summary.by_agency.items(), key=lambda kv: (-int(kv[1][:3].sum()), -int(kv[1].sum()), kv[0]))
    for agency, counts in ranked[:50]:
        lines.append(f"| {_md(agency)} | {int(counts.sum()):,} | " + " | ".join(f"{int(c):,}" for c in counts) + " |")
    if len(ranked) > 50:
        lines.append(f"| ({len(ranked) - 50} more) | | " + " | ".join("" for _ in LABELS) + " |")
    lines += ["", "## Assists by named agency", "",
              "Flagged searches whose deciding words name an agency (the agency table, `forensics/data`): "
              "who asks for help, and how often. An ambiguous abbreviation is counted under the abbreviation.", ""]
    if summary.named:
        lines += ["| named agency | label | searches | searching agencies |", "|---|---|---:|---|"]
        ranked_named = sorted(summary.named.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        for (name, label), by in ranked_named[:50]:
            who = ", ".join(f"{_md(a)} ({n:,})" for a, n in by.most_common(3)) + (" ..." if len(by) > 3 else "")
            lines.append(f"| {_md(name)} | {label} | {sum(by.values()):,} | {who} |")
        if len(ranked_named) > 50:
            lines.append(f"| ({len(ranked_named) - 50} more) | | | |")
    else:
        lines.append("No flagged search names an agency.")
    lines += ["", "## Examples", ""]
    for label in LABELS:
        if summary.examples[label]:
            lines += [f"### {label}", "", "| id | agency | reason | evidence |", "|---|---|---|---|"]
            lines += [f"| {_md(i)} | {_md(a)} | {_md(r)} | {_md(e)} |" for i, a, r, e in summary.examples[label]]
            lines.append("")
    return "\n".join(lines) + "\n"


def run_audit(files: list[Path], out: Path, format: str = "auto", owner_state: str = "CA",
              owner: str | None = None, tz: str = "UTC", agency_table_file: Path | None = None) -> AuditSummary:
    """Classify every row of every file; write flags.csv and summary.md into ``out``.

    ``owner``: the searching agency of rows without an org (a portal log's own agency);
    ``agency_table_file``: a user's abbreviation overrides (``forensics.agencytable``).
    """
    summary = AuditSummary()
    previous = agency_table()
    use_agency_table(load_agency_table(agency_table_file) if agency_table_file else None)
    try:
        with staged_outputs(out, last=("summary.md",)) as staged:  # nothing half-written is left on failure
            _audit_files(files, staged.path("flags.csv"), format, owner_state, owner, tz, summary)
            staged.path("summary.md").write_text(render_audit_summary(summary, owner_state), encoding="utf-8")
    finally:
        use_agency_table(previous)
    return summary


def _audit_files(files: list[Path], flags: Path, format: str, owner_state: str, owner: str | None, tz: str,
                 summary: AuditSummary) -> None:
    with no_cyclic_gc(), open(flags, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FLAG_COLUMNS)
        for path in files:
            info = ImportInfo(str(path))
            summary.files.append(info)
            fallback = owner or Path(path).name.split(".")[0]
            for chunk in iter_chunks(path, format, tz=tz, info=info):
                t = chunk.text
                codes, scores, evidence, named = classify_named_columns(
                    t["reason"], t["case_number"], t["offense_type"], t["org"], owner_state, owner or "")
                agencies = [o.replace("[Federal]", "").strip() or fallback for o in t["org"]]
                stamps = np.datetime_as_string(chunk.time_ms.astype("datetime64[ms]"), unit="s", timezone="UTC")
                stamps[chunk.time_ms == NO_TIME] = ""
                labels = np.asarray(LABELS)[codes].tolist()
                writer.writerows(zip(t["id"], labels, np.round(scores.astype(np.float64), 3).tolist(), evidence, named,
                                     agencies, stamps.tolist(), t["reason"], repeat(chunk.source, len(codes)),
                                     chunk.line.tolist(), strict=True))
                summary.add(agencies, codes, scores, evidence, t["reason"], t["id"], named)
                if not owner:
                    summary.rows_without_searcher += t["org"].count("")


# --- replay --------------------------------------------------------------------------


def run_replay(files: list[Path], policies: list[str], out: Path, owner: Organization, format: str = "auto",
               tz: str = "UTC", window_days: float = 7.0) -> tuple[list[str], dict[str, Counter], int, int]:
    """Replay every file through every pack; write replay.csv and replay.md into ``out``."""
    packs = [load_pack(name) for name in policies]
    names = [pack.name for pack in packs]
    outcomes: dict[str, Counter] = {name: Counter() for name in names}
    total = assumed = 0
    infos: list[ImportInfo] = []

    def records():
        for path in files:
            infos.append(ImportInfo(str(path)))
            for chunk in iter_chunks(path, format, tz=tz, info=infos[-1]):
                yield from chunk.rows()

    with (staged_outputs(out, last=("replay.md",)) as staged, no_cyclic_gc(),
          open(staged.path("replay.csv"), "w", newline="", encoding="utf-8") as handle):
        writer = csv.writer(handle)
        writer.writerow(["id", "source", "line", "org", "requester_kind", "requester_state", "reason", "case_number",
                         *[f"{n}_{c}" for n in names for c in ("effect", "rule", "message")]])
        for result in replay(records(), packs, owner, int(window_days * 86400)):
            total += 1
            assumed += result.window_assumed
            r = result.record
            cells = []
            for name, decision in zip(names, result.decisions, strict=True):
                outcomes[name][(decision.effect, decision.rule_ref)] += 1
                cells += [decision.effect, decision.rule_ref, decision.message]
            writer.writerow([r.id, r.source, r.line, r.org, result.requester.kind, result.requester.state,
                             r.reason, r.case_number, *cells])
        missing = [f"{Path(i.source).name} has no "
                   f"{', '.join(c for c in ('case_number', 'offense_type') if c not in i.columns)} "
                   "column: rules that ask for one see it absent on every row"
                   for i in infos if not {"case_number", "offense_type"} <= set(i.columns)]
        staged.path("replay.md").write_text(render_replay(names, outcomes, total, assumed, owner, window_days,
                                                          missing), encoding="utf-8")
    return names, outcomes, total, assumed


def render_replay(names: list[str], outcomes: dict[str, Counter], total: int, assumed: int,
                  owner: Organization, window_days: float, notes: list[str] = ()) -> str:
    lines = ["# Policy replay", "",
             f"{total:,} logged searches replayed against the network of {owner.name} ({owner.kind}, {owner.state}). "
             "Only the declared face is replayed (org, user, reason, case number, offense type, search type, "
             "plate, window); logs record no on-behalf-of.", ""]
    if assumed:
        lines += [f"{assumed:,} searches did not say which window they searched; a window of {window_days:g} days "
                  "was assumed (`--window-days`).", ""]
    if notes:
        lines += [f"- {note}" for note in notes] + [""]
    lines += ["| policy | allowed | denied | approval needed | rate limited |", "|---|---:|---:|---:|---:|"]
    for name in names:
        by_effect = Counter()
        for (effect, _), n in outcomes[name].items():
            by_effect[effect] += n
        lines.append(f"| {name} | {by_effect['allow']:,} | {by_effect['deny']:,} | {by_effect['require_approval']:,} "
                     f"| {by_effect['rate_limited']:,} |")
    for name in names:
        lines += ["", f"## {name}: deciding rules", "", "| effect | rule | searches |", "|---|---|---:|"]
        for (effect, rule), n in sorted(outcomes[name].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"| {effect} | {rule} | {n:,} |")
    return "\n".join(lines) + "\n"


# --- network scan --------------------------------------------------------------------


def run_scan(files: list[Path], out: Path, owner: str | None = None, owner_state: str | None = None,
             stats: Path | None = None) -> dict:
    """Scan sharing lists; write forbidden_shares.csv, review_shares.csv and network_scan.md."""
    edges = [edge for path in files for edge in read_sharing_list(path, owner=owner)]
    states = {s.slug: s.state for s in read_portal_stats(stats)} if stats else None
    findings = scan_shares(edges, owner_state, states)
    forbidden = [f for f in findings if f.reason]
    review = [f for f in findings if f.review]
    stats = {
        "edges": len(edges), "outbound": len(findings),
        "owners": len({f.owner for f in findings}),
        "ca_owners": len({f.owner for f in findings if f.owner_state == "CA"}),
        "ca_outbound": sum(f.owner_state == "CA" for f in findings),
        "forbidden": len(forbidden), "by_reason": Counter(f.reason for f in forbidden),
        "owners_with_forbidden": len({f.owner for f in forbidden}),
        "private_universities": sum(f.reason == "private" and f.counterpart_kind == "university" for f in forbidden),
        "review": len(review), "review_by_why": Counter(f.review for f in review),
    }
    with staged_outputs(out, last=("network_scan.md",)) as staged:
        with open(staged.path("forbidden_shares.csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["owner", "counterpart", "counterpart_state", "counterpart_kind", "reason", "confidence",
                             "inactive", "evidence"])
            for f in forbidden:
                writer.writerow([f.owner, f.counterpart, f.counterpart_state or "", f.counterpart_kind, f.reason,
                                 f.confidence, int(f.inactive), f.evidence])
        with open(staged.path("review_shares.csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["owner", "counterpart", "counterpart_state", "counterpart_kind", "why", "evidence"])
            for f in review:
                writer.writerow([f.owner, f.counterpart, f.counterpart_state or "", f.counterpart_kind, f.review,
                                 f.evidence])
        staged.path("network_scan.md").write_text(render_scan(findings, forbidden, review, stats), encoding="utf-8")
    return stats


def render_scan(findings, forbidden, review, stats) -> str:
    lines = ["# Sharing-list scan (California SB 34)", "",
             "Civil Code 1798.90.55(b): a California public agency may share ALPR information only with another "
             "public agency, i.e. the state or a California city or county or their agencies (1798.90.5(f)). "
             "Federal, out-of-state and private recipients are forbidden for any purpose (AG bulletin 2023-DLE-06). "
             "Counterparts are classified from their names (`agencies/orgnames.py`); check before acting.", "",
             f"- {stats['edges']:,} list entries, {stats['outbound']:,} outbound shares of {stats['owners']} owners; "
             f"{stats['ca_outbound']:,} outbound shares of {stats['ca_owners']} California owners.",
             f"- **{stats['forbidden']:,} forbidden shares** at {stats['owners_with_forbidden']} California owners: "
             + ", ".join(f"{stats['by_reason'][r]:,} {r}" for r in FORBIDDEN_REASONS) + ".",
             f"- Of the private ones, {stats['private_universities']:,} are private-university police departments "
             "(not public agencies under 1798.90.5(f), though their officers may be deputised).",
             f"- {stats['review']:,} shares to review: "
             + ", ".join(f"{n:,} {why}" for why, n in stats["review_by_why"].most_common()) + ".", "",
             "## Forbidden shares per owner", "",
             "| owner | forbidden | " + " | ".join(FORBIDDEN_REASONS) + " | outbound shares |",
             "|---|---:|" + "---:|" * len(FORBIDDEN_REASONS) + "---:|"]
    outbound = Counter(f.owner for f in findings)
    per_owner: dict[str, Counter] = defaultdict(Counter)
    for f in forbidden:
        per_owner[f.owner][f.reason] += 1
    for owner, counts in sorted(per_owner.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        lines.append(f"| {_md(owner)} | {sum(counts.values()):,} | "
                     + " | ".join(f"{counts[r]:,}" for r in FORBIDDEN_REASONS) + f" | {outbound[owner]:,} |")
    lines += ["", "## Counterparts most often shared with unlawfully", "",
              "| counterpart | state | kind | reason | owners |", "|---|---|---|---|---:|"]
    counterparts = Counter((f.counterpart, f.counterpart_state or "", f.counterpart_kind, f.reason) for f in forbidden)
    for (name, state, kind, reason), n in counterparts.most_common(40):
        lines.append(f"| {_md(name)} | {state} | {kind} | {reason} | {n:,} |")
    if review:
        lines += ["", "## To review (not counted above)", "",
                  "Tribal police are not named in 1798.90.5(f); placeholder names ('Delete', 'DNU') and names "
                  "without a state or kind cannot be judged from the name alone.", "",
                  "| counterpart | why | owners |", "|---|---|---:|"]
        for (name, why), n in Counter((f.counterpart, f.review) for f in review).most_common(30):
            lines.append(f"| {_md(name)} | {why} | {n:,} |")
    return "\n".join(lines) + "\n"


# --- commands ------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Add ``audit``, ``replay`` and the ``network`` group (``network scan``)."""
    network_app = typer.Typer(no_args_is_help=True, help="Sharing lists: who may search whose cameras.")
    app.add_typer(network_app, name="network")

    @app.command("audit")
    def audit(
        files: list[Path] = typer.Argument(..., help="audit exports: portal CSV, network/org audit CSV or XLSX"),
        format: str = typer.Option("auto", "--format", help="auto, portal, network or org"),
        out: Path = typer.Option(Path("alprsim-audit"), "--out", help="output folder"),
        state: str = typer.Option("CA", "--state", help="the data owner's state (for out-of-state)"),
        owner: str | None = typer.Option(None, "--agency", "--owner",
                                         help="the searching agency of rows without an org (a portal log's own)"),
        tz: str = typer.Option("UTC", "--tz", help="time zone of times written without one"),
        agency_table_file: Path | None = typer.Option(None, "--agency-table",
                                                      help="CSV of abbreviation,agency,kind,state rows that "
                                                           "replace the packaged table's readings"),
    ) -> None:
        """Label every logged search by its stated purpose; write DIR/flags.csv and DIR/summary.md."""
        if format not in ("auto", *FORMATS):
            raise _fail(f"--format: {format!r} is not auto, portal, network or org")
        try:
            summary = run_audit(files, _out_folder(out), format, _state(state, "--state"), owner, _zone(tz),
                                agency_table_file)
        except (AuditFormatError, AgencyTableError, OSError) as error:
            raise _fail(str(error)) from None
        totals = summary.totals
        table = Table(title=f"{int(totals.sum()):,} searches")
        table.add_column("label")
        table.add_column("searches", justify="right")
        for code, label in enumerate(LABELS):
            table.add_row(label, f"{int(totals[code]):,}")
        console = _console()
        console.print(table)
        console.print(f"wrote {out / 'flags.csv'} and {out / 'summary.md'}", highlight=False)

    @app.command("replay")
    def replay_command(
        files: list[Path] = typer.Argument(..., help="audit exports to replay"),
        policy: list[str] = typer.Option(..., "--policy", help="built-in pack name or policy YAML (repeat)"),
        owner: str = typer.Option("owner", "--owner", help="the network owner's name"),
        owner_state: str = typer.Option("CA", "--owner-state", help="the owner's state"),
        owner_kind: str = typer.Option("local", "--owner-kind", help="the owner's kind: " + ", ".join(ORG_KINDS)),
        format: str = typer.Option("auto", "--format", help="auto, portal, network or org"),
        out: Path = typer.Option(Path("alprsim-replay"), "--out", help="output folder"),
        tz: str = typer.Option("UTC", "--tz", help="time zone of times written without one"),
        window_days: float = typer.Option(7.0, "--window-days", help="window assumed when the log gives none"),
    ) -> None:
        """Which logged searches each policy would have refused, and by which rule."""
        if owner_kind not in ORG_KINDS:
            raise _fail(f"--owner-kind: {owner_kind!r} is not one of {', '.join(ORG_KINDS)}")
        if format not in ("auto", *FORMATS):
            raise _fail(f"--format: {format!r} is not auto, portal, network or org")
        the_owner = Organization(slug_of(owner), owner, owner_kind, _state(owner_state, "--owner-state"))
        if not (math.isfinite(window_days) and 0 <= window_days <= 3650):
            raise _fail(f"--window-days: {window_days:g} is not a number of days in [0, 3650]")
        try:
            names, outcomes, total, assumed = run_replay(files, policy, _out_folder(out), the_owner, format,
                                                         _zone(tz), window_days)
        except (AuditFormatError, PolicyError, OSError) as error:
            raise _fail(str(error)) from None
        table = Table(title=f"{total:,} searches replayed against {owner}")
        for column in ("policy", "allowed", "denied", "approval", "rate limited", "top deny rules"):
            table.add_column(column, justify="left" if column in ("policy", "top deny rules") else "right")
        for name in names:
            effects = Counter()
            denies = Counter()
            for (effect, rule), n in outcomes[name].items():
                effects[effect] += n
                if effect == "deny":
                    denies[rule] += n
            top = "; ".join(f"{rule} {n:,}" for rule, n in denies.most_common(3))
            table.add_row(name, f"{effects['allow']:,}", f"{effects['deny']:,}", f"{effects['require_approval']:,}",
                          f"{effects['rate_limited']:,}", top)
        console = _console()
        console.print(table)
        if assumed:
            console.print(f"{assumed:,} searches gave no window; assumed {window_days:g} days", highlight=False)
        console.print(f"wrote {out / 'replay.csv'} and {out / 'replay.md'}", highlight=False)

    @network_app.command("scan")
    def network_scan(
        files: list[Path] = typer.Argument(..., help="sharing lists: the portal edges CSV(.gz) or lists of names"),
        out: Path = typer.Option(Path("alprsim-network"), "--out", help="output folder"),
        owner: str | None = typer.Option(None, "--owner", help="whose list, for plain lists of names"),
        owner_state: str | None = typer.Option(None, "--owner-state", help="owner state when names do not say"),
        portal_stats: Path | None = typer.Option(None, "--stats", help="portal statistics CSV (owner states by slug)"),
    ) -> None:
        """Classify counterparts; list each California owner's outbound shares that SB 34 forbids."""
        try:
            stats = run_scan(files, _out_folder(out), owner, _state(owner_state, "--owner-state") if owner_state else None,
                             portal_stats)
        except (AuditFormatError, OSError) as error:
            raise _fail(str(error)) from None
        console = _console()
        console.print(f"{stats['ca_outbound']:,} outbound shares of {stats['ca_owners']} California owners: "
                      f"{stats['forbidden']:,} forbidden at {stats['owners_with_forbidden']} owners ("
                      + ", ".join(f"{stats['by_reason'][r]:,} {r}" for r in FORBIDDEN_REASONS)
                      + f"); {stats['review']:,} to review", highlight=False)
        console.print(f"wrote {out / 'forbidden_shares.csv'}, {out / 'review_shares.csv'} and "
                      f"{out / 'network_scan.md'}", highlight=False)
