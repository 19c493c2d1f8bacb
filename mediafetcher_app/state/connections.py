"""Settings, Connections: the cookie vault's status per site, for administrators only.

Reads ``vault.cookie_status`` (metadata columns): counts and dates reach the browser, never a
cookie name or value, and nothing is decrypted to build this list. "Check" only queues a worker
job (the app never fetches a page); its verdict appears in the row on the next load.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, vault
from worker.client import enqueue_cookie_check

from .auth import AuthState
from .formatting import short_time
from .guard import Caller, guarded_event


class JarRow(TypedDict):
    domain: str
    count: int
    earliest_expiry: str
    last_sync: str
    last_check: str
    state: str
    checkable: bool


def _check(jar: vault.JarStatus) -> str:
    if jar.last_check is None:
        return "never"
    verdict = "works" if jar.last_check_ok else "failed"
    return f"{verdict}, {short_time(jar.last_check)}"


def jar_row(jar: vault.JarStatus) -> JarRow:
    return JarRow(
        domain=jar.domain,
        count=jar.cookie_count,
        earliest_expiry=short_time(jar.earliest_expiry, empty="session only"),
        last_sync=short_time(jar.last_sync),
        last_check=_check(jar),
        state=jar.state,
        checkable=vault.check_for(jar.domain) is not None,
    )


class ConnectionsState(AuthState):
    jars: list[JarRow] = []
    allowed: bool = False
    loaded: bool = False

    @guarded_event
    async def load(self, caller: Caller):
        """on_mount of the section; the role is checked here, not only by hiding the section."""
        self.allowed = caller.who.is_admin
        if self.allowed:
            self.jars = await caller.run(lambda db, _who: [jar_row(jar) for jar in vault.cookie_status(db)])
        else:
            self.jars = []
        self.loaded = True

    @guarded_event
    async def check(self, caller: Caller, site: str):
        """The row's Check button: admin only (checked here, not by hiding the button), then queued."""

        def checkable(db: DBSession, who: auth.Principal) -> None:
            who.require_admin()
            vault.require_checkable(db, site)

        await caller.run(checkable)
        await enqueue_cookie_check(site)
        return rx.toast.info("Checking…", description=f"The result for {site} shows here when you refresh.")
