"""Browser sign-in and sign-out. HTTP routes, because only a response can set an HttpOnly cookie."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mediafetcher_app.core import auth, events
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.redirects import safe_next
from mediafetcher_app.core.settings import get_settings

from .bodies import json_object
from .identity import client_address, require_same_origin


def _set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def _sign_in(username: str, password: str, address: str, user_agent: str) -> str:
    with session_scope() as db:
        user = auth.authenticate(db, username, password, address)
        token = auth.create_session(db, user, user_agent)
        events.record(db, "signed_in", f"{user.username} signed in", user_id=user.id)
        return token


async def login(request: Request) -> Response:
    """Form post from the login page (redirects) or JSON (answers JSON).

    Origin-checked like every cookie-authenticated write: another page signing the browser in to
    an account of its choosing (login CSRF) would see what the user then archives.
    """
    require_same_origin(request)
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    data = await json_object(request) if wants_json else dict(await request.form())
    username, password = str(data.get("username", "")), str(data.get("password", ""))
    next_path = safe_next(data.get("next") or request.query_params.get("next"))
    try:
        token = await run_in_threadpool(
            _sign_in, username, password, client_address(request), request.headers.get("user-agent", "")
        )
    except DomainError as exc:
        if wants_json:
            raise
        target = f"/login?error={quote(exc.message)}&next={quote(next_path)}"
        return RedirectResponse(target, status_code=303)
    response: Response = JSONResponse({"ok": True}) if wants_json else RedirectResponse(next_path, status_code=303)
    _set_session_cookie(response, token)
    return response


def _sign_out(token: str | None) -> None:
    with session_scope() as db:
        auth.revoke_session(db, token)


async def logout(request: Request) -> Response:
    require_same_origin(request)
    await run_in_threadpool(_sign_out, request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


routes = [
    Route("/auth/login", login, methods=["POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
]
