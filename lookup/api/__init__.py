"""The HTTP API of the lookup service (FastAPI): ``create_app(db_path, admin_key, ...)``."""

from lookup.api.app import Limits, create_app

__all__ = ["Limits", "create_app"]
