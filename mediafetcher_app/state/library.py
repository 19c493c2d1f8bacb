"""The library: the folder tree and the tags, managed in place (media are never copied or deleted here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, folders_tags

from .auth import AuthState
from .guard import Caller, guarded_event

ROOT = "root"


class FolderRow(TypedDict):
    id: int
    name: str
    depth: int
    count: int
    parent: str
    indent: str


class TagRow(TypedDict):
    name: str
    count: int


@dataclass(frozen=True)
class LibraryView:
    folders: list[FolderRow]
    tags: list[TagRow]


def library_view(db: DBSession, _who: auth.Principal | None = None) -> LibraryView:
    """The folder tree and the tags with their counts, as the page shows them."""
    folders = [
        FolderRow(
            id=node.id,
            name=node.name,
            depth=node.depth,
            count=node.count,
            parent=str(node.parent_id) if node.parent_id else ROOT,
            indent=f"{node.depth * 1.5}em",
        )
        for node in folders_tags.folder_tree(db)
    ]
    return LibraryView(folders, [TagRow(name=name, count=count) for name, count in folders_tags.tags_with_counts(db)])


def then_view(change: Callable[[DBSession, auth.Principal], Any]) -> Callable[[DBSession, auth.Principal], LibraryView]:
    """``change``, then the library as it is after it (same transaction)."""

    def run(db: DBSession, who: auth.Principal) -> LibraryView:
        change(db, who)
        return library_view(db)

    return run


class LibraryState(AuthState):
    folders: list[FolderRow] = []
    tags: list[TagRow] = []
    loaded: bool = False
    new_folder: str = ""
    new_parent: str = ROOT
    editing: int = 0
    edit_name: str = ""
    edit_parent: str = ROOT
    confirm_delete: int = 0
    tag_editing: str = ""
    tag_new_name: str = ""

    def _show(self, shown: LibraryView) -> None:
        self.folders, self.tags = shown.folders, shown.tags
        self.loaded = True

    @guarded_event
    async def load(self, caller: Caller):
        self._show(await caller.run(library_view))

    @rx.event
    def set_new_folder(self, value: str):
        self.new_folder = value

    @rx.event
    def set_new_parent(self, value: str):
        self.new_parent = value

    @guarded_event
    async def create_folder(self, caller: Caller, _form: dict[str, str]):
        name, parent = self.new_folder, None if self.new_parent == ROOT else int(self.new_parent)
        self._show(await caller.run(then_view(lambda db, who: folders_tags.create_folder(db, who, name, parent))))
        self.new_folder = ""
        return rx.toast.success(f"Folder '{name.strip()}' created")

    @rx.event
    def start_edit(self, folder: FolderRow):
        self.editing, self.edit_name, self.edit_parent = folder["id"], folder["name"], folder["parent"]
        self.confirm_delete = 0

    @rx.event
    def set_edit_name(self, value: str):
        self.edit_name = value

    @rx.event
    def set_edit_parent(self, value: str):
        self.edit_parent = value

    @rx.event
    def cancel_edit(self):
        self.editing = 0

    @guarded_event
    async def save_edit(self, caller: Caller, _form: dict[str, str]):
        folder_id, name = self.editing, self.edit_name
        parent = None if self.edit_parent == ROOT else int(self.edit_parent)

        def apply(db: DBSession, who: auth.Principal) -> None:
            folders_tags.rename_folder(db, who, folder_id, name)
            folders_tags.move_folder(db, who, folder_id, parent)

        self._show(await caller.run(then_view(apply)))
        self.editing = 0
        return rx.toast.success("Folder saved")

    @rx.event
    def ask_delete(self, folder_id: int):
        self.confirm_delete = folder_id

    @guarded_event
    async def delete_folder(self, caller: Caller, folder_id: int):
        self.confirm_delete = 0
        self._show(await caller.run(then_view(lambda db, who: folders_tags.delete_folder(db, who, folder_id))))
        return rx.toast.success("Folder deleted; its media stay")

    @rx.event
    def start_tag_edit(self, name: str):
        self.tag_editing, self.tag_new_name = name, name

    @rx.event
    def set_tag_new_name(self, value: str):
        self.tag_new_name = value

    @guarded_event
    async def rename_tag(self, caller: Caller, _form: dict[str, str]):
        old, new = self.tag_editing, self.tag_new_name
        self.tag_editing = ""
        self._show(await caller.run(then_view(lambda db, who: folders_tags.rename_tag(db, who, old, new))))
        return rx.toast.success(f"Renamed to '{new}'")

    @guarded_event
    async def delete_tag(self, caller: Caller, name: str):
        self._show(await caller.run(then_view(lambda db, who: folders_tags.delete_tag(db, who, name))))
        return rx.toast.success(f"Tag '{name}' removed")
