"""Issue 13 item 2: media/library/, the human-named view for media servers, follows the database.

Every change goes through the core functions the app, the API and the worker call, in committed
transactions on the real database; the tree on disk is then compared, path by path, with what
the database holds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, insert, literal, update
from sqlmodel import col, select

from mediafetcher_app.core import folders_tags, media_records, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.library_view import library_root, watch
from mediafetcher_app.core.library_view.apply import apply
from mediafetcher_app.core.library_view.names import MAX_NAME_BYTES, Namer, safe_part
from mediafetcher_app.core.library_view.plan import Plan
from mediafetcher_app.core.media_records import SourceInfo
from mediafetcher_app.core.migrations import PROJECT_ROOT
from mediafetcher_app.core.models import Media, MediaFolder, MediaSource, Role, Source
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_media, make_principal
from worker.finalise import index_file


@pytest.fixture
def admin():
    return make_principal("admin", Role.admin)


def tree() -> set[str]:
    """Every path under media/library/ once the view followed every commit so far, relative,
    directories included."""
    assert watch.settle(60), "the library view did not follow within a minute"
    root = library_root()
    return {path.relative_to(root).as_posix() for path in root.rglob("*")} if root.exists() else set()


def stem(media_id: int) -> str:
    """``<title> [<platform> <id>]`` as the database names this media."""
    with session_scope() as db:
        media = db.get(Media, media_id)
        source = db.exec(
            select(Source).join(MediaSource, MediaSource.source_id == Source.id).where(MediaSource.media_id == media_id)
        ).one()
        return f"{media.title} [{source.platform} {source.external_id}]"


def video_files(folder: str, media_id: int) -> set[str]:
    return {f"{folder}/{stem(media_id)}.mp4", f"{folder}/{stem(media_id)}.nfo"}


def final_path(media_id: int) -> Path:
    with session_scope() as db:
        return get_settings().media_root / db.get(Media, media_id).path


def rebuild() -> subprocess.CompletedProcess[str]:
    """``cli library rebuild`` run as a user runs it, succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", "library", "rebuild"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_the_view_follows_folders_membership_titles_and_deletion(admin):
    clip = make_media("First clip")
    assert tree() == {"Unsorted"} | video_files("Unsorted", clip)
    linked = library_root() / f"Unsorted/{stem(clip)}.mp4"
    assert linked.samefile(final_path(clip)) and not linked.is_symlink()  # a hard link: no second copy

    with session_scope() as db:
        music = folders_tags.create_folder(db, admin, "Music").id
    assert tree() == {"Unsorted", "Music"} | video_files("Unsorted", clip)

    with session_scope() as db:
        folders_tags.add_to_folder(db, music, [clip])
        live = folders_tags.create_folder(db, admin, "Live", parent_id=music).id
        folders_tags.add_to_folder(db, live, [clip])
    assert tree() == {"Unsorted", "Music", "Music/Live"} | video_files("Music", clip) | video_files("Music/Live", clip)

    with session_scope() as db:
        folders_tags.rename_folder(db, admin, music, "Songs")
        folders_tags.move_folder(db, admin, live, None)
    assert tree() == {"Unsorted", "Songs", "Live"} | video_files("Songs", clip) | video_files("Live", clip)

    with session_scope() as db:
        folders_tags.remove_from_folder(db, music, clip)
        db.get(Media, clip).title = "Renamed clip"
    assert stem(clip).startswith("Renamed clip [")
    assert tree() == {"Unsorted", "Songs", "Live"} | video_files("Live", clip)

    with session_scope() as db:
        folders_tags.delete_folder(db, admin, live)
    assert tree() == {"Unsorted", "Songs"} | video_files("Unsorted", clip)

    with session_scope() as db:
        gone = folders_tags.delete_media(db, admin, clip)
    folders_tags.remove_files(gone)
    # The view dropped its links before the stored file went: no moment with library/ the last copy.
    assert not [path for path in library_root().rglob("*") if path.is_file()]
    assert tree() == {"Unsorted", "Songs"}


