"""Issue 8, item 12: deletion is final. Every file of the hash goes with the row and its links; a
tombstone keeps recovery from re-indexing the bytes, and its sweep removes what a failed removal
left behind; a user may still download the same bytes again later."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from mediafetcher_app.core import auth, folders_tags, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Media, MediaFolder, MediaSource, MediaTag, MediaTombstone, Role, Source
from tests.factories import make_media, make_principal, make_token, make_user
from tests.fixtures.pipeline import assert_done, file_of, media_of, run
from worker import recovery


def image_bytes(server) -> bytes:
    return (server.root / "img" / "red.jpg").read_bytes()


def delete_as_admin(media_id: int) -> list[str]:
    """The viewer's delete, up to (not including) the file removal; returns what to remove."""
    make_user("root", Role.admin)
    with session_scope() as db:
        return folders_tags.delete_media(db, auth.principal_for_token(db, make_token("root")), media_id)


def stored(media_id: int) -> tuple[Media, Path]:
    with session_scope() as db:
        media = db.get(Media, media_id)
        assert media is not None
    return media, file_of(media)


def test_delete_removes_every_stored_variant_the_thumbnail_and_the_links(server):
    media_id = make_media("Red", kind="image", content=image_bytes(server))
    media, path = stored(media_id)
    variants = [path.with_suffix(".jpeg"), path.with_suffix(".png")]  # same bytes stored under other names
    for variant in variants:
        shutil.copy(path, variant)
    thumb = storage.absolute(storage.thumb_name(media.sha256))
    thumb.write_bytes(b"RIFF....WEBP")
    filer = make_principal("bob")
    with session_scope() as db:
        db.get(Media, media_id).thumbnail_path = storage.thumb_name(media.sha256)
        folder = folders_tags.create_folder(db, filer, "Reds")
        folders_tags.add_to_folder(db, folder.id, [media_id])
        folders_tags.tag_media(db, filer, "red", [media_id])

    assert folders_tags.remove_files(delete_as_admin(media_id)) == []
    assert [p for p in (path, *variants, thumb) if p.exists()] == []
    with session_scope() as db:
        for link in (MediaSource, MediaFolder, MediaTag):
            assert db.exec(select(link)).all() == []
        assert db.exec(select(Source)).all() == [], "a source only this media had goes with it"
        assert db.get(MediaTombstone, media.sha256) is not None


def test_a_crash_between_commit_and_removal_does_not_bring_the_media_back(server):
    media_id = make_media("Red", kind="image", content=image_bytes(server))
    _, path = stored(media_id)
    delete_as_admin(media_id)  # committed; the process dies before removing the file
    assert path.exists()
    assert recovery.reindex_final() == 0
    with session_scope() as db:
        assert db.exec(select(Media)).all() == []
    recovery.sweep_deleted()
    assert not path.exists()


@contextlib.contextmanager
def unremovable(directory: Path) -> Iterator[None]:
    """Nothing in ``directory`` can be removed meanwhile (root ignores permissions: immutable)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem cannot make a directory immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_a_failed_removal_leaves_row_and_files_consistent_and_the_sweep_finishes_it(server):
    media_id = make_media("Red", kind="image", content=image_bytes(server))
    media, path = stored(media_id)
    files = delete_as_admin(media_id)
    with unremovable(path.parent):
        assert folders_tags.remove_files(files) == [path]  # no exception: the delete itself succeeded
        assert recovery.reindex_final() == 0
    with session_scope() as db:
        assert db.get(Media, media_id) is None and db.get(MediaTombstone, media.sha256) is not None
    assert path.exists()
    recovery.sweep_deleted()
    assert not path.exists()
    assert recovery.reindex_final() == 0


async def test_a_user_may_download_deleted_bytes_again(server):
    url = server.url("/img/red.jpg")
    first = await run(url)
    assert_done(first)
    [media] = media_of(first.id)
    folders_tags.remove_files(delete_as_admin(media.id))
    assert not file_of(media).exists()

    again = await run(url)
    assert_done(again)
    [back] = media_of(again.id)
    assert back.sha256 == media.sha256 and file_of(back).read_bytes() == image_bytes(server)
    with session_scope() as db:
        assert db.get(MediaTombstone, media.sha256) is None, "the new download clears the tombstone"
    recovery.sweep_deleted()
    assert file_of(back).exists() and back.thumbnail_path and storage.absolute(back.thumbnail_path).exists()
