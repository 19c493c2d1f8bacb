"""Settings: the account, users (admin), and storage use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import accounts, auth, catalog, system
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError, InvalidInput
from mediafetcher_app.core.models import Role

from .auth import AuthState, login_redirect
from .formatting import human_bytes


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


class SettingsState(AuthState):
    users: list[UserRow] = []
    disk_total: str = ""
    disk_used: str = ""
    disk_free: str = ""
    disk_percent: int = 0
    usage: list[KindUse] = []

    def _load_storage(self) -> None:
        status = system.disk()
        self.disk_total, self.disk_used, self.disk_free = (
            human_bytes(status.total),
            human_bytes(status.used),
            human_bytes(status.free),
        )
        self.disk_percent = round(100 * status.used / status.total) if status.total else 0
        with session_scope() as db:
            by_kind = catalog.usage_by_kind(db)
        self.usage = [
            KindUse(
                kind=kind,
                count=by_kind.get(kind, {}).get("count", 0),
                gigabytes=round(by_kind.get(kind, {}).get("bytes", 0) / 1024**3, 2),
                label=human_bytes(by_kind.get(kind, {}).get("bytes", 0)),
            )
            for kind in ("video", "audio", "image")
        ]

    def _load_users(self, who: auth.Principal) -> None:
        with session_scope() as db:
            self.users = [UserRow(**summary.__dict__) for summary in accounts.list_users(db, who)]

    @rx.event
    def load(self):
        try:
            who = self._principal()
            self._load_storage()
            self.users = []
            if who.is_admin:
                self._load_users(who)
        except DomainError as exc:
            return self._refuse(exc)
        return None

    @rx.event
    def change_password(self, form: dict[str, str]):
        try:
            if form.get("new") != form.get("confirm"):
                raise InvalidInput("The new passwords do not match.")
            who = self._principal()
            with session_scope() as db:
                accounts.change_password(db, who, form.get("current", ""), form.get("new", ""))
        except DomainError as exc:
            return self._refuse(exc)
        return rx.toast.success("Password changed")

    @rx.event
    def sign_out_everywhere(self):
        try:
            who = self._principal()
            with session_scope() as db:
                count = auth.revoke_all_sessions(db, who.user_id)
        except DomainError as exc:
            return self._refuse(exc)
        return [rx.toast.info(f"Signed out of {count} session(s)"), login_redirect("/settings")]

    def _admin_change(self, change: Callable[[DBSession, auth.Principal], Any]) -> rx.event.EventSpec:
        """One change to the users (the core checks the admin role), then the list again."""
        if refusal := self._attempt(change):
            return refusal
        self._load_users(self._principal())
        return rx.toast.success("Saved")

    @rx.event
    def create_user(self, form: dict[str, str]):
        role = Role.admin if form.get("role") == "admin" else Role.user
        return self._admin_change(
            lambda db, who: accounts.create(db, who, form.get("username", ""), form.get("password", ""), role)
        )

    @rx.event
    def set_role(self, user_id: int, role: str):
        return self._admin_change(lambda db, who: accounts.set_role(db, who, user_id, Role(role)))

    @rx.event
    def set_disabled(self, user_id: int, disabled: bool):
        return self._admin_change(lambda db, who: accounts.set_disabled(db, who, user_id, disabled))