def test_the_nfo_is_jellyfin_xml_with_title_plot_studio_aired_url_and_tags(admin):
    clip = make_media("A <b>&bold</b> title", description="What it shows", uploader="Some Channel")
    with session_scope() as db:
        source = db.exec(select(Source)).one()
        source.posted_at = datetime(2024, 5, 17, 12, tzinfo=UTC)
        folders_tags.tag_media(db, admin, "cats", [clip])
        folders_tags.tag_media(db, admin, "funny", [clip])
    (nfo,) = [path for path in tree() if path.endswith(".nfo")]
    assert nfo == "Unsorted/A _b_&bold__b_ title [youtube " + stem(clip).rsplit(" ", 1)[1] + ".nfo"
    document = ET.parse(library_root() / nfo).getroot()
    assert document.tag == "movie"
    fields = {name: document.findtext(name) for name in ("title", "plot", "studio", "aired", "premiered", "year")}
    assert fields == {
        "title": "A <b>&bold</b> title",
        "plot": "What it shows",
        "studio": "Some Channel",
        "aired": "2024-05-17",
        "premiered": "2024-05-17",
        "year": "2024",
    }
    assert document.findtext("website") == source.url
    assert [tag.text for tag in document.findall("tag")] == ["cats", "funny"]
    assert document.find("uniqueid").attrib["type"] == "youtube"


def test_a_title_with_reserved_characters_and_names_is_safe_everywhere():
    clip = make_media('CON: a/b\\c?*"<>|  trailing. . ')
    names = {path.split("/", 1)[1] for path in tree() if "/" in path}
    assert all(not set('<>:"\\|?*').intersection(name) for name in names)
    video = next(name for name in names if name.endswith(".mp4"))
    assert video.startswith("CON_ a_b_c______ trailing [youtube ")  # "CON" alone would be reserved
    assert (library_root() / "Unsorted" / video).samefile(final_path(clip))


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("Com3", "_Com3"),
        ("CONSOLE", "CONSOLE"),
        ("  .hidden name...  ", "hidden name"),
        ("tab\tand\nnewline", "tab and newline"),
        ("", "Untitled"),
        ("...", "Untitled"),
    ],
)
def test_safe_part_handles_reserved_names_and_edges(raw, safe):
    assert safe_part(raw) == safe


def test_long_titles_are_cut_to_255_bytes_on_a_character_boundary():
    clip = make_media("日本語のタイトル" * 40)  # 3 bytes a character: over 900 bytes
    for name in (path.rsplit("/", 1)[-1] for path in tree()):
        assert len(name.encode()) <= MAX_NAME_BYTES
        name.encode().decode()  # whole characters only
    assert stem(clip)[:10] in " ".join(tree())


def test_names_that_differ_only_in_case_or_after_cleaning_are_numbered(admin):
    namer = Namer(reserved=("Unsorted",))
    assert [namer.claim(name) for name in ("unsorted", "Clip", "CLIP", "clip")] == [
        "unsorted (2)",
        "Clip",
        "CLIP (2)",
        "clip (3)",
    ]
    with session_scope() as db:
        folders_tags.create_folder(db, admin, "a:b")
        folders_tags.create_folder(db, admin, "a_b")
        folders_tags.create_folder(db, admin, "unsorted")
    assert tree() == {"Unsorted", "a_b", "a_b (2)", "unsorted (2)"}


def test_new_media_from_the_worker_appear_at_once():
    picture = get_settings().final_dir / "incoming"
    Image.new("RGB", (32, 24), "red").save(picture, format="JPEG")
    sha = storage.sha256_file(picture)
    final = picture.rename(picture.with_name(sha))  # as recovery finds a file in final/ without a row
    media_id = index_file(final, sha)
    with session_scope() as db:
        path = db.get(Media, media_id).path
    assert tree() == {"Unsorted", f"Unsorted/Untitled [{sha[:12]}].jpg"}
    assert (library_root() / f"Unsorted/Untitled [{sha[:12]}].jpg").samefile(get_settings().media_root / path)


def test_a_burst_of_commits_waits_for_the_gathering_pass_unless_someone_settles(monkeypatch):
    """A busy process pays a pass's fixed cost once per ``GATHER_S``, not once per commit."""
    monkeypatch.setattr(watch, "GATHER_S", 600.0)
    make_media("Before the burst")
    assert watch.settle(60)  # a pass has just started: the next one may not start for GATHER_S
    burst = [make_media(f"Burst {n}") for n in range(3)]
    time.sleep(1)
    followed = {path.name for path in library_root().rglob("Burst *")}
    assert followed == set(), "a pass started before the gathering window ended"
    assert watch.settle(60), "settle waited out the gathering window"
    assert {stem(media_id) for media_id in burst} <= {path.stem for path in library_root().rglob("Burst *")}


def test_a_filesystem_without_hard_links_gets_relative_symlinks(tmp_path):
    other_fs = Path("/dev/shm") / f"mf-library-test-{os.getpid()}"
    other_fs.mkdir(exist_ok=True)
    try:
        target = other_fs / "stored.mp4"
        target.write_bytes(b"bytes")
        apply(Plan(links={"Unsorted/x.mp4": target}, dirs={"Unsorted"}), tmp_path)
        link = tmp_path / "Unsorted/x.mp4"
        assert link.is_symlink() and not os.path.isabs(os.readlink(link)) and link.read_bytes() == b"bytes"
    finally:
        shutil.rmtree(other_fs)


