"""``alprsim policies list | show NAME | test FILE...``: the sharing-policy packs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lookup.policy import Policy, PolicyError, PolicyPack, Rule
from scenarios.cli_errors import user_error
from scenarios.policy_files import (
    BUILTIN_DIR,
    TESTS_DIR,
    builtin_pack_names,
    load_pack,
    load_policy_tests,
    run_policy_tests,
)


def _console() -> Console:
    return Console(soft_wrap=False, width=160)


def _fail(message: str) -> typer.Exit:
    return user_error(message)


def _rule_details(rule: Rule) -> str:
    if rule.approval is not None:
        return f"delay {rule.approval.delay_s:g} s, p={rule.approval.probability:g}"
    if rule.limit is not None:
        parts = []
        if rule.limit.max_window_s is not None:
            parts.append(f"window <= {rule.limit.max_window_s / 86400:g} d")
        if rule.limit.rate is not None:
            r = rule.limit.rate
            parts.append(f"<= {r.max} per {r.per_s:g} s per {r.per}")
        return ", ".join(parts)
    return ""


def _policy_table(policy: Policy) -> Table:
    scope = " and ".join(c.describe() for c in policy.scope) or "everywhere"
    title = f"{policy.name}  [{policy.layer}]  scope: {scope}  default: {policy.default}"
    table = Table(title=Text(title), title_justify="left", show_lines=False, expand=False)
    for column in ("rule", "effect", "when", "details", "message"):
        table.add_column(column, overflow="fold")
    for rule in policy.rules:
        table.add_row(*(Text(cell) for cell in (rule.id, rule.effect, rule.describe_conditions(),
                                               _rule_details(rule), rule.message or rule.cite)))
    if not policy.rules:
        table.add_row(Text("-"), Text(policy.default), Text("no rules: the default applies"), Text(""), Text(""))
    table.caption = Text(f"source: {policy.source}")
    table.caption_justify = "left"
    return table


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Sharing-policy packs: list them, show one, test one against a table of requests.",
                        no_args_is_help=True)

    @group.command("list")
    def list_packs() -> None:
        """The built-in packs, their layers and sources."""
        table = Table("pack", "layers", "source", show_lines=True)
        for name in builtin_pack_names():
            try:
                pack = load_pack(name)
            except PolicyError as error:
                raise _fail(str(error)) from None
            table.add_row(Text(pack.name), Text(" > ".join(p.name for p in pack.layers)), Text(pack.source))
        _console().print(table)

    @group.command("show")
    def show(name: str = typer.Argument(..., help="built-in pack name or a policy YAML file"),
             raw: bool = typer.Option(False, "--yaml", help="print the file as written")) -> None:
        """One pack: every layer's scope, default and rules (in evaluation order)."""
        try:
            pack = load_pack(name)
        except PolicyError as error:
            raise _fail(str(error)) from None
        console = _console()
        if raw:
            path = BUILTIN_DIR / f"{name}.yaml" if name in builtin_pack_names() else Path(name)
            console.print(path.read_text(encoding="utf-8"), markup=False, highlight=False)
            return
        _print_pack(console, pack)

    @group.command("test")
    def test(files: list[Path] = typer.Argument(None, help="policy test files (default: the built-in ones)")) -> None:
        """Run policy test files; exits 1 if any decision differs from the expected one."""
        paths = files or sorted(TESTS_DIR.glob("*.yaml"))
        console = _console()
        failures = total = 0
        for path in paths:
            try:
                tests = load_policy_tests(path)
            except PolicyError as error:
                raise _fail(str(error)) from None
            results = run_policy_tests(tests)
            table = Table(title=Text(f"{path.name}: pack {tests.pack.name}"), title_justify="left")
            for column in ("", "case", "requester -> owner (via)", "expected", "got", "deciding rule"):
                table.add_column(column, overflow="fold")
            for result in results:
                case, decision = result.case, result.decision
                cells = ("ok" if result.ok else "FAIL", case.name,
                         f"{case.requester.slug} -> {case.owner.slug} ({case.via})",
                         case.expect, decision.effect, decision.rule_ref)
                table.add_row(*(Text(cell) for cell in cells))
            console.print(table)
            bad = [r for r in results if not r.ok]
            failures += len(bad)
            total += len(results)
            for result in bad:
                where = f"{path}:{result.case.line}" if result.case.line else str(path)
                console.print(f"FAIL {where}: {result.case.name}: expected {result.case.expect}"
                              f"{' by ' + result.case.rule if result.case.rule else ''}, got "
                              f"{result.decision.effect} by {result.decision.rule_ref}: {result.decision.message}",
                              markup=False, highlight=False)
        console.print(f"{total - failures} of {total} cases as expected", markup=False)
        if failures:
            raise typer.Exit(1)

    app.add_typer(group, name="policies")


def _print_pack(console: Console, pack: PolicyPack) -> None:
    console.print(f"pack {pack.name}: {pack.description}", markup=False, highlight=False)
    console.print(f"source: {pack.source}", markup=False, highlight=False)
    console.print("layers, in order (an owner's own policy comes last):", markup=False)
    for policy in pack.layers:
        console.print(_policy_table(policy))
