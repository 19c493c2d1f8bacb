"""Issue 8 item 13, the shared library: anyone creates folders and tags and files any media in
any of them, but renaming, moving or deleting a folder or tag someone else created (or whose
creator is unknown) needs an admin."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mediafetcher_app.core import auth, folders_tags
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Forbidden
from mediafetcher_app.core.models import Folder, Role, Tag
from mediafetcher_app.state.library import LibraryState
from mediafetcher_app.state.viewer import ViewerState
from tests.factories import make_media, make_principal, make_session
from tests.states import call, is_error_toast, state


@pytest.fixture
def people() -> tuple[auth.Principal, auth.Principal, auth.Principal]:
    """alice and bob (users) and root (admin)."""
    return make_principal("alice"), make_principal("bob"), make_principal("root", Role.admin)


def folder(who: auth.Principal, name: str, parent_id: int | None = None) -> int:
    with session_scope() as db:
        return folders_tags.create_folder(db, who, name, parent_id).id


def names() -> list[str]:
    with session_scope() as db:
        return [node.name for node in folders_tags.folder_tree(db)]


def test_anyone_files_media_in_folders_and_tags_someone_else_created(people):
    alice, bob, _root = people
    media_id = make_media("Clip")
    trips = folder(alice, "Trips")
    with session_scope() as db:
        folders_tags.tag_media(db, alice, "cats", [])
        assert folders_tags.add_to_folder(db, trips, [media_id]) == 1
        folders_tags.tag_media(db, bob, "cats", [media_id])
        folders_tags.create_folder(db, bob, "Bob's", trips)
    with session_scope() as db:
        assert {n.name: n.count for n in folders_tags.folder_tree(db)} == {"Trips": 1, "Bob's": 0}
        assert folders_tags.tags_with_counts(db) == [("cats", 1)]
        assert db.exec(text("SELECT created_by FROM tag")).scalar() == alice.user_id  # type: ignore[call-overload]
        folders_tags.remove_from_folder(db, trips, media_id)
        folders_tags.untag_media(db, "cats", media_id)


def _move(db, who: auth.Principal, folder_id: int) -> None:
    folders_tags.move_folder(db, who, folder_id, folders_tags.create_folder(db, who, f"Inbox of {who.username}").id)


@pytest.mark.parametrize(
    "change",
    [
        lambda db, who, folder_id: folders_tags.rename_folder(db, who, folder_id, f"Renamed by {who.username}"),
        _move,
        lambda db, who, folder_id: folders_tags.delete_folder(db, who, folder_id),
    ],
    ids=["rename", "move", "delete"],
)
def test_changing_someone_elses_folder_needs_an_admin(people, change):
    alice, bob, root = people
    trips = folder(alice, "Trips")
    with session_scope() as db, pytest.raises(Forbidden, match="Only an administrator"):
        change(db, bob, trips)
    assert "Trips" in names()
    for allowed in (alice, root):
        with session_scope() as db:
            change(db, allowed, folder(alice, f"Trips of {allowed.username}"))


@pytest.mark.parametrize(
    "change",
    [
        lambda db, who: folders_tags.rename_tag(db, who, "cats", "felines"),
        lambda db, who: folders_tags.delete_tag(db, who, "cats"),
    ],
    ids=["rename", "delete"],
)
def test_changing_someone_elses_tag_needs_an_admin(people, change):
    alice, bob, root = people
    with session_scope() as db:
        folders_tags.tag_media(db, alice, "cats", [make_media("Cat")])
    with session_scope() as db, pytest.raises(Forbidden, match="Only an administrator"):
        change(db, bob)
    with session_scope() as db:
        assert [name for name, _count in folders_tags.tags_with_counts(db)] == ["cats"]
        change(db, root)


def test_deleting_a_folder_that_holds_someone_elses_sub_folder_needs_an_admin(people):
    alice, bob, root = people
    trips = folder(alice, "Trips")
    folder(bob, "Bob's corner", folder(alice, "Japan", trips))
    with session_scope() as db, pytest.raises(Forbidden):
        folders_tags.delete_folder(db, alice, trips)
    assert names() == ["Trips", "Japan", "Bob's corner"]
    with session_scope() as db:
        folders_tags.delete_folder(db, root, trips)
    assert names() == []


def test_a_folder_or_tag_without_a_known_creator_needs_an_admin(people):
    alice, _bob, root = people
    with session_scope() as db:  # as migration 0005 leaves the folders and tags made before it
        legacy = Folder(name="Legacy")
        db.add_all([legacy, Tag(name="legacy")])
        db.flush()
        legacy_id = legacy.id
    with session_scope() as db, pytest.raises(Forbidden):
        folders_tags.rename_folder(db, alice, legacy_id, "Mine now")
    with session_scope() as db, pytest.raises(Forbidden):
        folders_tags.delete_tag(db, alice, "legacy")
    with session_scope() as db:
        folders_tags.rename_folder(db, root, legacy_id, "Kept")
        folders_tags.delete_tag(db, root, "legacy")


async def test_the_library_and_feed_pages_pass_who_is_asking(people):
    alice, _bob, _root = people
    media_id = make_media("Clip")
    trips = folder(alice, "Trips")
    library = state(LibraryState, make_session("bob"))
    await call(library, "load")
    assert is_error_toast(await call(library, "delete_folder", trips))
    library.tag_editing, library.tag_new_name = "cats", "dogs"
    with session_scope() as db:
        folders_tags.tag_media(db, alice, "cats", [media_id])
    assert is_error_toast(await call(library, "rename_tag", {}))
    viewer = state(ViewerState, make_session("bob"))
    await call(viewer, "open", media_id)
    viewer.v_new_tag = "bobs-tag"
    await call(viewer, "add_tag")
    assert sorted(viewer.v_tags) == ["bobs-tag", "cats"]
    library.new_folder = "Bob's"
    await call(library, "create_folder", {})
    assert names() == ["Bob's", "Trips"]
    bobs = next(row["id"] for row in library.folders if row["name"] == "Bob's")
    assert not is_error_toast(await call(library, "delete_folder", bobs))
    assert names() == ["Trips"]
