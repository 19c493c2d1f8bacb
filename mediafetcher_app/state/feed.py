"""The feed: filters (in the URL-like query the grid fetches with), the viewer and bulk actions.

The cards themselves are not in this state: the grid component pages them from the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, folders_tags, media_queries
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.query_params import filter_from_query
from mediafetcher_app.core.sizes import human_bytes

from .auth import AuthState
from .formatting import human_duration
from .guard import Caller, guarded_event

FILTER_FIELDS = (
    "q",
    "kind",
    "platform",
    "folder_id",
    "tag",
    "sort",
    "downloaded_from",
    "downloaded_to",
    "posted_from",
    "posted_to",
)


class Option(TypedDict):
    value: str
    label: str


class PlatformOption(TypedDict):
    value: str
    platform_label: str
    platform_icon: str


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
class Options:
    """What the filter bar and the bulk actions offer."""

    platforms: list[PlatformOption]
    folders: list[Option]
    tags: list[str]


def options(db: DBSession, _who: auth.Principal | None = None) -> Options:
    return Options(
        platforms=[PlatformOption(**option) for option in media_queries.platform_options(db)],  # type: ignore[typeddict-item]
        folders=[
            Option(value=str(node.id), label=("— " * node.depth) + node.name) for node in folders_tags.folder_tree(db)
        ],
        tags=[name for name, _count in folders_tags.tags_with_counts(db)],
    )


class FeedState(AuthState):
    q: str = ""
    kind: str = ""
    platform: str = ""
    folder_id: str = ""
    tag: str = ""
    sort: str = "newest"
    downloaded_from: str = ""
    downloaded_to: str = ""
    posted_from: str = ""
    posted_to: str = ""
    refresh_key: int = 0

    platforms: list[PlatformOption] = []
    folders: list[Option] = []
    tags: list[str] = []

    selecting: bool = False
    selected: list[int] = []
    bulk_folder: str = ""
    bulk_tag: str = ""

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

    @rx.var(deps=list(FILTER_FIELDS), auto_deps=False)
    def query(self) -> str:
        """The filters as the API's query string (the grid refetches when it changes)."""
        values = {name: getattr(self, name) for name in FILTER_FIELDS}
        return urlencode({k: v for k, v in values.items() if v and not (k == "sort" and v == "newest")})

    @rx.var(deps=list(FILTER_FIELDS), auto_deps=False)
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in FILTER_FIELDS if name not in ("sort", "q"))

    @rx.var
    def folder_name(self) -> str:
        return next((f["label"] for f in self.folders if f["value"] == self.folder_id), "")

    def _filter(self) -> media_queries.MediaFilter:
        return filter_from_query({name: getattr(self, name) for name in FILTER_FIELDS})

    def _show_options(self, shown: Options) -> None:
        self.platforms, self.folders, self.tags = shown.platforms, shown.folders, shown.tags

    @guarded_event
    async def load(self, caller: Caller):
        """on_load: signed in, options, and filters from the address (?q=, ?folder_id=, ?tag=)."""
        params = self.router.url.query_parameters
        for name in ("q", "folder_id", "tag", "kind", "platform"):
            setattr(self, name, params.get(name, ""))
        self._show_options(await caller.run(options))
        self.selecting, self.selected = False, []

    @rx.event
    def set_filter(self, name: str, value: str):
        if name not in FILTER_FIELDS:
            return None
        setattr(self, name, "" if value == "all" else value)
        try:
            self._filter()
        except DomainError as exc:
            setattr(self, name, "")
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def search(self, value: str):
        """The global search box: on the feed it filters in place, elsewhere it opens the feed."""
        self.q = value
        if self.router.url.path not in ("", "/"):
            return rx.redirect("/?" + urlencode({"q": value}))
        return None

    @rx.event
    def clear_filters(self):
        for name in FILTER_FIELDS:
            setattr(self, name, "newest" if name == "sort" else "")

    # --- selection and bulk actions ---------------------------------------------------------

    @rx.event
    def toggle_selecting(self):
        self.selecting = not self.selecting
        self.selected = []

    @rx.event
    def toggle(self, media_id: int):
        self.selected = (
            [m for m in self.selected if m != media_id] if media_id in self.selected else [*self.selected, media_id]
        )

    @rx.event
    def set_bulk_folder(self, value: str):
        self.bulk_folder = value

    @rx.event
    def set_bulk_tag(self, value: str):
        self.bulk_tag = value

    @guarded_event
    async def bulk_add_to_folder(self, caller: Caller):
        if not self.bulk_folder.isdigit():
            return rx.toast.error("Pick a folder first.")
        folder_id, selected = int(self.bulk_folder), list(self.selected)
        added, shown = await caller.run(
            lambda db, _who: (folders_tags.add_to_folder(db, folder_id, selected), options(db))
        )
        self._show_options(shown)
        self.selected, self.selecting = [], False
        return rx.toast.success(f"Added {added} item(s) to the folder")

    @guarded_event
    async def bulk_tag_selected(self, caller: Caller):
        name, selected = self.bulk_tag, list(self.selected)
        tag, shown = await caller.run(
            lambda db, who: (folders_tags.tag_media(db, who, name, selected).name, options(db))
        )
        self._show_options(shown)
        self.selected, self.selecting, self.bulk_tag = [], False, ""
        return rx.toast.success(f"Tagged {len(selected)} item(s) '{tag}'")

    # --- viewer ------------------------------------------------------------------------------

    def _show(self, info: media_queries.MediaDetail) -> None:
        self.media_id, self.v_kind = info.id, info.kind
        self.v_title, self.v_description = info.title, info.description
        facts = [human_bytes(info.size_bytes)]
        if info.width and info.height:
            facts.append(f"{info.width} x {info.height}")
        if info.duration_s:
            facts.append(human_duration(info.duration_s))
        facts.append(f"added {info.created_at[:10]}")
        self.v_facts = facts
        byline = [f"by {info.uploader}"] if info.uploader else []
        self.v_byline = " · ".join(byline + ([f"posted {info.posted_at}"] if info.posted_at else []))
        self.v_sources = [SourceRow(**source) for source in info.sources]  # type: ignore[typeddict-item]
        self.v_folders = [FolderRef(id=f["id"], name=f["name"]) for f in info.folders]
        self.v_followed = [FollowedRef(id=f["id"], name=f["name"]) for f in info.followed_from]
        self.v_tags = [name for name in info.tags if name not in info.source_tags]
        self.v_source_tags = info.source_tags
        self.v_confirm_delete = self.v_zoomed = False
        self.viewer_open = True

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

    async def _edit(self, caller: Caller, change: Callable[[DBSession, auth.Principal, int], Any]) -> None:
        """One change to the open media's folders/tags, then show the result."""
        media_id = self.media_id

        def apply(db: DBSession, who: auth.Principal) -> tuple[media_queries.MediaDetail, Options]:
            change(db, who, media_id)
            return media_queries.detail(db, media_id), options(db)

        info, shown = await caller.run(apply)
        self._show(info)
        self._show_options(shown)

    @guarded_event
    async def add_tag(self, caller: Caller):
        name, self.v_new_tag = self.v_new_tag, ""
        await self._edit(caller, lambda db, who, media_id: folders_tags.tag_media(db, who, name, [media_id]))

    @guarded_event
    async def remove_tag(self, caller: Caller, name: str):
        await self._edit(caller, lambda db, _who, media_id: folders_tags.untag_media(db, name, media_id))

    @guarded_event
    async def add_to_folder(self, caller: Caller, folder_id: str):
        await self._edit(caller, lambda db, _who, media_id: folders_tags.add_to_folder(db, int(folder_id), [media_id]))

    @guarded_event
    async def remove_from_folder(self, caller: Caller, folder_id: int):
        await self._edit(caller, lambda db, _who, media_id: folders_tags.remove_from_folder(db, folder_id, media_id))

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
