"""The media viewer: one media's details, stepping through the feed, and its folders and tags.

A substate of the feed's: it reads the feed's filters (to step in the same order the grid shows)
and refreshes the feed's folder and tag options after an edit, while its own variables are sent
to the browser only when they change, never with every filter change of the feed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, folders_tags, media_queries
from mediafetcher_app.core.sizes import human_bytes

from .feed import FeedState, Options, options
from .formatting import human_duration
from .guard import Caller, guarded_event


class SourceRow(TypedDict):
    url: str
    platform: str
    platform_label: str
    platform_icon: str
    uploader: str
    posted_at: str


class FolderRef(TypedDict):
    id: int
    name: str


class FollowedRef(TypedDict):
    id: int
    name: str


@dataclass(frozen=True)
class Edited:
    detail: media_queries.MediaDetail
    options: Options


def then_shown(media_id: int, change: Callable[[DBSession, auth.Principal, int], Any]) -> Callable[..., Edited]:
    """``change`` to the folders or tags of media ``media_id``, then the media and the feed's
    options as they are after it (same transaction)."""

    def run(db: DBSession, who: auth.Principal) -> Edited:
        change(db, who, media_id)
        return Edited(media_queries.detail(db, media_id), options(db))

    return run


def facts_of(info: media_queries.MediaDetail) -> list[str]:
    """Size, dimensions, length and the day it was added, whichever are known."""
    facts = [human_bytes(info.size_bytes)]
    if info.width and info.height:
        facts.append(f"{info.width} x {info.height}")
    if info.duration_s:
        facts.append(human_duration(info.duration_s))
    facts.append(f"added {info.created_at[:10]}")
    return facts


class ViewerState(FeedState):
    viewer_open: bool = False
    media_id: int = 0
    v_kind: str = ""
    v_title: str = ""
    v_description: str = ""
    v_facts: list[str] = []
    v_byline: str = ""  # "by <uploader> · posted <day>", whichever is known
    v_sources: list[SourceRow] = []
    v_folders: list[FolderRef] = []
    v_followed: list[FollowedRef] = []
    v_tags: list[str] = []
    v_source_tags: list[str] = []
    v_new_tag: str = ""
    v_confirm_delete: bool = False
    v_zoomed: bool = False

    def _show(self, info: media_queries.MediaDetail) -> None:
        self.media_id, self.v_kind = info.id, info.kind
        self.v_title, self.v_description, self.v_facts = info.title, info.description, facts_of(info)
        byline = [f"by {info.uploader}"] if info.uploader else []
        self.v_byline = " · ".join(byline + ([f"posted {info.posted_at}"] if info.posted_at else []))
        self.v_sources = [SourceRow(**source) for source in info.sources]  # type: ignore[typeddict-item]
        self.v_folders = [FolderRef(id=f["id"], name=f["name"]) for f in info.folders]
        self.v_followed = [FollowedRef(id=f["id"], name=f["name"]) for f in info.followed_from]
        self.v_tags = [name for name in info.tags if name not in info.source_tags]
        self.v_source_tags = info.source_tags
        self.v_confirm_delete = self.v_zoomed = False
        self.viewer_open = True

    def _show_edited(self, edited: Edited) -> None:
        self._show(edited.detail)
        self._show_options(edited.options)

    @guarded_event
    async def open(self, caller: Caller, media_id: int):
        self._show(await caller.run(lambda db, _who: media_queries.detail(db, media_id)))

    @rx.event
    def toggle_zoom(self):
        """Images open fitted; a click shows them at full size (scrollable), another fits them again."""
        self.v_zoomed = not self.v_zoomed

    @rx.event
    def close_viewer(self, _open: bool = False):
        self.viewer_open = False

    @guarded_event
    async def step(self, caller: Caller, forward: bool):
        filt, current = self._filter(), self.media_id

        def neighbour(db: DBSession, _who: auth.Principal) -> media_queries.MediaDetail | None:
            target = media_queries.neighbour(db, filt, current, forward)
            return None if target is None else media_queries.detail(db, target)

        info = await caller.run(neighbour)
        if info is None:
            return rx.toast.info("That's the last one." if forward else "That's the first one.")
        self._show(info)
        return None

    @rx.event
    def set_new_tag(self, value: str):
        self.v_new_tag = value

    @guarded_event
    async def add_tag(self, caller: Caller):
        name, self.v_new_tag = self.v_new_tag, ""
        tag = then_shown(self.media_id, lambda db, who, media_id: folders_tags.tag_media(db, who, name, [media_id]))
        self._show_edited(await caller.run(tag))

    @guarded_event
    async def remove_tag(self, caller: Caller, name: str):
        untag = then_shown(self.media_id, lambda db, _who, media_id: folders_tags.untag_media(db, name, media_id))
        self._show_edited(await caller.run(untag))

    @guarded_event
    async def add_to_folder(self, caller: Caller, folder_id: str):
        add = then_shown(
            self.media_id, lambda db, _who, media_id: folders_tags.add_to_folder(db, int(folder_id), [media_id])
        )
        self._show_edited(await caller.run(add))

    @guarded_event
    async def remove_from_folder(self, caller: Caller, folder_id: int):
        remove = then_shown(
            self.media_id, lambda db, _who, media_id: folders_tags.remove_from_folder(db, folder_id, media_id)
        )
        self._show_edited(await caller.run(remove))

    @rx.event
    def ask_delete(self):
        self.v_confirm_delete = True

    @guarded_event
    async def delete_media(self, caller: Caller):
        media_id = self.media_id
        files = await caller.run(lambda db, who: folders_tags.delete_media(db, who, media_id))
        await asyncio.to_thread(folders_tags.remove_files, files)
        self.viewer_open = False
        self.refresh_key += 1
        return rx.toast.success("Deleted")
