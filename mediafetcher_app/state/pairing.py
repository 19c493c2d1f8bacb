"""Browser pairing in the web UI: the ``/pair`` approval page and the API token list in Settings.

Both resolve the session on the server for every event (docs/ARCHITECTURE.md §6): the page's buttons and
the token list act for whoever the HttpOnly cookie says, never for a name held in state.
"""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, pairing
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from mediafetcher_app.core.models import ApiToken

from .auth import AuthState, login_redirect
from .formatting import short_time
from .guard import Caller, guarded_event

TOKEN_ROWS = 50


class PairPageState(AuthState):
    """``/pair?challenge=...&name=...``: the signed-in user allows or refuses a browser."""

    challenge: str = ""
    browser: str = ""
    confirmation: str = ""
    outcome: str = ""
    error: str = ""

    def _refuse(self, exc: DomainError):
        """Signed out: sign in first and come back to this very request (query included);
        anything else is said on the page."""
        if isinstance(exc, NotAuthenticated):
            params = self.router.url.query_parameters
            here = "/pair?" + urlencode({key: params.get(key, "") for key in ("challenge", "name")})
            return login_redirect(here)
        self.error = exc.message
        return None

    @guarded_event
    async def load(self, caller: Caller):
        params = self.router.url.query_parameters
        self.outcome = self.error = self.confirmation = self.challenge = ""
        self._know(caller)
        self.browser = pairing.clean_name(params.get("name"))
        self.challenge = pairing.validate_challenge(params.get("challenge"))
        self.confirmation = pairing.confirmation_code(self.challenge)

    async def _answer(self, caller: Caller, approve: bool) -> None:
        challenge, browser = self.challenge, self.browser
        await caller.run(lambda db, who: pairing.answer(db, who, challenge, browser, approve))
        self.outcome = "approved" if approve else "denied"

    @guarded_event
    async def approve(self, caller: Caller):
        await self._answer(caller, True)

    @guarded_event
    async def deny(self, caller: Caller):
        await self._answer(caller, False)


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


def token_rows(db: DBSession, who: auth.Principal) -> list[TokenRow]:
    return [token_row(t) for t in auth.list_tokens(db, who.user_id)[:TOKEN_ROWS]]


# The form's checkboxes: what each adds to the default scopes (downloads and media).
TOKEN_CHOICES = {
    "cookies": (auth.Scope.COOKIES_WRITE,),
    "library": (auth.Scope.LIBRARY_READ, auth.Scope.LIBRARY_WRITE, auth.Scope.EVENTS_READ),
    "full": auth.Scope.ALL,
}


def token_scopes(form: dict[str, str]) -> tuple[str, ...]:
    chosen = {scope for key, extra in TOKEN_CHOICES.items() if form.get(key) in ("on", "true") for scope in extra}
    return tuple(sorted({*auth.Scope.DEFAULT, *chosen}))


class ApiTokensState(AuthState):
    """The signed-in user's API tokens (paired browsers and scripts): list, create, revoke.

    A new token is in ``new_token`` until dismissed or the section loads again: shown once,
    the database keeps only its digest.
    """

    tokens: list[TokenRow] = []
    new_token: str = ""
    server_address: str = ""
    loaded: bool = False

    async def _reload(self, caller: Caller) -> None:
        self.tokens = await caller.run(token_rows)
        self.loaded = True

    @guarded_event
    async def load(self, caller: Caller):
        """on_mount of the section."""
        self.new_token = ""
        self.server_address = self.router.url.origin
        await self._reload(caller)

    @guarded_event
    async def create(self, caller: Caller, form: dict[str, str]):
        label = (form.get("label") or "").strip() or "API token"
        scopes = token_scopes(form)

        _row, self.new_token = await caller.run(lambda db, who: auth.create_own_token(db, who, label, scopes))
        await self._reload(caller)

    @guarded_event
    async def revoke(self, caller: Caller, token_id: int):
        await caller.run(lambda db, who: auth.revoke_token(db, who, token_id))
        await self._reload(caller)
        return rx.toast.info("Token revoked: the browser or script using it is disconnected.")

    @rx.event
    def dismiss_token(self):
        self.new_token = ""
