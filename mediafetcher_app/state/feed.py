"""The feed: filters (in the URL-like query the grid fetches with) and bulk actions.

The cards themselves are not in this state: the grid component pages them from the API. The
viewer is its substate (state/viewer.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, folders_tags, media_queries
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.query_params import filter_from_query

from .auth import AuthState
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
