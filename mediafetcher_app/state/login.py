"""The login and first-run setup pages' state. Sign-in itself is an HTTP form post.

Both pages are public by design, so their events use ``in_transaction`` (no principal), still
off the event loop.
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.redirects import safe_next

from .guard import in_transaction, session_cookie


def _signed_in(db: DBSession, token: str | None) -> bool:
    try:
        auth.principal_for_session(db, token)
    except DomainError:
        return False
    return True


class LoginState(rx.State):
    error: str = ""

    @rx.event
    async def load(self):
        """Signed in already: go on. No user at all yet: first-run setup."""
        params = self.router.url.query_parameters
        self.error = params.get("error", "")
        token = session_cookie(self.router.headers.cookie)
        has_users, signed_in = await in_transaction(lambda db: (auth.has_users(db), _signed_in(db, token)))
        if not has_users:
            return rx.redirect("/setup", replace=True)
        if not signed_in:
            return None
        return rx.redirect(safe_next(params.get("next")), replace=True)


class SetupState(rx.State):
    """Creates the first admin when (and only while) no user exists."""

    error: str = ""

    @rx.event
    async def load(self):
        if await in_transaction(auth.has_users):
            return rx.redirect("/login", replace=True)
        return None

    @rx.event
    async def create_admin(self, form: dict[str, str]):
        """Only while nobody exists, even with two of these (or a start-up) at once: a user made
        meanwhile wins and this one goes to sign-in."""
        if form.get("password") != form.get("confirm"):
            self.error = "The passwords do not match."
            return None
        username, password = form.get("username", ""), form.get("password", "")
        try:
            await in_transaction(lambda db: auth.create_first_admin(db, username, password))
        except DomainError as exc:
            self.error = exc.message
            return None
        return rx.redirect("/login", replace=True)
