"""Virtual folders and tags: links only, never file copies."""

from __future__ import annotations

import pytest

from mediafetcher_app.core import auth, folders_tags, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Conflict, Forbidden, InvalidInput
from mediafetcher_app.core.models import Media, Role
from tests.factories import make_media, make_principal, make_token, make_user


def final_files() -> list[str]:
    return sorted(p.name for p in storage.absolute("final").iterdir())


@pytest.fixture
def who() -> auth.Principal:
    return make_principal("member")


def test_a_media_in_two_folders_is_one_file(who):
    media_id = make_media("Clip")
    before = final_files()
    with session_scope() as db:
        trips, best = folders_tags.create_folder(db, who, "Trips"), folders_tags.create_folder(db, who, "Best")
        assert folders_tags.add_to_folder(db, trips.id, [media_id]) == 1
        assert folders_tags.add_to_folder(db, best.id, [media_id]) == 1
        assert folders_tags.add_to_folder(db, best.id, [media_id]) == 0
    with session_scope() as db:
        counts = {node.name: node.count for node in folders_tags.folder_tree(db)}
    assert counts == {"Best": 1, "Trips": 1}
    assert final_files() == before


def test_tree_order_depth_rename_move_and_cycles(who):
    with session_scope() as db:
        root = folders_tags.create_folder(db, who, "Travel")
        child = folders_tags.create_folder(db, who, "Japan", root.id)
        other = folders_tags.create_folder(db, who, "Archive")
        with pytest.raises(Conflict):
            folders_tags.create_folder(db, who, "japan", root.id)
        with pytest.raises(InvalidInput):
            folders_tags.move_folder(db, who, root.id, child.id)
        folders_tags.rename_folder(db, who, child.id, "Japan 2026")
        folders_tags.move_folder(db, who, child.id, other.id)
    with session_scope() as db:
        tree = [(n.name, n.depth) for n in folders_tags.folder_tree(db)]
    assert tree == [("Archive", 0), ("Japan 2026", 1), ("Travel", 0)]


def test_deleting_a_folder_keeps_its_media(who):
    media_id = make_media("Keep me")
    with session_scope() as db:
        folder = folders_tags.create_folder(db, who, "Temp")
        folders_tags.add_to_folder(db, folder.id, [media_id])
        folders_tags.delete_folder(db, who, folder.id)
    with session_scope() as db:
        assert db.get(Media, media_id) is not None
        assert folders_tags.folder_tree(db) == []


def test_tags_are_case_insensitive_and_counted(who):
    first, second = make_media("One"), make_media("Two")
    with session_scope() as db:
        folders_tags.tag_media(db, who, "Cats", [first, second])
        folders_tags.tag_media(db, who, "cats", [first])
        folders_tags.untag_media(db, "CATS", second)
    with session_scope() as db:
        assert folders_tags.tags_with_counts(db) == [("cats", 1)]


def test_only_an_admin_deletes_media_and_the_file_goes_too():
    media_id = make_media("Doomed")
    make_user("alice")
    make_user("root", Role.admin)
    with session_scope() as db:
        user = auth.principal_for_token(db, make_token("alice"))
        with pytest.raises(Forbidden):
            folders_tags.delete_media(db, user, media_id)
    with session_scope() as db:
        admin = auth.principal_for_token(db, make_token("root"))
        files = folders_tags.delete_media(db, admin, media_id)
    folders_tags.remove_files(files)
    assert final_files() == []
