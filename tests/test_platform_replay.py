"""Each seed platform through its real extractor: yt-dlp's or gallery-dl's own code for the site,
its HTTPS requests answered by the fake sites of ``tests.fixtures.platforms``. They arrive there
through the egress proxy (MF_UPSTREAM_PROXY), whose tunnels the fixture server intercepts with a
test CA the engines trust (MF_UPSTREAM_PROXY_CA). What stays unproven offline is listed per
platform in the module docstrings of ``tests/fixtures/platforms/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.ffmpeg import MediaInfo
from mediafetcher_app.core.models import DownloadJob, Media, MediaTag, Tag
from tests.fixtures.pipeline import assert_done, file_of, media_of, probe, run, sources_of
from tests.fixtures.platforms import instagram, pinterest, soundcloud, tiktok, twitch, x, youtube
from tests.fixtures.server import FixtureServer

POSTED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)  # when every fake post was made


@pytest.fixture
def replay(server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    monkeypatch.setenv("MF_UPSTREAM_PROXY", server.base)
    monkeypatch.setenv("MF_UPSTREAM_PROXY_CA", str(server.ca.pem))
    server.proxied.clear()
    return server


def source_tags_of(media_id: int) -> set[str]:
    with session_scope() as db:
        query = select(Tag.name).join(MediaTag, MediaTag.tag_id == Tag.id)
        return set(db.exec(query.where(MediaTag.media_id == media_id, MediaTag.from_source)).all())


def digest(server: FixtureServer, relative: str) -> str:
    return hashlib.sha256((server.root / relative).read_bytes()).hexdigest()


def assert_h264_aac(info: MediaInfo) -> None:
    assert info.video is not None and info.audio is not None, info
    assert (info.video.codec, info.audio.codec) == ("h264", "aac"), info


@dataclass(frozen=True)
class Expected:
    """What a platform's item must carry once stored: its identity, people, date and tags."""

    platform: str
    external_id: str
    uploader: str
    posted_at: datetime
    tags: set[str]


def assert_source(media_id: int, expected: Expected) -> None:
    [source] = sources_of(media_id)
    assert (source.platform, source.external_id) == (expected.platform, expected.external_id)
    assert source.uploader == expected.uploader
    assert source.posted_at == expected.posted_at
    assert source_tags_of(media_id) == expected.tags


def assert_video_through_yt_dlp(job: DownloadJob, title: str, expected: Expected) -> Media:
    """Done by yt-dlp as one H.264/AAC MP4 with the platform's title and source facts."""
    assert_done(job)
    assert job.engine == "yt-dlp"
    [media] = media_of(job.id)
    assert media.kind == "video" and media.mime == "video/mp4"
    assert_h264_aac(probe(media))
    assert media.title == title
    assert_source(media.id, expected)
    return media


async def test_tiktok_video_goes_through_yt_dlp_as_h264_aac_mp4(replay):
    job = await run(f"https://www.tiktok.com/@mffixtures/video/{tiktok.VIDEO_ID}")
    posted = datetime.fromtimestamp(tiktok.CREATED, UTC)
    expected = Expected("tiktok", tiktok.VIDEO_ID, "mffixtures", posted, {"mediafetcher", "replay"})
    assert_video_through_yt_dlp(job, "Fixture dance #mediafetcher #Replay", expected)
    assert f"https://www.tiktok.com/@mffixtures/video/{tiktok.VIDEO_ID}" in replay.proxied


async def test_tiktok_photo_slideshow_ends_as_images_through_the_gallery_dl_fallback(replay):
    """yt-dlp has no extractor for /photo/ posts (its generic one finds nothing); gallery-dl's
    TikTok extractor reads the slideshow's photos from the same page data."""
    job = await run(f"https://www.tiktok.com/@mffixtures/photo/{tiktok.PHOTO_ID}")
    assert_done(job)
    assert [entry["engine"] for entry in job.attempt_log] == ["yt-dlp", "gallery-dl"]
    assert job.engine == "gallery-dl"
    media = media_of(job.id)
    assert [m.sha256 for m in media] == [digest(replay, photo) for photo in tiktok.PHOTOS]
    assert all(m.kind == "image" and m.mime == "image/jpeg" for m in media)
    assert media[0].title == "Fixture slideshow #mediafetcher"
    [source] = sources_of(media[0].id)
    assert (source.platform, source.external_id) == ("tiktok", tiktok.PHOTO_ID)
    assert source.uploader == "mffixtures"
    assert source.posted_at == datetime.fromtimestamp(tiktok.CREATED, UTC)
    assert source_tags_of(media[0].id) == {"mediafetcher"}


async def test_twitch_clip_goes_through_yt_dlp_with_its_access_token(replay):
    job = await run(f"https://clips.twitch.tv/{twitch.SLUG}")
    expected = Expected("twitch", twitch.CLIP_ID, "MF Curator", POSTED, {"just chatting"})
    assert_video_through_yt_dlp(job, "Fixture clip of the stream", expected)
    assert "https://gql.twitch.tv/gql" in replay.proxied


