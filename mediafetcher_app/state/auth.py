"""Who is signed in, checked on the server for every page load and every event.

The session cookie is HttpOnly: the browser never exposes it to scripts, but it rides along
with the websocket handshake, where ``router.headers.cookie`` reads it (server side only).
Handlers call ``self._principal()`` (or ``self._attempt(work)``) before touching data, and
``self._refuse(exc)`` turns a domain error into a redirect (signed out) or a toast (anything else).
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from mediafetcher_app.core.redirects import safe_next


def session_cookie(cookie_header: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(auth.SESSION_COOKIE)
    return morsel.value if morsel else None


def login_redirect(path: str) -> rx.event.EventSpec:
    return rx.redirect(f"/login?next={quote(safe_next(path))}", replace=True)


class AuthState(rx.State):
    """The signed-in user, as far as the page needs to know it (no secrets)."""

    username: str = ""
    role: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == "admin"

    def _principal(self) -> auth.Principal:
        """Resolve the session now; raises NotAuthenticated when it ended or was revoked."""
        with session_scope() as db:
            return auth.principal_for_session(db, session_cookie(self.router.headers.cookie))

    def _refuse(self, exc: DomainError) -> rx.event.EventSpec:
        if isinstance(exc, NotAuthenticated):
            return login_redirect(self.router.url.path)
        return rx.toast.error(exc.message)

    def _attempt(self, work: Callable[[DBSession, auth.Principal], Any]) -> rx.event.EventSpec | None:
        """Run ``work`` as the signed-in user in one transaction.

        Returns the refusal to send back (sign-in page or an error toast), or None when it worked:
        ``if refusal := self._attempt(...): return refusal``.
        """
        try:
            who = self._principal()
            with session_scope() as db:
                work(db, who)
        except DomainError as exc:
            return self._refuse(exc)
        return None

    @rx.event
    def require_login(self):
        """on_load of every signed-in page."""
        try:
            who = self._principal()
        except NotAuthenticated:
            return login_redirect(self.router.url.path)
        self.username, self.role = who.username, who.role.value
        return None

    @rx.event
    def require_admin(self):
        """on_load of admin pages: hiding the link is not enough."""
        redirect = self.require_login()
        if redirect is None and not self.is_admin:
            return rx.redirect("/", replace=True)
        return redirect
