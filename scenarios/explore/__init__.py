"""``alprsim explore``: a run in a web page (FastAPI + Jinja2; plotly's JS from the installed package)."""

from scenarios.explore.app import create_app

__all__ = ["create_app"]
