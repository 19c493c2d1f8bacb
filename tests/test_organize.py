"""Virtual folders and tags: links only, never file copies."""

from __future__ import annotations

import pytest

from mediafetcher_app.core import auth, organize, storage
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
        trips, best = organize.create_folder(db, who, "Trips"), organize.create_folder(db, who, "Best")
        assert organize.add_to_folder(db, trips.id, [media_id]) == 1
        assert organize.add_to_folder(db, best.id, [media_id]) == 1
        assert organize.add_to_folder(db, best.id, [media_id]) == 0
    with session_scope() as db:
        counts = {node.name: node.count for node in organize.folder_tree(db)}
    assert counts == {"Best": 1, "Trips": 1}
    assert final_files() == before


def test_tree_order_depth_rename_move_and_cycles(who):
    with session_scope() as db:
        root = organize.create_folder(db, who, "Travel")
        child = organize.create_folder(db, who, "Japan", root.id)
        other = organize.create_folder(db, who, "Archive")
        with pytest.raises(Conflict):
            organize.create_folder(db, who, "japan", root.id)
        with pytest.raises(InvalidInput):
            organize.move_folder(db, who, root.id, child.id)
        organize.rename_folder(db, who, child.id, "Japan 2026")
        organize.move_folder(db, who, child.id, other.id)
    with session_scope() as db:
        tree = [(n.name, n.depth) for n in organize.folder_tree(db)]
    assert tree == [("Archive", 0), ("Japan 2026", 1), ("Travel", 0)]


def test_deleting_a_folder_keeps_its_media(who):
    media_id = make_media("Keep me")
    with session_scope() as db:
        folder = organize.create_folder(db, who, "Temp")
        organize.add_to_folder(db, folder.id, [media_id])
        organize.delete_folder(db, who, folder.id)
    with session_scope() as db:
        assert db.get(Media, media_id) is not None
        assert organize.folder_tree(db) == []


def test_tags_are_case_insensitive_and_counted(who):
    first, second = make_media("One"), make_media("Two")
    with session_scope() as db:
        organize.tag_media(db, who, "Cats", [first, second])
        organize.tag_media(db, who, "cats", [first])
        organize.untag_media(db, "CATS", second)
    with session_scope() as db:
        assert organize.tags_with_counts(db) == [("cats", 1)]


def test_only_an_admin_deletes_media_and_the_file_goes_too():
    media_id = make_media("Doomed")
    make_user("alice")
    make_user("root", Role.admin)
    with session_scope() as db:
        user = auth.principal_for_token(db, make_token("alice"))
        with pytest.raises(Forbidden):
            organize.delete_media(db, user, media_id)
    with session_scope() as db:
        admin = auth.principal_for_token(db, make_token("root"))
        files = organize.delete_media(db, admin, media_id)
    organize.remove_files(files)
    assert final_files() == []
