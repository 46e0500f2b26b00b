"""``alprsim demo`` and ``alprsim explore``: the educator's two views of a run."""

from __future__ import annotations

import sys

import click
import typer
from rich.console import Console

from scenarios.files import ScenarioError


def register(app: typer.Typer) -> None:
    """Add ``demo`` and ``explore``."""

    @app.command("demo")
    def demo(
        story: str = typer.Argument("proxy-loophole", help="proxy-loophole, policy-fix or audit"),
        policy: str = typer.Option("ca-sb34", "--policy", help="policy pack the story runs under"),
        seed: int | None = typer.Option(None, "--seed", help="root seed (default: the scenario's)"),
        no_pause: bool = typer.Option(False, "--no-pause", help="print every step at once"),
    ) -> None:
        """A narrated walkthrough of a small real run: one step per keypress (q to stop)."""
        from scenarios.demo import STORIES, run_demo

        err = Console(stderr=True)
        if story not in STORIES:
            err.print(f"[bold red]error:[/] story {story!r} is not one of {', '.join(STORIES)}", highlight=False)
            raise typer.Exit(2)
        if seed is not None and not 0 <= seed < 2**63:
            err.print(f"[bold red]error:[/] --seed: {seed} must be a non-negative 63-bit integer", highlight=False)
            raise typer.Exit(2)
        console = Console(highlight=False)
        interactive = not no_pause and sys.stdin.isatty() and console.is_terminal

        def pause() -> bool:
            console.print("[dim]any key: next step, q: stop[/]", end="")
            key = click.getchar()
            console.print()
            return key.lower() != "q"

        try:
            run_demo(story, console, policy, seed, pause if interactive else None)
        except ScenarioError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None

    @app.command("explore")
    def explore(
        scenario: str = typer.Argument("classroom", help="built-in scenario name or YAML file"),
        port: int = typer.Option(8050, "--port", help="port to listen on"),
        host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
        policy: str | None = typer.Option(None, "--policy", help="policy shown first (default: the scenario's)"),
        seed: int | None = typer.Option(None, "--seed", help="root seed (default: the scenario's)"),
    ) -> None:
        """Serve a page that shows a run: map, flows, searches and their audit rows, per policy."""
        import uvicorn

        from scenarios.explore import create_app
        from scenarios.files import load_scenario, with_overrides

        err = Console(stderr=True)
        if not 0 < port < 65536:
            err.print(f"[bold red]error:[/] --port: {port} is not a port number", highlight=False)
            raise typer.Exit(2)
        try:
            spec = with_overrides(load_scenario(scenario), seed=seed)
            app_ = create_app(spec, policy)
        except ScenarioError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        err.print(f"alprsim explore: {spec.name} at http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
        uvicorn.run(app_, host=host, port=port, log_level="warning")
