"""The login and first-run setup pages' state. Sign-in itself is an HTTP form post."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.models import Role
from mediafetcher_app.core.redirects import safe_next

from .auth import session_cookie


class LoginState(rx.State):
    error: str = ""
    next_path: str = "/"
    needs_setup: bool = False

    @rx.event
    def load(self):
        """Signed in already: go on. No user at all yet: first-run setup."""
        params = self.router.url.query_parameters
        self.error = params.get("error", "")
        self.next_path = safe_next(params.get("next"))
        with session_scope() as db:
            if not auth.has_users(db):
                return rx.redirect("/setup", replace=True)
            try:
                auth.principal_for_session(db, session_cookie(self.router.headers.cookie))
            except DomainError:
                return None
        return rx.redirect(self.next_path, replace=True)


class SetupState(rx.State):
    """Creates the first admin when (and only while) no user exists."""

    error: str = ""

    @rx.event
    def load(self):
        with session_scope() as db:
            if auth.has_users(db):
                return rx.redirect("/login", replace=True)
        return None

    @rx.event
    def create_admin(self, form: dict[str, str]):
        if form.get("password") != form.get("confirm"):
            self.error = "The passwords do not match."
            return None
        try:
            with session_scope() as db:
                if auth.has_users(db):
                    return rx.redirect("/login", replace=True)
                auth.create_user(db, form.get("username", ""), form.get("password", ""), Role.admin)
        except DomainError as exc:
            self.error = exc.message
            return None
        return rx.redirect("/login", replace=True)
