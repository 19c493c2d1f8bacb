"""Who is signed in, checked on the server for every page load and every event.

The session cookie is HttpOnly: the browser never exposes it to scripts, but it rides along
with the websocket handshake, where ``router.headers.cookie`` reads it (server side only).
Events that touch data are ``@guarded_event`` (see ``guard``); ``_refuse`` turns their domain
errors into a redirect (signed out) or a toast (anything else), and a state may answer otherwise.
"""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from mediafetcher_app.core import clients
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from mediafetcher_app.core.redirects import safe_next

from .guard import Caller, guarded_event


def login_redirect(path: str) -> rx.event.EventSpec:
    return rx.redirect(f"/login?next={quote(safe_next(path))}", replace=True)


class AuthState(rx.State):
    """The signed-in user, as far as the page needs to know it (no secrets)."""

    username: str = ""
    role: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == "admin"

    def _refuse(self, exc: DomainError) -> rx.event.EventSpec | None:
        if isinstance(exc, NotAuthenticated):
            return login_redirect(self.router.url.path)
        return rx.toast.error(exc.message)

    def _address(self) -> str:
        """The browser's address for the password-check limit (behind a trusted proxy, the forwarded one)."""
        forwarded = self.router.headers.raw_headers.get("x-forwarded-for")
        return clients.client_address(self.router.session.client_ip, forwarded)

    def _know(self, caller: Caller) -> None:
        self.username, self.role = caller.who.username, caller.who.role.value

    @guarded_event
    async def require_login(self, caller: Caller):
        """on_load of every signed-in page."""
        self._know(caller)

    @guarded_event
    async def require_admin(self, caller: Caller):
        """on_load of admin pages: hiding the link is not enough."""
        self._know(caller)
        if not caller.who.is_admin:
            return rx.redirect("/", replace=True)
        return None
