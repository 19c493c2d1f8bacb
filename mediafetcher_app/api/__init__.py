"""The HTTP edge: /api/v1/* for the extension and scripts, /auth/* for the browser sign-in."""

from starlette.applications import Starlette

from .auth_routes import routes as auth_routes
from .cookies import routes as cookie_routes
from .errors import exception_handlers
from .media import routes as media_routes
from .pairing import routes as pairing_routes
from .v1 import routes as v1_routes


def build_api() -> Starlette:
    """Our routes, mounted by Reflex in front of its own (``api_transformer``)."""
    return Starlette(
        routes=[*auth_routes, *v1_routes, *cookie_routes, *media_routes, *pairing_routes],
        exception_handlers=exception_handlers,
    )
