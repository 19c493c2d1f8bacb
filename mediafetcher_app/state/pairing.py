"""Browser pairing in the web UI: the ``/pair`` approval page and the API token list in Settings.

Both resolve the session on the server for every event (DESIGN.md §6): the page's buttons and
the token list act for whoever the HttpOnly cookie says, never for a name held in state.
"""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlencode

import reflex as rx

from mediafetcher_app.core import auth, pairing
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from mediafetcher_app.core.models import ApiToken, User

from .auth import AuthState, login_redirect
from .formatting import short_time

TOKEN_ROWS = 50


class PairPageState(AuthState):
    """``/pair?challenge=...&name=...``: the signed-in user allows or refuses a browser."""

    challenge: str = ""
    browser: str = ""
    confirmation: str = ""
    outcome: str = ""
    error: str = ""

    @rx.event
    def load(self):
        """Signed out: sign in first and come back to this very request (query included)."""
        params = self.router.url.query_parameters
        self.outcome = self.error = self.confirmation = ""
        try:
            who = self._principal()
        except NotAuthenticated:
            here = "/pair?" + urlencode({key: params.get(key, "") for key in ("challenge", "name")})
            return login_redirect(here)
        self.username, self.role = who.username, who.role.value
        self.browser = pairing.clean_name(params.get("name"))
        try:
            self.challenge = pairing.validate_challenge(params.get("challenge"))
        except DomainError as exc:
            self.challenge, self.error = "", exc.message
            return None
        self.confirmation = pairing.confirmation_code(self.challenge)
        return None

    def _answer(self, approve: bool):
        try:
            who = self._principal()
            with session_scope() as db:
                pairing.answer(db, who, self.challenge, self.browser, approve)
        except NotAuthenticated as exc:
            return self._refuse(exc)
        except DomainError as exc:
            self.error = exc.message
            return None
        self.outcome = "approved" if approve else "denied"
        return None

    @rx.event
    def approve(self):
        return self._answer(True)

    @rx.event
    def deny(self):
        return self._answer(False)


class TokenRow(TypedDict):
    id: int
    label: str
    prefix: str
    scopes: str
    created: str
    last_used: str
    revoked: bool


def token_row(token: ApiToken) -> TokenRow:
    assert token.id is not None
    return TokenRow(
        id=token.id,
        label=token.label or "(no label)",
        prefix=token.prefix + "…",
        scopes=", ".join(token.scopes),
        created=short_time(token.created_at),
        last_used=short_time(token.last_used),
        revoked=token.revoked_at is not None,
    )


class ApiTokensState(AuthState):
    """The signed-in user's API tokens (paired browsers and scripts): list, create, revoke.

    A new token is in ``new_token`` until dismissed or the section loads again: shown once,
    the database keeps only its digest.
    """

    tokens: list[TokenRow] = []
    new_token: str = ""
    may_sync_cookies: bool = False
    server_address: str = ""
    loaded: bool = False

    def _reload(self, who: auth.Principal) -> None:
        with session_scope() as db:
            self.tokens = [token_row(t) for t in auth.list_tokens(db, who.user_id)[:TOKEN_ROWS]]
        self.may_sync_cookies = who.is_admin
        self.loaded = True

    @rx.event
    def load(self):
        """on_mount of the section."""
        self.new_token = ""
        self.server_address = self.router.url.origin
        try:
            self._reload(self._principal())
        except DomainError as exc:
            return self._refuse(exc)
        return None

    @rx.event
    def create(self, form: dict[str, str]):
        label = (form.get("label") or "").strip() or "API token"
        try:
            who = self._principal()
            cookies = form.get("cookies") in ("on", "true") and who.is_admin
            scopes = (*auth.Scope.DEFAULT, auth.Scope.COOKIES_WRITE) if cookies else auth.Scope.DEFAULT
            with session_scope() as db:
                user = db.get(User, who.user_id)
                assert user is not None
                self.new_token = auth.create_token(db, user, label, scopes)
        except DomainError as exc:
            return self._refuse(exc)
        self._reload(who)
        return None

    @rx.event
    def revoke(self, token_id: int):
        try:
            who = self._principal()
            with session_scope() as db:
                auth.revoke_token(db, who, token_id)
        except DomainError as exc:
            return self._refuse(exc)
        self._reload(who)
        return rx.toast.info("Token revoked: the browser or script using it is disconnected.")

    @rx.event
    def dismiss_token(self):
        self.new_token = ""
