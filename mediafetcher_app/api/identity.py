"""Who is asking: a Bearer API token, else the browser's session cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session as DBSession
from starlette.requests import Request

from mediafetcher_app.core import auth, clients
from mediafetcher_app.core.errors import Forbidden, NotAuthenticated

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _same_origin(request: Request) -> bool:
    """A cookie-authenticated write must come from our own pages (defence beside SameSite)."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def principal(db: DBSession, request: Request) -> auth.Principal:
    token = bearer_token(request)
    if token:
        return auth.principal_for_token(db, token)
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Sign in or send an API token (Authorization: Bearer ...).")
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise Forbidden("Cross-site request refused.")
    return auth.principal_for_session(db, cookie)


def client_address(request: Request) -> str:
    """The client, behind a trusted proxy the one it forwarded (core/clients.py)."""
    peer = request.client.host if request.client else ""
    return clients.client_address(peer, ",".join(request.headers.getlist("x-forwarded-for")))
