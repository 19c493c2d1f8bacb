"""`cli import-folder PATH` and `cli export`: an existing folder of media comes in (hashed,
deduplicated, kinds from content, sidecar metadata), and the library goes out as JSON."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image
from sqlmodel import select

from mediafetcher_app.core import folders_tags
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Media, MediaKind, MediaSource, Source
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_media, make_principal
from tests.fixtures.media import AUDIO, H264_AAC, VIDEO, ffmpeg

ROOT = Path(__file__).resolve().parent.parent
SIDECAR = {
    "id": "abc123",
    "title": "Holiday clip",
    "uploader": "Some Channel",
    "webpage_url": "https://www.youtube.com/watch?v=abc123",
    "extractor_key": "Youtube",
    "upload_date": "20240102",
    "http_headers": {"Cookie": "SID=do-not-store"},
}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
    )


def make_folder(root: Path) -> dict[str, Path]:
    """A video named like an image with its sidecar, a song, a picture, a copy of the video in a
    subfolder, a text file posing as a video, and a hidden file."""
    (root / "sub").mkdir(parents=True)
    files = {
        "video": root / "holiday.jpg",  # the name lies: the content is an MP4
        "song": root / "tone.m4a",
        "picture": root / "sub" / "red.png",
        "copy": root / "sub" / "again.mp4",
        "fake": root / "notes.mp4",
    }
    ffmpeg(*VIDEO, *AUDIO, *H264_AAC, "-shortest", "-f", "mp4", str(files["video"]))
    ffmpeg(*AUDIO, "-c:a", "aac", "-b:a", "96k", str(files["song"]))
    Image.new("RGB", (64, 48), "red").save(files["picture"], "PNG")
    files["copy"].write_bytes(files["video"].read_bytes())
    files["fake"].write_text("just some notes, not a video\n")
    (root / "holiday.info.json").write_text(json.dumps(SIDECAR))
    (root / ".DS_Store").write_bytes(b"\0" * 64)
    return files


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_folder_imports_media_by_content_skips_duplicates_refuses_the_rest_and_reads_sidecars(tmp_path):
    files = make_folder(tmp_path / "incoming")
    before = {p: p.read_bytes() for p in files.values()}

    done = cli("import-folder", str(tmp_path / "incoming"))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "imported 3, skipped 1, refused 1"
    assert f"skipped {files['copy']}: already in the library" in lines
    assert any(line.startswith(f"refused {files['fake']}: ") for line in lines)
    assert all(p.read_bytes() == data for p, data in before.items()), "the originals are left as they were"
    with session_scope() as db:
        media = {m.sha256: m for m in db.exec(select(Media)).all()}
        assert set(media) == {sha(files["video"]), sha(files["song"]), sha(files["picture"])}
        video = media[sha(files["video"])]
        assert (video.kind, video.mime, video.path) == (MediaKind.video, "video/mp4", f"final/{video.sha256}.mp4")
        assert video.title == "Holiday clip"
        assert media[sha(files["song"])].kind == MediaKind.audio
        assert media[sha(files["picture"])].kind == MediaKind.image
        [source] = db.exec(
            select(Source).join(MediaSource, MediaSource.source_id == Source.id).where(MediaSource.media_id == video.id)
        ).all()
        assert (source.platform, source.external_id, source.uploader) == ("youtube", "abc123", "Some Channel")
        assert source.url == SIDECAR["webpage_url"] and source.posted_at.year == 2024
        assert "http_headers" not in source.raw_metadata, "request headers (cookies) are never stored"
    assert (get_settings().final_dir / f"{video.sha256}.mp4").read_bytes() == before[files["video"]]
    assert [p.name for p in get_settings().tmp_dir.iterdir()] == [], "the staging dir is gone"

    again = cli("import-folder", str(tmp_path / "incoming"))
    assert again.stdout.strip().splitlines()[-1] == "imported 0, skipped 4, refused 1"


def test_import_folder_of_a_missing_path_says_so_and_changes_nothing(tmp_path):
    done = cli("import-folder", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"error: {tmp_path / 'nowhere'} is not a folder.")


def test_export_writes_media_sources_folders_and_tags_as_json(tmp_path):
    alice = make_principal("alice")
    media_id = make_media("Cat video", uploader="cats4ever")
    with session_scope() as db:
        trips = folders_tags.create_folder(db, alice, "Trips")
        summer = folders_tags.create_folder(db, alice, "Summer", trips.id)
        folders_tags.add_to_folder(db, summer.id, [media_id])
        folders_tags.tag_media(db, alice, "cats", [media_id])

    done = cli("export", "--output", str(tmp_path / "library.json"))

    assert done.returncode == 0, done.stderr
    exported = json.loads((tmp_path / "library.json").read_text())
    [media] = exported["media"]
    assert media["title"] == "Cat video" and media["folder_ids"] == [summer.id] and media["tags"] == ["cats"]
    [source] = exported["sources"]
    assert media["source_ids"] == [source["id"]] and source["uploader"] == "cats4ever"
    assert {(f["name"], f["parent_id"]) for f in exported["folders"]} == {("Trips", None), ("Summer", trips.id)}
    assert exported["tags"] == ["cats"]
    assert "password" not in json.dumps(exported) and "alice" not in json.dumps(exported)
