"""Images keep their original bytes (gallery-dl); audio becomes MP3 192 kbit/s (yt-dlp)."""

from __future__ import annotations

import hashlib

import pytest

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Folder, Media, MediaFolder
from tests.fixtures.pipeline import assert_done, file_of, media_of, probe, run, sources_of


@pytest.mark.parametrize("name", ["red.jpg", "green.png", "blue.webp"])
async def test_direct_image_link_keeps_the_original_bytes(server, name):
    job = await run(server.url(f"/img/{name}"))
    assert_done(job)
    [media] = media_of(job.id)
    original = (server.root / "img" / name).read_bytes()
    assert file_of(media).read_bytes() == original
    assert media.sha256 == hashlib.sha256(original).hexdigest()
    assert media.kind == "image" and (media.width, media.height) == (96, 64)
    assert media.path.endswith("." + name.rsplit(".", 1)[1])
    assert job.engine == "http"  # fetched in the worker: no engine process for a plain file
    assert media.thumbnail_path is not None


async def test_page_with_several_images_gives_one_media_each(server):
    with session_scope() as db:
        folder = Folder(name="Inbox")
        db.add(folder)
        db.flush()
        folder_id = folder.id
    job = await run(server.url("/page/images.html"), folder_id=folder_id)
    assert_done(job)
    media = media_of(job.id)
    assert len(media) == 3
    assert job.engine == "gallery-dl"
    originals = {hashlib.sha256((server.root / f"img/gallery{i}.jpg").read_bytes()).hexdigest() for i in range(3)}
    assert {m.sha256 for m in media} == originals
    assert all(len(sources_of(m.id)) == 1 for m in media)
    with session_scope() as db:
        linked = db.query(MediaFolder).filter(MediaFolder.folder_id == folder_id).count()
    assert linked == 3


def assert_mp3_192k(media: Media) -> None:
    assert media.kind == "audio" and media.mime == "audio/mpeg" and media.path.endswith(".mp3")
    info = probe(media)
    assert info.audio is not None and info.audio.codec == "mp3" and info.video is None
    assert info.audio.bitrate_kbps == 192


async def test_audio_link_becomes_mp3_192k(server):
    job = await run(server.url("/media/tone.m4a"))
    assert_done(job)
    [media] = media_of(job.id)
    assert_mp3_192k(media)
    assert media.thumbnail_path is not None  # a waveform: the file has no cover


async def test_audio_request_for_a_video_becomes_mp3_192k(server):
    """A job that asks for audio gets the sound of a video page, and a second one of the same
    video is linked to that MP3 (already archived), not to a video."""
    url = server.url("/page/video.html")
    job = await run(url, audio_only=True)
    assert_done(job)
    assert job.audio_only and job.engine == "yt-dlp"
    [media] = media_of(job.id)
    assert_mp3_192k(media)
    assert abs(media.duration_s - 2) < 0.5
    again = await run(url, audio_only=True)
    assert_done(again)
    assert [m.id for m in media_of(again.id)] == [media.id]
    assert again.attempt_log[-1]["stage"] == "archived"
    video = await run(url)
    assert_done(video)
    [clip] = media_of(video.id)
    assert clip.kind == "video" and clip.id != media.id
