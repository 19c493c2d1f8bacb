"""One file per unique bytes; an archived (platform, id) needs no download at all."""

from __future__ import annotations

from mediafetcher_app.core.settings import get_settings
from tests.fixtures.pipeline import assert_done, media_of, run, sources_of


async def test_same_bytes_from_two_urls_give_one_file_and_two_sources(server):
    first = await run(server.url("/media/h264.mp4"))
    second = await run(server.url("/mirror/media/h264.mp4"))
    assert_done(first)
    assert_done(second)
    [a], [b] = media_of(first.id), media_of(second.id)
    assert a.id == b.id
    assert len(list(get_settings().final_dir.iterdir())) == 1
    assert [s.url for s in sources_of(a.id)] == [server.url("/media/h264.mp4"), server.url("/mirror/media/h264.mp4")]
    assert list(get_settings().tmp_dir.iterdir()) == []


async def test_an_archived_item_is_linked_without_downloading(server):
    first = await run(server.url("/media/clip.mp4"))
    assert_done(first)
    server.requests.clear()
    again = await run(server.url("/media/clip.mp4"))
    assert_done(again)
    assert [m.id for m in media_of(again.id)] == [m.id for m in media_of(first.id)]
    # the probe may ask for headers; the file itself is not fetched again
    assert server.requests.count("/media/clip.mp4") <= 1
    assert [(e["engine"], e["stage"]) for e in again.attempt_log] == [("yt-dlp", "archived")]


async def test_the_first_source_to_name_the_bytes_keeps_its_title(server, monkeypatch):
    """The same bytes from a second source are linked, and keep the title their first source gave."""
    direct = await run(server.url("/media/clip.mp4"))
    assert_done(direct)
    [stored] = media_of(direct.id)
    assert stored.title == "clip"
    monkeypatch.setenv("MF_UPSTREAM_PROXY", server.base)  # t.me and Telegram's CDN are the fixture server
    post = await run("http://t.me/mffixtures/123")
    assert_done(post)
    [again] = media_of(post.id)
    assert again.id == stored.id and again.title == "clip"
    assert {s.platform for s in sources_of(stored.id)} == {"web", "telegram"}
