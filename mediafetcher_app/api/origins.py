"""Which web pages may talk to us with the user's cookies: our own, plus ``MF_ALLOWED_ORIGINS``.

One policy for every place a browser could be tricked into acting for a signed-in user: Reflex's
websocket (every state event), cookie-authenticated writes to our routes, and ``/auth/*``. On a
LAN the session cookie's ``SameSite=Lax`` is not enough: a page on another port of the same host
(``http://nas.local:8080``) is *same-site*, so the browser sends our cookie with its requests; only
the ``Origin`` header tells that page apart from ours.

"Our own origin" is the scheme and ``Host`` the request came in on: the app answers on whatever
name or address the LAN uses for it, so there is nothing to configure. Behind a reverse proxy that
rewrites ``Host`` or terminates TLS, list the public origin in ``MF_ALLOWED_ORIGINS``.

A request without ``Origin`` is judged by ``Sec-Fetch-Site``: browsers send ``Origin`` with every
cross-origin write and websocket, and ``Sec-Fetch-Site`` with every request since 2023, so a
request carrying neither comes from a script or command-line client that holds the cookie itself
(nothing to forge); one that says ``same-site`` or ``cross-site`` is refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

from mediafetcher_app.core.settings import get_settings

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A websocket request's scope scheme is ws/wss; the page that opened it is http/https.
_PAGE_SCHEME = {"http": "http", "ws": "http", "https": "https", "wss": "https"}
_BROWSER_OWN_SITES = {"same-origin", "none"}


def parse_origin(text: str) -> Origin | None:
    """``http://Host:3000`` -> ``("http", "host", 3000)``; None for ``null`` or anything malformed."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query:
        return None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme]


def own_origin(scope: Scope) -> Origin | None:
    """The origin a page of ours has when the browser reached this request's host."""
    scheme = _PAGE_SCHEME.get(scope.get("scheme", "http"), "http")
    host = Headers(scope=scope).get("host", "")
    return parse_origin(f"{scheme}://{host}") if host else None


def allowed_origins() -> set[Origin]:
    """``MF_ALLOWED_ORIGINS``, parsed (read at call time: tests change it)."""
    return {origin for text in get_settings().allowed_origins if (origin := parse_origin(text))}


def origin_allowed(scope: Scope) -> bool:
    """The policy, for an HTTP or websocket request's ``scope``; see the module docstring."""
    headers = Headers(scope=scope)
    origin_header = headers.get("origin")
    if origin_header is None:
        return headers.get("sec-fetch-site", "none") in _BROWSER_OWN_SITES
    origin = parse_origin(origin_header)
    return origin is not None and (origin == own_origin(scope) or origin in allowed_origins())


def socketio_origin_allowed(_origin: str, environ: dict[str, Any]) -> bool:
    """The policy as python-engineio calls it for Reflex's websocket (``cors_allowed_origins``)."""
    return origin_allowed(environ["asgi.scope"])
