"""``/api/v1/cookies`` (docs/ARCHITECTURE.md §5): the browser extension syncs cookies in; only status comes out.

No response, error message or log line carries a cookie name or value: POST answers counts per
site, GET the per-site status, errors name the line and the field. Jars belong to the user who
synced them (docs/ARCHITECTURE.md §6): writing needs the ``cookies:write`` scope (any role) and stores into
the caller's own jars, and so does asking a worker to check one of them. GET shows the caller's
own jars; an admin adds ``?all=1`` to see everyone's, with the owner's name.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session as DBSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from mediafetcher_app.core import auth, vault
from mediafetcher_app.core.errors import InvalidInput
from worker.client import enqueue_cookie_check

from .handlers import in_db
from .routing import Operation, Query, api_route
from .schemas import CheckQueued, CookieCounts

log = logging.getLogger(__name__)


def _parse(body: bytes, content_type: str) -> list[vault.Cookie]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The cookies are not UTF-8 text (byte {exc.start + 1} is invalid).", code="invalid_cookies"
        ) from None
    if "json" in content_type.lower():
        if not text.strip():
            raise InvalidInput("No cookies found: the body is empty.", code="invalid_cookies")
        return vault.parse_chrome_json(text)
    return vault.parse_cookies(text)


async def post_cookies(request: Request) -> JSONResponse:
    """Store a sync: text/plain cookies.txt or JSON ``{"cookies": [...]}``; answers counts only."""
    body = await request.body()  # at most 4 MB: bodies.ROUTE_LIMITS
    content_type = request.headers.get("content-type", "")

    def sync(db: DBSession, principal: auth.Principal) -> dict[str, int]:
        principal.require_scope(auth.Scope.COOKIES_WRITE)
        return vault.save_cookies(db, _parse(body, content_type), owner_id=principal.user_id)

    counts = await in_db(request, sync)
    return JSONResponse({"domains": counts, "total": sum(counts.values())})


async def get_cookies(request: Request) -> JSONResponse:
    """Per-site status (owner, shared, count, earliest expiry, expired/expiring, last sync, last check)."""
    everyone = request.query_params.get("all") in ("1", "true")

    def status(db: DBSession, principal: auth.Principal) -> list[dict[str, Any]]:
        if everyone:
            principal.require_admin()
        owner_id = None if everyone else principal.user_id
        return [jar.as_dict() for jar in vault.cookie_status(db, owner_id=owner_id)]

    return JSONResponse(await in_db(request, status))


async def check_cookies(request: Request) -> JSONResponse:
    """Queue a check of the caller's cookies for one site; GET's ``last_check``/``last_check_ok`` show the verdict."""
    raw_site = request.path_params["site"]

    def checkable(db: DBSession, principal: auth.Principal) -> tuple[str, int]:
        principal.require_scope(auth.Scope.COOKIES_WRITE)
        return vault.require_checkable(db, raw_site, principal.user_id), principal.user_id

    site, owner_id = await in_db(request, checkable)
    await enqueue_cookie_check(site, owner_id)
    return JSONResponse({"queued": True}, status_code=202)


COOKIE_BODY = {
    "text/plain": {"schema": {"type": "string", "description": "A Netscape cookies.txt file."}},
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"cookies": {"type": "array", "items": {"type": "object"}}},
            "required": ["cookies"],
            "description": "Cookies as chrome.cookies.getAll() gives them.",
        }
    },
}

routes = [
    api_route(
        "POST",
        "/api/v1/cookies",
        post_cookies,
        Operation(
            "Store cookies into your jars, per site",
            scope=auth.Scope.COOKIES_WRITE,
            body=COOKIE_BODY,
            response=CookieCounts,
            errors=(413,),
            description="Answers counts only. Malformed input: 400 naming the line, and nothing is stored.",
        ),
    ),
    api_route(
        "GET",
        "/api/v1/cookies",
        get_cookies,
        Operation(
            "The status of your cookie jars (never a cookie)",
            query=(Query("all", {"type": "string", "enum": ["1", "true"]}, "Everyone's jars (administrators)."),),
            response=list[vault.JarStatus],
        ),
    ),
    api_route(
        "POST",
        "/api/v1/cookies/{site}/check",
        check_cookies,
        Operation(
            "Queue a check of your cookies for one site",
            scope=auth.Scope.COOKIES_WRITE,
            response=CheckQueued,
            status=202,
        ),
    ),
]
