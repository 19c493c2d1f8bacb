"""Video: H.264/AAC MP4 out, re-encoded only when it must be (docs/ARCHITECTURE.md §4.3)."""

from __future__ import annotations

import hashlib

from tests.fixtures.pipeline import assert_done, file_of, media_of, probe, run, sources_of


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_h264_mp4_is_stored_untouched(server):
    job = await run(server.url("/media/h264.mp4"))
    assert_done(job)
    [media] = media_of(job.id)
    assert media.kind == "video" and media.mime == "video/mp4"
    assert media.path == f"final/{media.sha256}.mp4"
    # stream copy at most: here the file was already right, so the bytes are the source's
    assert media.sha256 == sha(server.root / "media/h264.mp4")
    assert (media.width, media.height) == (160, 120) and 2.5 < media.duration_s < 3.5
    assert media.thumbnail_path == f"thumbs/{media.sha256}.webp"
    assert file_of(media).stat().st_size == media.size_bytes
    [source] = sources_of(media.id)
    assert source.url.startswith(server.base)


def assert_playable(media) -> None:
    info = probe(media)
    assert info.container.startswith("mov,mp4"), info
    assert info.video is not None and info.video.codec == "h264" and info.video.pix_fmt == "yuv420p", info
    assert info.audio is None or info.audio.codec == "aac", info
    from mediafetcher_app.core.ffmpeg import is_faststart

    assert is_faststart(file_of(media))


async def test_vp9_opus_webm_is_transcoded_to_h264_aac(server):
    job = await run(server.url("/media/vp9.webm"))
    assert_done(job)
    [media] = media_of(job.id)
    assert media.path.endswith(".mp4") and media.kind == "video"
    assert_playable(media)
    conversions = [entry for entry in job.attempt_log if "file" in entry]
    assert conversions and conversions[0]["video"] == "h264" and conversions[0]["audio"] == "aac"


async def test_hls_stream_becomes_one_mp4(server):
    job = await run(server.url("/hls/index.m3u8"))
    assert_done(job)
    [media] = media_of(job.id)
    assert_playable(media)
    assert 1.5 < media.duration_s < 2.5


async def test_dash_with_h264_and_vp9_picks_h264_without_transcoding(server):
    job = await run(server.url("/dash/manifest.mpd"))
    assert_done(job)
    [media] = media_of(job.id)
    assert_playable(media)
    # the VP9 rendition is larger (320x240): picking H.264 (160x120) shows the codec preference won
    assert (media.width, media.height) == (160, 120)
    conversions = [entry for entry in job.attempt_log if "file" in entry]
    assert all(value in ("copy", "untouched") for c in conversions for k, value in c.items() if k in ("video", "audio"))
    assert not any("vp9" in path or "stream0" in path for path in server.requests)


async def test_video_tag_page(server):
    job = await run(server.url("/page/video.html"))
    assert_done(job)
    [media] = media_of(job.id)
    assert media.sha256 == sha(server.root / "media/clip.mp4")


async def test_og_video_page_is_transcoded_when_the_video_is_vp9(server):
    job = await run(server.url("/page/og.html"))
    assert_done(job)
    [media] = media_of(job.id)
    assert_playable(media)
