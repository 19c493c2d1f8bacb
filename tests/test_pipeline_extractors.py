"""Real site extractors, run offline against the fixture server."""

from __future__ import annotations

import hashlib
import json
import re

from mediafetcher_app.core import media_queries
from mediafetcher_app.core.db import session_scope
from tests.fixtures.pipeline import assert_done, file_of, media_of, run, sources_of
from tests.fixtures.server import TELEGRAM_CDN, TELEGRAM_POSTS


async def test_gallery_dl_danbooru_extractor(server, monkeypatch):
    """gallery-dl's own Danbooru extractor, its instance root pointed at the fixture server
    (MF_GALLERYDL_CONFIG, keyed by its base category "Danbooru"); the post JSON and image come from there."""
    host = server.base.removeprefix("http://")
    instance = {"danbooru": {"root": server.base, "pattern": re.escape(host)}}
    monkeypatch.setenv("MF_GALLERYDL_CONFIG", json.dumps({"extractor": {"Danbooru": instance}}))
    job = await run(server.url("/posts/4242"))
    assert_done(job)
    assert job.engine == "gallery-dl"
    [media] = media_of(job.id)
    original = (server.root / "img/danbooru.jpg").read_bytes()
    assert file_of(media).read_bytes() == original
    assert media.sha256 == hashlib.sha256(original).hexdigest()
    [source] = sources_of(media.id)
    assert (source.platform, source.external_id) == ("danbooru", "4242")
    assert source.posted_at is not None and source.posted_at.year == 2024
    assert "navy_background" in source.raw_metadata["tags"]
    assert "/posts/4242.json" in server.requests


async def test_source_tags_from_the_extractor_are_marked_searchable_and_filterable(server, monkeypatch):
    """Danbooru's tags become the media's tags, marked as the site's (the viewer shows them apart);
    a search for one and the tag filter both find the media."""
    host = server.base.removeprefix("http://")
    instance = {"danbooru": {"root": server.base, "pattern": re.escape(host)}}
    monkeypatch.setenv("MF_GALLERYDL_CONFIG", json.dumps({"extractor": {"Danbooru": instance}}))
    job = await run(server.url("/posts/4243"))
    assert_done(job)
    [media] = media_of(job.id)
    with session_scope() as db:
        shown = media_queries.detail(db, media.id)
        searched = media_queries.list_media(db, media_queries.MediaFilter(q="navy_background"))
        filtered = media_queries.list_media(db, media_queries.MediaFilter(tag="simple_background"))
    assert {"navy_background", "simple_background", "artist_name"} <= set(shown.source_tags)
    assert set(shown.source_tags) <= set(shown.tags)
    assert [card.id for card in searched.items] == [media.id]
    assert [card.id for card in filtered.items] == [media.id]


async def test_yt_dlp_telegram_extractor(server, monkeypatch):
    """yt-dlp's own TelegramEmbed extractor: its requests (the t.me embed page, then the video on
    Telegram's CDN) go through the egress proxy to the fixture server as its upstream proxy
    (MF_UPSTREAM_PROXY)."""
    monkeypatch.setenv("MF_UPSTREAM_PROXY", server.base)
    job = await run("http://t.me/mffixtures/123")
    assert_done(job)
    assert job.engine == "yt-dlp"
    [media] = media_of(job.id)
    assert media.kind == "video" and media.title == "Fixture post 123"
    [source] = sources_of(media.id)
    assert (source.platform, source.external_id) == ("telegram", "123")
    assert source.uploader == "MediaFetcher fixtures" and source.posted_at.year == 2024
    assert "http://t.me/mffixtures/123?embed=1" in server.proxied
    assert f"{TELEGRAM_CDN}/media/clip.mp4" in server.proxied
    assert media.sha256 == hashlib.sha256((server.root / "media/clip.mp4").read_bytes()).hexdigest()


async def test_yt_dlp_playlist_gives_one_media_per_item(server, monkeypatch):
    """A Telegram post with three videos (an album) is a playlist to yt-dlp: each video becomes
    its own media with its own message id, all linked to the one job."""
    monkeypatch.setenv("MF_UPSTREAM_PROXY", server.base)
    job = await run("http://t.me/mffixtures/200")
    assert_done(job)
    media = media_of(job.id)
    names = TELEGRAM_POSTS["200"]
    assert len(media) == len(names) == 3
    expected = {hashlib.sha256((server.root / "media" / name).read_bytes()).hexdigest() for name in names}
    assert {m.sha256 for m in media} == expected
    assert all(m.kind == "video" for m in media)
    identities = sorted((s.platform, s.external_id) for m in media for s in sources_of(m.id))
    assert identities == [("telegram", "200"), ("telegram", "201"), ("telegram", "202")]
