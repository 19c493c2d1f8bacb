"""Download choices (issue 12 item 3) through the real worker, yt-dlp and ffmpeg: 720p comes out
720 lines tall, "best" takes the larger VP9 rendition and makes it H.264, and the archive check
knows the choices (720p of an archived 1080p video is not fetched again; its audio is); a job
with no choice takes its user's default from Settings."""

from __future__ import annotations

import pytest

from mediafetcher_app.core import presets
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from tests.factories import make_token
from tests.fixtures.media import AUDIO, H264_AAC, ffmpeg
from tests.fixtures.pipeline import assert_done, job_row, media_of, new_job, probe, run


@pytest.fixture(scope="module")
def hd(fixture_server) -> str:
    """A 1080p H.264/AAC clip on the fixture server (made once: the other fixtures are tiny)."""
    path = fixture_server.root / "media" / "hd1080.mp4"
    if not path.exists():
        video = ["-f", "lavfi", "-i", "testsrc=size=1920x1080:rate=10:duration=1"]
        ffmpeg(*video, *AUDIO, "-shortest", *H264_AAC, "-movflags", "+faststart", str(path))
    return "/media/hd1080.mp4"


async def test_720p_of_a_1080p_video_is_720_lines_tall_and_plays_in_browsers(server, hd):
    job = await run(server.url(hd), preset="720p")
    assert_done(job)
    [media] = media_of(job.id)
    info = probe(media)
    assert (info.video.codec, info.video.height, info.video.width) == ("h264", 720, 1280)
    assert (media.height, media.preset) == (720, "720p")


async def test_720p_of_an_archived_1080p_video_is_not_downloaded_again_but_its_audio_is(server, hd):
    first = await run(server.url(hd))  # the default: compatible, up to 1080p
    assert_done(first)
    [video] = media_of(first.id)
    assert (video.height, video.preset) == (1080, "compatible")
    smaller = await run(server.url(hd), preset="720p")
    assert_done(smaller)
    assert [m.id for m in media_of(smaller.id)] == [video.id]
    assert [entry["stage"] for entry in smaller.attempt_log] == ["archived"]
    sound = await run(server.url(hd), preset="audio")
    assert_done(sound)
    [mp3] = media_of(sound.id)
    assert mp3.kind == "audio" and mp3.mime == "audio/mpeg"


async def test_a_720p_copy_does_not_answer_a_request_for_1080p(server, hd):
    small = await run(server.url(hd), preset="720p")
    full = await run(server.url(hd), preset="compatible")
    assert_done(full)
    [small_media], [full_media] = media_of(small.id), media_of(full.id)
    assert small_media.id != full_media.id and full_media.height == 1080


async def test_best_takes_the_larger_vp9_rendition_as_h264_where_compatible_takes_h264(server):
    best = await run(server.url("/dash/manifest.mpd"), preset="best")
    assert_done(best)
    [media] = media_of(best.id)
    info = probe(media)
    assert (info.video.codec, info.video.height) == ("h264", 240)  # the VP9 one, transcoded


@pytest.mark.parametrize(
    "kind,fetched_as,height,wanted,answers",
    [
        ("video", "compatible", 1080, "720p", True),
        ("video", "720p", 720, "compatible", False),
        ("video", "compatible", 480, "720p", True),  # the site had no more: the same choice or better
        ("video", "720p", 480, "best", False),
        ("video", None, 360, "compatible", True),  # made before choices existed: compatible
        ("video", "best", 2160, "audio", False),
        ("audio", "audio", None, "audio", True),
        ("image", None, 600, "720p", True),
    ],
)
def test_which_stored_media_answers_which_choice(kind, fetched_as, height, wanted, answers):
    assert presets.satisfies(kind, fetched_as, height, wanted) is answers


def test_a_job_without_a_choice_takes_its_users_default_from_settings(server):
    url = server.url("/img/red.jpg")
    assert job_row(new_job(url, user="presets")).preset == presets.COMPATIBLE  # nobody chose yet
    with session_scope() as db:
        presets.set_default(db, principal_for_token(db, make_token("presets")), presets.HD720)
    assert job_row(new_job(url, user="presets")).preset == presets.HD720
    assert job_row(new_job(url, user="presets", preset=presets.BEST)).preset == presets.BEST
    assert job_row(new_job(url, user="presets", audio_only=True)).preset == presets.AUDIO