def test_the_view_is_off_with_mf_library_view_false(monkeypatch):
    monkeypatch.setenv("MF_LIBRARY_VIEW", "false")
    get_settings.cache_clear()
    try:
        make_media("Not shown")
        assert tree() == set()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_cli_library_rebuild_makes_the_view_again_from_the_database():
    clip = make_media("Rebuilt")
    expected = tree()
    shutil.rmtree(library_root())
    (get_settings().media_root / "library").mkdir()
    (library_root() / "stray file.txt").write_text("not ours")
    done = rebuild()
    assert "2 added, 1 removed" in done.stdout
    assert tree() == expected and f"Unsorted/{stem(clip)}.mp4" in expected


def test_a_view_that_cannot_be_written_never_undoes_the_change(caplog):
    library_root().rmdir() if library_root().is_dir() else None
    library_root().write_text("a file where the view's directory should be")
    try:
        clip = make_media("Kept")
        assert watch.settle(60)
        with session_scope() as db:
            assert db.get(Media, clip) is not None
        assert "the library view could not follow a change" in caplog.text
    finally:
        library_root().unlink()


def test_a_video_with_a_thumbnail_gets_its_poster_beside_it():
    clip = make_media("With poster")
    with session_scope() as db:
        media = db.get(Media, clip)
        thumb = storage.thumb_name(media.sha256)
        Image.new("RGB", (32, 18), "blue").save(storage.absolute(thumb), format="WEBP")
        media.thumbnail_path = thumb
    assert watch.settle(60)
    poster = library_root() / f"Unsorted/{stem(clip)}-poster.webp"
    assert poster.samefile(storage.absolute(thumb))
    assert tree() == {"Unsorted", f"Unsorted/{stem(clip)}-poster.webp"} | video_files("Unsorted", clip)


def stats(*relatives: str) -> dict[str, tuple[int, int, int]]:
    """Inode, mtime and ctime of these view paths once the view followed every commit so far: a file
    rewritten or re-linked changes them."""
    assert watch.settle(60)
    found = {}
    for relative in relatives:
        info = os.lstat(library_root() / relative)
        found[relative] = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
    return found


def files_in(paths: set[str], media_id: int) -> set[str]:
    """The view files of one media among ``paths`` (its stem names them)."""
    return {path for path in paths if path.rsplit("/", 1)[-1].startswith(stem(media_id))}


def two_in_music(admin) -> tuple[int, int, dict[str, tuple[int, int, int]]]:
    """A media to change and one to leave alone, both in "Music"; the stats of the second's files."""
    changed, untouched = make_media("To be changed"), make_media("Left alone")
    with session_scope() as db:
        music = folders_tags.create_folder(db, admin, "Music").id
        folders_tags.add_to_folder(db, music, [changed, untouched])
    before = stats(*files_in(tree(), untouched))
    assert len(before) == 2  # its video and its NFO, in Music
    return changed, untouched, before


def test_a_title_edit_rewrites_and_relinks_only_that_media(admin):
    edited, untouched, before = two_in_music(admin)

    with session_scope() as db:
        folders_tags.set_title(db, edited, "Edited")
    assert stem(edited).startswith("Edited [")
    assert tree() == {"Unsorted", "Music"} | video_files("Music", edited) | video_files("Music", untouched)
    assert stats(*before) == before


def test_a_folder_rename_moves_exactly_its_subtree_without_rewriting_it(admin):
    inside, outside = make_media("Inside"), make_media("Outside")
    with session_scope() as db:
        music = folders_tags.create_folder(db, admin, "Music").id
        live = folders_tags.create_folder(db, admin, "Live", parent_id=music).id
        other = folders_tags.create_folder(db, admin, "Other").id
        folders_tags.add_to_folder(db, live, [inside])
        folders_tags.add_to_folder(db, other, [outside])
    moved = {path.split("/", 1)[1]: info for path, info in stats(*video_files("Music/Live", inside)).items()}
    kept = stats(*video_files("Other", outside))

    with session_scope() as db:
        folders_tags.rename_folder(db, admin, music, "Songs")
    assert tree() == {"Unsorted", "Songs", "Songs/Live", "Other"} | video_files("Songs/Live", inside) | video_files(
        "Other", outside
    )
    assert {path.split("/", 1)[1]: info for path, info in stats(*video_files("Songs/Live", inside)).items()} == moved
    assert stats(*kept) == kept