async def test_a_deleted_twitch_clip_says_it_was_removed(replay):
    """TwitchClipsIE's own error for ``clip: null`` ("This clip is no longer available")."""
    job = await run(f"https://clips.twitch.tv/{twitch.GONE_SLUG}")
    assert job.status == "failed"
    assert job.error_message == "This post on clips.twitch.tv is private or was removed."
    assert "no longer available" in (job.error_detail or "")


async def test_soundcloud_track_becomes_mp3_192k_through_yt_dlp(replay):
    job = await run(soundcloud.TRACK)
    assert_done(job)
    assert job.engine == "yt-dlp"
    [media] = media_of(job.id)
    assert media.kind == "audio" and media.mime == "audio/mpeg" and media.path.endswith(".mp3")
    info = probe(media)
    assert info.audio is not None and info.audio.codec == "mp3" and info.audio.bitrate_kbps == 192
    assert media.title == "Fixture tone"
    [source] = sources_of(media.id)
    assert (source.platform, source.external_id) == ("soundcloud", str(soundcloud.TRACK_ID))
    assert source.uploader == "MF Fixtures"
    assert source.posted_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert source_tags_of(media.id) == {"lo fi", "fixture", "ambient"}


async def test_a_geo_blocked_soundcloud_track_says_so(replay):
    """SoundcloudIE's own raise_geo_restricted for a BLOCK policy without formats."""
    job = await run(soundcloud.BLOCKED)
    assert job.status == "failed"
    assert job.error_message == "soundcloud.com does not offer this in the country this server is in."


async def test_pinterest_image_pin_keeps_the_original_bytes_through_gallery_dl(replay):
    """yt-dlp's PinterestIE finds no video formats; gallery-dl fetches ``images.orig`` as it is."""
    job = await run(f"https://www.pinterest.com/pin/{pinterest.IMAGE_PIN}/")
    assert_done(job)
    assert [entry["engine"] for entry in job.attempt_log] == ["yt-dlp", "gallery-dl"]
    [media] = media_of(job.id)
    original = (replay.root / pinterest.ORIGINAL).read_bytes()
    assert file_of(media).read_bytes() == original
    assert media.kind == "image" and media.mime == "image/webp"
    [source] = sources_of(media.id)
    assert (source.platform, source.external_id) == ("pinterest", pinterest.IMAGE_PIN)
    assert source.uploader == "MF Pinner"
    assert source.posted_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert source_tags_of(media.id) == {"fixture", "pinned"}


async def test_pinterest_video_pin_goes_through_yt_dlp(replay):
    job = await run(f"https://www.pinterest.com/pin/{pinterest.VIDEO_PIN}/")
    expected = Expected("pinterest", pinterest.VIDEO_PIN, "MF Pinner", POSTED, {"fixture", "pinned"})
    assert_video_through_yt_dlp(job, "Fixture video pin", expected)


async def test_x_image_tweet_keeps_the_original_bytes_through_gallery_dl(replay):
    """yt-dlp's TwitterIE finds no video in a photo tweet; gallery-dl asks for ``name=orig``."""
    job = await run(f"https://x.com/mffixtures/status/{x.PHOTO_TWEET}")
    assert_done(job)
    assert [entry["engine"] for entry in job.attempt_log] == ["yt-dlp", "gallery-dl"]
    [media] = media_of(job.id)
    assert file_of(media).read_bytes() == (replay.root / x.PHOTO).read_bytes()
    assert media.kind == "image" and media.mime == "image/png"
    [source] = sources_of(media.id)
    assert (source.platform, source.external_id) == ("x", x.PHOTO_TWEET)
    assert source.uploader == "MF Fixtures"
    assert source.posted_at == POSTED
    assert source_tags_of(media.id) == {"mediafetcher", "replay"}
    assert "https://pbs.twimg.com/media/MfFixturePhoto?format=png&name=orig" in replay.proxied


async def test_x_video_tweet_goes_through_yt_dlp(replay):
    job = await run(f"https://x.com/mffixtures/status/{x.VIDEO_TWEET}")
    # yt-dlp names a tweet's video by the video's own id
    expected = Expected("x", x.VIDEO_MEDIA_ID, "MF Fixtures", POSTED, {"mediafetcher", "replay"})
    assert_video_through_yt_dlp(job, "MF Fixtures - Fixture tweet #MediaFetcher #replay", expected)


async def test_a_protected_tweet_asks_for_x_cookies(replay):
    """Both extractors' own errors for a protected tweet (yt-dlp's raise_login_required,
    gallery-dl's AuthRequired) become the sign-in sentence, linked to Connections."""
    job = await run(f"https://x.com/mffixtures/status/{x.PROTECTED}")
    assert job.status == "failed"
    assert (
        job.error_message
        == "x.com only shows this to signed-in users: add your x.com cookies under Connections, then retry."
    )
    assert job.error_action == "/settings#settings-connections"


@pytest.fixture
def instagram_paced(replay, monkeypatch):
    """gallery-dl waits 6-12 s between Instagram requests by default; the operator's config
    (MF_GALLERYDL_CONFIG) can change that, and does here: the fake site has no limit."""
    monkeypatch.setenv("MF_GALLERYDL_CONFIG", json.dumps({"extractor": {"instagram": {"sleep-request": 0}}}))
    return replay


