"""The installable web app: manifest, icons, service worker, and the share sheet's target.

``POST /share-target`` is what a phone's share sheet opens (the manifest's ``share_target``). It
creates the download at once only when the request carries a valid session *and* passes the
origin policy (origins.py): a page on another site, or another port of this host, can post the
same form, and must not queue downloads in the user's name. Anything else (signed out, foreign
origin, a refusal worth showing) goes to the ``/share`` page with the link in its query: that page
asks to sign in when needed (the link rides along in ``next``) and creates the job only when the
user taps Download, so no crafted GET can create one either.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlencode

from sqlmodel import Session as DBSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mediafetcher_app.core import auth, intake
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from mediafetcher_app.core.share import shared_link
from worker.client import put_download

from .origins import origin_allowed

T = TypeVar("T")

STATIC = Path(__file__).resolve().parent.parent / "static"
THEME_COLOR = "#5b5bd6"
SHARE_TARGET = "/share-target"
SHARE_PAGE = "/share"
# Where a created job's progress shows: the dashboard lists active downloads live.
PROGRESS_PAGE = "/dashboard"
# The shell is loaded fresh each time (the worker never caches); a day is fine for the icons.
ICON_CACHE = "public, max-age=86400"

MANIFEST = {
    "name": "MediaFetcher",
    "short_name": "MediaFetcher",
    "description": "Your own archive of videos, music and pictures from the web.",
    "id": "/",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": THEME_COLOR,
    "icons": [
        {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
        {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
    ],
    "share_target": {
        "action": SHARE_TARGET,
        "method": "POST",
        "enctype": "application/x-www-form-urlencoded",
        "params": {"title": "title", "text": "text", "url": "url"},
    },
}
ICONS = {"icon-192.png", "icon-512.png"}


async def manifest(_request: Request) -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


async def service_worker(_request: Request) -> Response:
    # no-cache: browsers must see a new worker at once; Service-Worker-Allowed pins its scope.
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


async def worker_registration(_request: Request) -> Response:
    return FileResponse(STATIC / "sw-register.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


async def icon(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ICONS:  # the path never names a file by itself
        return Response("Not found", status_code=404)
    return FileResponse(STATIC / name, media_type="image/png", headers={"Cache-Control": ICON_CACHE})


def share_page(link: str = "", error: str = "", shared: str = "") -> str:
    """``/share`` with what it should show; each value is percent-encoded whole."""
    query = urlencode({k: v for k, v in (("url", link), ("error", error), ("shared", shared)) if v}, quote_via=quote)
    return f"{SHARE_PAGE}?{query}" if query else SHARE_PAGE


def _as_session(token: str) -> intake.Runner:
    """Work run as the holder of the session ``token``, in one transaction, off the event loop."""

    def in_session(work: Callable[[DBSession, auth.Principal], T]) -> T:
        with session_scope() as db:
            return work(db, auth.principal_for_session(db, token))

    return lambda work: run_in_threadpool(in_session, work)


async def share_target(request: Request) -> Response:
    """The share sheet's form post (fields url, text, title); always answers with a redirect."""
    form = await request.form()
    fields = {name: str(form.get(name) or "") for name in ("url", "text", "title")}
    try:
        link = shared_link(**fields)
    except DomainError as exc:  # nothing lost: the page shows what was shared
        return RedirectResponse(share_page(error=exc.message, shared=" ".join(fields.values()).strip()), 303)
    token = request.cookies.get(auth.SESSION_COOKIE)
    if not token or not origin_allowed(request.scope):
        return RedirectResponse(share_page(link), 303)
    try:
        await intake.submit(_as_session(token), put_download, link)
    except NotAuthenticated:
        return RedirectResponse(share_page(link), 303)
    except DomainError as exc:
        return RedirectResponse(share_page(link, error=exc.message), 303)
    return RedirectResponse(PROGRESS_PAGE, 303)


routes = [
    Route("/manifest.webmanifest", manifest, methods=["GET"]),
    Route("/sw.js", service_worker, methods=["GET"]),
    Route("/sw-register.js", worker_registration, methods=["GET"]),
    Route("/icons/{name}", icon, methods=["GET"]),
    Route(SHARE_TARGET, share_target, methods=["POST"]),
]
