"""How the CLI reports bad input: one ``error:`` line on stderr, then exit 2.

Plain text, never wrapped or read as markup (an organization named "[Federal] ..." stays as
written); a message of several lines (one per invalid field) keeps its first line on the
``error:`` line and indents the rest.
"""

from __future__ import annotations

import typer


def user_error(message: object) -> typer.Exit:
    """Print ``error: MESSAGE`` and return the exit (code 2) for the caller to raise."""
    first, *rest = str(message).splitlines() or [""]
    typer.echo(typer.style("error:", fg="red", bold=True) + f" {first}", err=True)
    for line in rest:
        typer.echo(f"  {line}", err=True)
    return typer.Exit(2)