def instagram_expected(shortcode: str) -> Expected:
    posted = datetime.fromtimestamp(instagram.TAKEN_AT, UTC)
    return Expected("instagram", shortcode, "MF Fixtures", posted, {"mediafetcher", "replay"})


async def test_instagram_image_post_keeps_the_original_bytes_through_gallery_dl(instagram_paced):
    job = await run(f"https://www.instagram.com/p/{instagram.IMAGE}/")
    assert_done(job)
    assert [entry["engine"] for entry in job.attempt_log] == ["yt-dlp", "gallery-dl"]
    [media] = media_of(job.id)
    assert file_of(media).read_bytes() == (instagram_paced.root / instagram.FILES[instagram.IMAGE]).read_bytes()
    assert media.kind == "image" and media.mime == "image/jpeg"
    assert_source(media.id, instagram_expected(instagram.IMAGE))


async def test_instagram_carousel_gives_one_image_per_slide(instagram_paced):
    job = await run(f"https://www.instagram.com/p/{instagram.CAROUSEL}/")
    assert_done(job)
    assert job.engine == "gallery-dl"
    media = media_of(job.id)
    expected = [digest(instagram_paced, instagram.FILES[code]) for code in instagram.CAROUSEL_ITEMS]
    assert [m.sha256 for m in media] == expected
    for item, code in zip(media, instagram.CAROUSEL_ITEMS, strict=True):
        assert item.kind == "image"
        assert_source(item.id, instagram_expected(code))


async def test_instagram_reel_goes_through_yt_dlp(instagram_paced):
    job = await run(f"https://www.instagram.com/reel/{instagram.REEL}/")
    assert_video_through_yt_dlp(job, "Video by mffixtures", instagram_expected(instagram.REEL))


@pytest.mark.parametrize(
    ("url", "video_id"),
    [
        (f"https://www.youtube.com/watch?v={youtube.VIDEO}", youtube.VIDEO),
        (f"https://www.youtube.com/shorts/{youtube.SHORT}", youtube.SHORT),
    ],
    ids=["video", "shorts"],
)
async def test_youtube_video_and_shorts_go_through_yt_dlp(replay, url, video_id):
    job = await run(url)
    tags = {"fixture", "media fetcher", "science & technology", "replay"}
    expected = Expected("youtube", video_id, "MF Fixtures", POSTED, tags)
    assert_video_through_yt_dlp(job, youtube.TITLES[video_id], expected)


async def test_an_age_gated_youtube_video_asks_for_an_adult_account(replay):
    """YoutubeIE's own error for playabilityStatus LOGIN_REQUIRED with the age-check reason."""
    job = await run(f"https://www.youtube.com/watch?v={youtube.AGE_GATED}")
    assert job.status == "failed", job.error_detail
    assert job.error_message.startswith("youtube.com shows this only to signed-in adults")
    assert job.error_action == "/settings#settings-connections"


async def test_a_private_tiktok_post_asks_for_tiktok_cookies(replay):
    """TikTokIE's raise_login_required for status 10216 (a private post)."""
    job = await run(f"https://www.tiktok.com/@mffixtures/video/{tiktok.PRIVATE_ID}")
    assert job.status == "failed"
    assert job.error_message.startswith("tiktok.com only shows this to signed-in users")
    assert job.error_action == "/settings#settings-connections"


async def test_a_site_the_extractor_no_longer_understands_says_update_the_engines(replay):
    """TikTokIE's unexpected error (with yt-dlp's please-report advice) on a page without its
    data: the sentence names the site and links the Engines page."""
    job = await run(f"https://www.tiktok.com/@mffixtures/video/{tiktok.CHANGED_ID}")
    assert job.status == "failed"
    assert job.error_message == (
        "tiktok.com changed how its pages work and the download engines no longer understand it: update the engines."
    )
    assert job.error_action == "/settings#engines"
    assert "please report this issue" in (job.error_detail or "")


async def test_a_rate_limited_api_is_retried_with_backoff_then_says_so(replay):
    """SoundCloud's API answers 429: each engine is tried MF_RETRY_LIMIT (2) times with growing
    waits, then the sentence says the site limits requests and that it was retried."""
    job = await run(soundcloud.LIMITED)
    assert job.status == "failed"
    assert (
        job.error_message
        == "soundcloud.com is limiting requests; try again later. Tried 2 times, waiting longer each time."
    )
    assert [entry["engine"] for entry in job.attempt_log][:2] == ["yt-dlp", "yt-dlp"]


async def test_gallery_dl_keeps_its_cache_in_memory_not_in_the_workers_home(replay, monkeypatch, tmp_path):
    """gallery-dl's X extractor caches its guest token; in a file under the worker's home
    (XDG_CACHE_HOME) that cache would outlive the job and be shared by every user's jobs."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    job = await run(f"https://x.com/mffixtures/status/{x.PHOTO_TWEET}")
    assert_done(job)
    assert job.engine == "gallery-dl"
    assert list(tmp_path.iterdir()) == []
