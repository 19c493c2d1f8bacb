"""Settings, Connections: the signed-in user's cookie jars per site; admins also see everyone's.

Reads ``vault.cookie_status`` (metadata columns): owners, counts and dates reach the browser,
never a cookie name or value, and nothing is decrypted to build these lists. "Check" only queues
a worker job for the user's own jar (the app never fetches a page); its verdict appears in the
row on the next load. An admin may share one of their own jars with everyone (used by a job
whose submitter has no jar for that site).
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
    owner: str
    shared: bool
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
        owner=jar.owner,
        shared=jar.shared,
        count=jar.cookie_count,
        earliest_expiry=short_time(jar.earliest_expiry, empty="session only"),
        last_sync=short_time(jar.last_sync),
        last_check=_check(jar),
        state=jar.state,
        checkable=vault.check_for(jar.domain) is not None,
    )


def jar_rows(db: DBSession, who: auth.Principal) -> tuple[list[JarRow], list[JarRow]]:
    """The user's own jars, and (admins) every user's."""
    own = [jar_row(jar) for jar in vault.cookie_status(db, owner_id=who.user_id)]
    everyone = [jar_row(jar) for jar in vault.cookie_status(db, owner_id=None)] if who.is_admin else []
    return own, everyone


class ConnectionsState(AuthState):
    jars: list[JarRow] = []
    everyone: list[JarRow] = []
    loaded: bool = False

    @guarded_event
    async def load(self, caller: Caller):
        """on_mount of the section; everyone's jars only for an admin (checked here, not by hiding them)."""
        self.jars, self.everyone = await caller.run(jar_rows)
        self.loaded = True

    @guarded_event
    async def check(self, caller: Caller, site: str):
        """The row's Check button: the user's own jar of that site, checked by a worker."""
        name = await caller.run(lambda db, who: vault.require_checkable(db, site, who.user_id))
        await enqueue_cookie_check(name, caller.who.user_id)
        return rx.toast.info("Checking…", description=f"The result for {name} shows here when you refresh.")

    @guarded_event
    async def set_shared(self, caller: Caller, site: str, shared: bool):
        """An admin's Share/Unshare on one of their own jars (the core checks role and owner)."""

        def change(db: DBSession, who: auth.Principal) -> tuple[list[JarRow], list[JarRow]]:
            vault.set_shared(db, who, site, shared)
            return jar_rows(db, who)

        self.jars, self.everyone = await caller.run(change)
        verdict = "shared with everyone" if shared else "no longer shared"
        return rx.toast.success(f"Your cookies for {site} are {verdict}.")