def test_folders_that_swap_names_in_one_commit_keep_their_own_media(admin):
    first, second = make_media("First"), make_media("Second")
    with session_scope() as db:
        a = folders_tags.create_folder(db, admin, "A").id
        b = folders_tags.create_folder(db, admin, "B").id
        folders_tags.add_to_folder(db, a, [first])
        folders_tags.add_to_folder(db, b, [second])
    tree()
    with session_scope() as db:
        folders_tags.rename_folder(db, admin, a, "Swap")
        db.flush()
        folders_tags.rename_folder(db, admin, b, "A")
        db.flush()
        folders_tags.rename_folder(db, admin, a, "B")
    assert tree() == {"Unsorted", "A", "B"} | video_files("B", first) | video_files("A", second)


def test_deleting_a_media_removes_exactly_its_entries(admin):
    gone, stays, kept = two_in_music(admin)
    with session_scope() as db:
        removed = folders_tags.delete_media(db, admin, gone)
    folders_tags.remove_files(removed)
    assert tree() == {"Unsorted", "Music"} | video_files("Music", stays)
    assert stats(*kept) == kept


def test_a_tag_rename_rewrites_only_the_nfo_of_media_carrying_it(admin):
    tagged, plain = make_media("Tagged"), make_media("Plain")
    with session_scope() as db:
        folders_tags.tag_media(db, admin, "cats", [tagged])
    tagged_nfo, plain_nfo = f"Unsorted/{stem(tagged)}.nfo", f"Unsorted/{stem(plain)}.nfo"
    kept = stats(*files_in(tree(), plain), f"Unsorted/{stem(tagged)}.mp4")

    with session_scope() as db:
        folders_tags.rename_tag(db, admin, "cats", "kittens")
    assert watch.settle(60)
    assert [tag.text for tag in ET.parse(library_root() / tagged_nfo).getroot().findall("tag")] == ["kittens"]
    assert ET.parse(library_root() / plain_nfo).getroot().findall("tag") == []
    assert stats(*kept) == kept

    with session_scope() as db:
        folders_tags.delete_tag(db, admin, "kittens")
    assert watch.settle(60)
    assert ET.parse(library_root() / tagged_nfo).getroot().findall("tag") == []


def test_following_a_change_does_not_walk_the_view_a_rebuild_does(admin):
    make_media("Clip")
    tree()
    (library_root() / "Unsorted" / "stray.txt").write_text("not the view's")
    make_media("Another clip")
    assert "Unsorted/stray.txt" in tree()  # the pass followed one media, nothing else

    done = rebuild()
    assert "0 added, 1 removed" in done.stdout
    assert "Unsorted/stray.txt" not in tree()


def test_a_new_media_whose_name_collides_is_numbered_and_the_first_keeps_its_name():
    first = make_media("Same", content=b"one" * 64)
    with session_scope() as db:
        source = db.exec(select(Source)).one()
        db.add(MediaSource(media_id=make_media("Same", content=b"two" * 64), source_id=source.id))
    names = tree()
    assert f"Unsorted/{stem(first)}.mp4" in names and f"Unsorted/{stem(first)} (2).mp4" in names


async def test_the_worker_start_up_brings_the_whole_view_right_once(burst_worker):
    clip = make_media("Damaged")
    nfo = library_root() / f"Unsorted/{stem(clip)}.nfo"
    expected = tree()
    nfo.unlink()
    (library_root() / "Unsorted" / "stray.txt").write_text("not the view's")

    async with burst_worker() as worker:
        await worker.main()
    assert tree() == expected  # a full pass: the lost NFO is back, the stray is gone


def test_core_updates_and_refreshed_sources_are_followed():
    clip = make_media("Core title", uploader="Old Channel")
    tree()
    with session_scope() as db:
        db.exec(update(Media).where(col(Media.id) == clip).values(title="Set by a statement"))
        source = db.exec(select(Source)).one()
        refreshed = SourceInfo(url=source.url, platform=source.platform, external_id=source.external_id)
        media_records.add_source(db, replace(refreshed, uploader="New Channel"))
    assert stem(clip).startswith("Set by a statement [")
    assert tree() == {"Unsorted"} | video_files("Unsorted", clip)
    assert ET.parse(library_root() / f"Unsorted/{stem(clip)}.nfo").getroot().findtext("studio") == "New Channel"


def test_a_write_the_listeners_cannot_attribute_gets_a_full_pass(admin, caplog):
    clip = make_media("Clip")
    with session_scope() as db:
        music = folders_tags.create_folder(db, admin, "Music").id
    tree()
    every_media = select(Media.id, literal(music), func.now())
    with session_scope() as db:
        db.exec(insert(MediaFolder).from_select(["media_id", "folder_id", "added_at"], every_media))
    assert tree() == {"Unsorted", "Music"} | video_files("Music", clip)
    assert "a full pass follows" in caplog.text
