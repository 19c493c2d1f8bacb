"""The Sources page: follow channels, playlists and feeds; pause, check now, edit, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, folders_tags, subscriptions
from mediafetcher_app.core.errors import InvalidInput
from worker.client import request_source_check

from .auth import AuthState
from .guard import Caller, guarded_event


class FolderOption(TypedDict):
    value: str
    label: str


def folder_options(db: DBSession, _who: auth.Principal) -> list[FolderOption]:
    """Where new items may be filed: every folder, indented by depth."""
    return [
        FolderOption(value=str(node.id), label="\u2003" * node.depth + node.name)
        for node in folders_tags.folder_tree(db)
    ]


class SourceRow(TypedDict):
    id: int
    url: str
    name: str
    kind: str
    preset: str
    folder: str  # the folder id as the form's select names it, "" for none
    interval: int
    backfill: int
    status: str
    paused: bool
    last_checked: str
    next_check: str
    new_items: str
    error: str


def _when(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def source_row(shown: subscriptions.SubscriptionView) -> SourceRow:
    counts = "" if shown.last_found is None else f"{shown.last_new_items} new of {shown.last_found}"
    if shown.last_skipped:
        counts += f", {shown.last_skipped} skipped as archived"
    return SourceRow(
        id=shown.id,
        url=shown.url,
        name=shown.name,
        kind=shown.kind,
        preset=shown.preset,
        folder=str(shown.folder_id or ""),
        interval=shown.interval_minutes,
        backfill=shown.backfill,
        status=shown.status,
        paused=shown.paused,
        last_checked=_when(shown.last_checked_at),
        next_check="paused" if shown.paused else _when(shown.next_check_at),
        new_items=counts,
        error=shown.last_error or "",
    )


def rows(db: DBSession, who: auth.Principal) -> list[SourceRow]:
    return [source_row(subscriptions.view(sub)) for sub in subscriptions.list_for(db, who)]


def _folder(form: dict[str, Any]) -> int | None:
    raw = str(form.get("folder_id") or "").strip()
    if raw and not raw.isdigit():
        raise InvalidInput("Choose a folder from the list.", code="invalid_folder")
    return int(raw) if raw else None


def _number(form: dict[str, Any], key: str, default: int) -> int:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise InvalidInput(f"{key.replace('_', ' ').capitalize()} must be a whole number.", code="invalid_number")
    return int(raw)


class SourcesState(AuthState):
    sources: list[SourceRow] = []
    folders: list[FolderOption] = []
    loaded: bool = False
    busy: bool = False
    editing: int = 0  # the id of the source whose settings are open, 0: none

    @guarded_event
    async def load(self, caller: Caller):
        self.sources, self.folders = await caller.run(lambda db, who: (rows(db, who), folder_options(db, who)))
        self.loaded = True

    @guarded_event
    async def follow(self, caller: Caller, form: dict[str, Any]):
        """The add form: a URL, how often, what to keep, how many of the newest to take now."""
        self.busy = True
        yield
        try:
            interval, backfill = _number(form, "interval_minutes", 60), _number(form, "backfill", 0)
            kind, preset, folder_id = str(form.get("kind") or "video"), form.get("preset") or None, _folder(form)

            def create(db: DBSession, who: auth.Principal) -> tuple[int, list[SourceRow]]:
                sub = subscriptions.create(db, who, form.get("url"), interval, folder_id, kind, backfill, preset=preset)
                assert sub.id is not None
                return sub.id, rows(db, who)

            sub_id, self.sources = await caller.run(create)
        finally:
            self.busy = False
        await request_source_check(sub_id)
        yield rx.toast.success("Following", description=str(form.get("url"))[:120])

    @guarded_event
    async def toggle_pause(self, caller: Caller, sub_id: int, paused: bool):
        def change(db: DBSession, who: auth.Principal) -> list[SourceRow]:
            subscriptions.update_settings(db, who, sub_id, {"paused": not paused})
            return rows(db, who)

        self.sources = await caller.run(change)

    @guarded_event
    async def check_now(self, caller: Caller, sub_id: int):
        def due(db: DBSession, who: auth.Principal) -> list[SourceRow]:
            subscriptions.request_check(db, who, sub_id)
            return rows(db, who)

        self.sources = await caller.run(due)
        queued = await request_source_check(sub_id)
        return rx.toast.info("Checking now" if queued else "The check is due; a worker will run it soon")

    @guarded_event
    async def delete(self, caller: Caller, sub_id: int):
        def remove(db: DBSession, who: auth.Principal) -> list[SourceRow]:
            subscriptions.delete(db, who, sub_id)
            return rows(db, who)

        self.sources = await caller.run(remove)
        return rx.toast.info("No longer following; what it downloaded stays in the library")

    @rx.event
    def edit(self, sub_id: int) -> None:
        self.editing = sub_id

    @rx.event
    def close_edit(self) -> None:
        self.editing = 0

    @guarded_event
    async def save(self, caller: Caller, form: dict[str, Any]):
        sub_id = self.editing
        changes = {
            "name": str(form.get("name") or ""),
            "interval_minutes": _number(form, "interval_minutes", 60),
            "kind": str(form.get("kind") or "video"),
            "preset": str(form.get("preset") or "compatible"),
            "folder_id": _folder(form),
        }

        def change(db: DBSession, who: auth.Principal) -> list[SourceRow]:
            subscriptions.update_settings(db, who, sub_id, changes)
            return rows(db, who)

        self.sources = await caller.run(change)
        self.editing = 0
        return rx.toast.success("Saved")
