"""The library: the folder tree and the tags, managed in place (media are never copied or deleted here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import organize
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError

from .auth import AuthState

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

    def _reload(self) -> None:
        with session_scope() as db:
            self.folders = [
                FolderRow(
                    id=node.id,
                    name=node.name,
                    depth=node.depth,
                    count=node.count,
                    parent=str(node.parent_id) if node.parent_id else ROOT,
                    indent=f"{node.depth * 1.5}em",
                )
                for node in organize.folder_tree(db)
            ]
            self.tags = [TagRow(name=name, count=count) for name, count in organize.tags_with_counts(db)]
        self.loaded = True

    def _change(self, work: Callable[[DBSession, Any], Any], done: str) -> rx.event.EventSpec:
        """One change as the signed-in user, then the tree again; a toast says how it went."""
        if refusal := self._attempt(work):
            return refusal
        self._reload()
        return rx.toast.success(done)

    @rx.event
    def load(self):
        try:
            self._principal()
        except DomainError as exc:
            return self._refuse(exc)
        self._reload()
        return None

    @rx.event
    def set_new_folder(self, value: str):
        self.new_folder = value

    @rx.event
    def set_new_parent(self, value: str):
        self.new_parent = value

    @rx.event
    def create_folder(self, _form: dict[str, str]):
        name, parent = self.new_folder, None if self.new_parent == ROOT else int(self.new_parent)
        if refusal := self._attempt(lambda db, _who: organize.create_folder(db, name, parent)):
            return refusal
        self._reload()
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

    @rx.event
    def save_edit(self, _form: dict[str, str]):
        folder_id, name = self.editing, self.edit_name
        parent = None if self.edit_parent == ROOT else int(self.edit_parent)

        def apply(db: DBSession, _who: Any) -> None:
            organize.rename_folder(db, folder_id, name)
            organize.move_folder(db, folder_id, parent)

        if refusal := self._attempt(apply):
            return refusal
        self._reload()
        self.editing = 0
        return rx.toast.success("Folder saved")

    @rx.event
    def ask_delete(self, folder_id: int):
        self.confirm_delete = folder_id

    @rx.event
    def delete_folder(self, folder_id: int):
        self.confirm_delete = 0
        return self._change(lambda db, _who: organize.delete_folder(db, folder_id), "Folder deleted; its media stay")

    @rx.event
    def start_tag_edit(self, name: str):
        self.tag_editing, self.tag_new_name = name, name

    @rx.event
    def set_tag_new_name(self, value: str):
        self.tag_new_name = value

    @rx.event
    def rename_tag(self, _form: dict[str, str]):
        old, new = self.tag_editing, self.tag_new_name
        self.tag_editing = ""
        return self._change(lambda db, _who: organize.rename_tag(db, old, new), f"Renamed to '{new}'")

    @rx.event
    def delete_tag(self, name: str):
        return self._change(lambda db, _who: organize.delete_tag(db, name), f"Tag '{name}' removed")
