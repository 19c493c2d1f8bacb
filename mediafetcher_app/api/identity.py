"""Who is asking: a Bearer API token, else the browser's session cookie."""

from __future__ import annotations

from sqlmodel import Session as DBSession
from starlette.requests import Request

from mediafetcher_app.core import auth, clients
from mediafetcher_app.core.errors import Forbidden, NotAuthenticated

from .origins import origin_allowed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_same_origin(request: Request) -> None:
    """A cookie-authenticated write (and sign-in, sign-out) must come from our own pages (origins.py)."""
    if not origin_allowed(request.scope):
        raise Forbidden("Cross-site request refused: this page may not act on MediaFetcher for you.")


def principal(db: DBSession, request: Request) -> auth.Principal:
    token = bearer_token(request)
    if token:
        return auth.principal_for_token(db, token)
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Sign in or send an API token (Authorization: Bearer ...).")
    if request.method not in SAFE_METHODS:
        require_same_origin(request)
    return auth.principal_for_session(db, cookie)


def client_address(request: Request) -> str:
    """The client, behind a trusted proxy the one it forwarded (core/clients.py)."""
    peer = request.client.host if request.client else ""
    return clients.client_address(peer, ",".join(request.headers.getlist("x-forwarded-for")))
