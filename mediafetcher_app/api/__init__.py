"""The HTTP edge: /api/v1/* for the extension and scripts, /auth/* for the browser sign-in."""

from starlette.applications import Starlette
from starlette.middleware import Middleware

from .accounts import routes as account_routes
from .auth_routes import routes as auth_routes
from .bodies import BodyLimit
from .cookies import routes as cookie_routes
from .errors import exception_handlers
from .library import routes as library_routes
from .media import routes as media_routes
from .openapi import openapi_route
from .pairing import routes as pairing_routes
from .security import SecurityLayer
from .sources import routes as source_routes
from .v1 import routes as v1_routes
from .webapp import routes as webapp_routes

__all__ = ["SecurityLayer", "build_api"]


def build_api() -> Starlette:
    """Our routes, mounted by Reflex in front of its own (``api_transformer``).

    The OpenAPI document is made from this very list (api/openapi.py). Request bodies are limited
    here, in front of every route; the security headers and the websocket origin check wrap the
    whole app, Reflex included (``SecurityLayer``, the next ``api_transformer`` step).
    """
    routes = [
        *auth_routes,
        *v1_routes,
        *library_routes,
        *source_routes,
        *account_routes,
        *cookie_routes,
        *media_routes,
        *pairing_routes,
        *webapp_routes,
    ]
    routes.append(openapi_route(routes))
    return Starlette(
        routes=routes,
        middleware=[Middleware(BodyLimit)],
        exception_handlers=exception_handlers,
    )
