"""Settings: the account, users (admin), and storage use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import accounts, auth, media_queries, presets, system
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.models import Role
from mediafetcher_app.core.sizes import human_bytes

from .auth import AuthState, login_redirect
from .guard import Caller, guarded_event


class UserRow(TypedDict):
    id: int
    username: str
    role: str
    disabled: bool
    created: str


class KindUse(TypedDict):
    kind: str
    count: int
    gigabytes: float
    label: str


@dataclass(frozen=True)
class StorageView:
    total: str
    used: str
    free: str
    percent: int
    usage: list[KindUse]


def storage_view(db: DBSession, _who: auth.Principal | None = None) -> StorageView:
    """The media volume's space and what each kind of media takes."""
    status = system.disk()
    by_kind = media_queries.usage_by_kind(db)
    return StorageView(
        total=human_bytes(status.total),
        used=human_bytes(status.used),
        free=human_bytes(status.free),
        percent=round(100 * status.used / status.total) if status.total else 0,
        usage=[
            KindUse(
                kind=kind,
                count=by_kind.get(kind, {}).get("count", 0),
                gigabytes=round(by_kind.get(kind, {}).get("bytes", 0) / 1024**3, 2),
                label=human_bytes(by_kind.get(kind, {}).get("bytes", 0)),
            )
            for kind in ("video", "audio", "image")
        ],
    )


def user_rows(db: DBSession, who: auth.Principal) -> list[UserRow]:
    return [UserRow(**summary.__dict__) for summary in accounts.list_users(db, who)]


def then_users(
    change: Callable[[DBSession, auth.Principal], Any],
) -> Callable[[DBSession, auth.Principal], list[UserRow]]:
    """``change`` to the users (the core checks the admin role), then the list as it is after it."""

    def run(db: DBSession, who: auth.Principal) -> list[UserRow]:
        change(db, who)
        return user_rows(db, who)

    return run


class SettingsState(AuthState):
    users: list[UserRow] = []
    disk_total: str = ""
    disk_used: str = ""
    disk_free: str = ""
    disk_percent: int = 0
    usage: list[KindUse] = []
    token_count: int = 0
    default_preset: str = presets.COMPATIBLE

    def _show_storage(self, shown: StorageView) -> None:
        self.disk_total, self.disk_used, self.disk_free = shown.total, shown.used, shown.free
        self.disk_percent, self.usage = shown.percent, shown.usage

    @guarded_event
    async def load(self, caller: Caller):
        def read(db: DBSession, who: auth.Principal) -> tuple[StorageView, list[UserRow], int, str]:
            users = user_rows(db, who) if who.is_admin else []
            return storage_view(db), users, auth.live_token_count(db, who.user_id), presets.default_of(db, who)

        storage, self.users, self.token_count, self.default_preset = await caller.run(read)
        self._show_storage(storage)

    @guarded_event
    async def set_default_preset(self, caller: Caller, preset: str):
        """The download choice new downloads and sources start with."""
        self.default_preset = await caller.run(lambda db, who: presets.set_default(db, who, preset))
        return rx.toast.success("Saved", description=presets.LABELS[self.default_preset])

    @guarded_event
    async def change_password(self, caller: Caller, form: dict[str, str]):
        """Needs the current password (limited like a sign-in); signs out the account's other sessions."""
        if form.get("new") != form.get("confirm"):
            raise InvalidInput("The new passwords do not match.")
        current, new, address = form.get("current", ""), form.get("new", ""), self._address()
        ended = await caller.run(lambda db, who: accounts.change_password(db, who, current, new, address))
        return rx.toast.success("Password changed", description=f"Signed out of {ended} other session(s).")

    @guarded_event
    async def sign_out_everywhere(self, caller: Caller, revoke_tokens: bool):
        """Every session of the account ends (this one too); with ``revoke_tokens`` its API tokens too."""
        sessions, tokens = await caller.run(
            lambda db, who: accounts.sign_out_everywhere(db, who, revoke_tokens=revoke_tokens)
        )
        revoked = f" and revoked {tokens} API token(s)" if revoke_tokens else ""
        return [rx.toast.info(f"Signed out of {sessions} session(s){revoked}"), login_redirect("/settings")]

    @guarded_event
    async def create_user(self, caller: Caller, form: dict[str, str]):
        role = Role.admin if form.get("role") == "admin" else Role.user
        username, password = form.get("username", ""), form.get("password", "")
        self.users = await caller.run(then_users(lambda db, who: accounts.create(db, who, username, password, role)))
        return rx.toast.success("Saved")

    @guarded_event
    async def set_role(self, caller: Caller, user_id: int, role: str):
        self.users = await caller.run(then_users(lambda db, who: accounts.set_role(db, who, user_id, Role(role))))
        return rx.toast.success("Saved")

    @guarded_event
    async def set_disabled(self, caller: Caller, user_id: int, disabled: bool):
        self.users = await caller.run(then_users(lambda db, who: accounts.set_disabled(db, who, user_id, disabled)))
        return rx.toast.success("Saved")
