"""The feed: filters (in the URL-like query the grid fetches with), the viewer and bulk actions.

The cards themselves are not in this state: the grid component pages them from the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.api.media import filter_from_query
from mediafetcher_app.core import catalog, organize
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError

from .auth import AuthState
from .formatting import human_bytes, human_duration

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


class SourceRow(TypedDict):
    url: str
    platform: str
    uploader: str
    posted_at: str


class FolderRef(TypedDict):
    id: int
    name: str


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

    platforms: list[str] = []
    folders: list[Option] = []
    tags: list[str] = []

    selecting: bool = False
    selected: list[int] = []
    bulk_folder: str = ""
    bulk_tag: str = ""

    viewer_open: bool = False
    media_id: int = 0
    v_kind: str = ""
    v_mime: str = ""
    v_title: str = ""
    v_description: str = ""
    v_facts: list[str] = []
    v_sources: list[SourceRow] = []
    v_folders: list[FolderRef] = []
    v_tags: list[str] = []
    v_new_tag: str = ""
    v_add_folder: str = ""
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

    def _filter(self) -> catalog.MediaFilter:
        return filter_from_query({name: getattr(self, name) for name in FILTER_FIELDS})

    def _load_options(self) -> None:
        with session_scope() as db:
            self.platforms = catalog.platforms(db)
            self.folders = [
                Option(value=str(node.id), label=("— " * node.depth) + node.name) for node in organize.folder_tree(db)
            ]
            self.tags = [name for name, _count in organize.tags_with_counts(db)]

    @rx.event
    def load(self):
        """on_load: signed in, options, and filters from the address (?q=, ?folder_id=, ?tag=)."""
        try:
            self._principal()
        except DomainError as exc:
            return self._refuse(exc)
        params = self.router.url.query_parameters
        for name in ("q", "folder_id", "tag", "kind", "platform"):
            setattr(self, name, params.get(name, ""))
        self._load_options()
        self.selecting, self.selected = False, []
        return None

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

    @rx.event
    def bulk_add_to_folder(self):
        try:
            self._principal()
            with session_scope() as db:
                added = organize.add_to_folder(db, int(self.bulk_folder), self.selected)
        except (DomainError, ValueError) as exc:
            return self._refuse(exc) if isinstance(exc, DomainError) else rx.toast.error("Pick a folder first.")
        self._load_options()
        self.selected, self.selecting = [], False
        return rx.toast.success(f"Added {added} item(s) to the folder")

    @rx.event
    def bulk_tag_selected(self):
        try:
            self._principal()
            with session_scope() as db:
                tag = organize.tag_media(db, self.bulk_tag, self.selected)
        except DomainError as exc:
            return self._refuse(exc)
        count = len(self.selected)
        self._load_options()
        self.selected, self.selecting, self.bulk_tag = [], False, ""
        return rx.toast.success(f"Tagged {count} item(s) '{tag.name}'")

    # --- viewer ------------------------------------------------------------------------------

    def _show(self, media_id: int) -> None:
        with session_scope() as db:
            info = catalog.detail(db, media_id)
        self.media_id, self.v_kind, self.v_mime = info.id, info.kind, info.mime
        self.v_title, self.v_description = info.title, info.description
        facts = [human_bytes(info.size_bytes)]
        if info.width and info.height:
            facts.append(f"{info.width} x {info.height}")
        if info.duration_s:
            facts.append(human_duration(info.duration_s))
        facts.append(f"added {info.created_at[:10]}")
        self.v_facts = facts
        self.v_sources = [SourceRow(**source) for source in info.sources]  # type: ignore[typeddict-item]
        self.v_folders = [FolderRef(id=f["id"], name=f["name"]) for f in info.folders]
        self.v_tags = info.tags
        self.v_confirm_delete = self.v_zoomed = False
        self.viewer_open = True

    @rx.event
    def open(self, media_id: int):
        try:
            self._principal()
            self._show(media_id)
        except DomainError as exc:
            return self._refuse(exc)
        return None

    @rx.event
    def toggle_zoom(self):
        """Images open fitted; a click shows them at full size (scrollable), another fits them again."""
        self.v_zoomed = not self.v_zoomed

    @rx.event
    def close_viewer(self, _open: bool = False):
        self.viewer_open = False

    @rx.event
    def step(self, forward: bool):
        try:
            self._principal()
            with session_scope() as db:
                target = catalog.neighbour(db, self._filter(), self.media_id, forward)
            if target is None:
                return rx.toast.info("That's the last one." if forward else "That's the first one.")
            self._show(target)
        except DomainError as exc:
            return self._refuse(exc)
        return None

    @rx.event
    def set_new_tag(self, value: str):
        self.v_new_tag = value

    @rx.event
    def set_add_folder(self, value: str):
        self.v_add_folder = value

    def _edit(self, change: Callable[[DBSession, Any], Any]) -> rx.event.EventSpec | None:
        """One change to the open media's folders/tags, then show the result."""
        if refusal := self._attempt(change):
            return refusal
        self._show(self.media_id)
        self._load_options()
        return None

    @rx.event
    def add_tag(self):
        name, self.v_new_tag = self.v_new_tag, ""
        return self._edit(lambda db, _who: organize.tag_media(db, name, [self.media_id]))

    @rx.event
    def remove_tag(self, name: str):
        return self._edit(lambda db, _who: organize.untag_media(db, name, self.media_id))

    @rx.event
    def add_to_folder(self, folder_id: str):
        return self._edit(lambda db, _who: organize.add_to_folder(db, int(folder_id), [self.media_id]))

    @rx.event
    def remove_from_folder(self, folder_id: int):
        return self._edit(lambda db, _who: organize.remove_from_folder(db, folder_id, self.media_id))

    @rx.event
    def ask_delete(self):
        self.v_confirm_delete = True

    @rx.event
    def delete_media(self):
        try:
            who = self._principal()
            with session_scope() as db:
                files = organize.delete_media(db, who, self.media_id)
            organize.remove_files(files)
        except DomainError as exc:
            return self._refuse(exc)
        self.viewer_open = False
        self.refresh_key += 1
        return rx.toast.success("Deleted")
