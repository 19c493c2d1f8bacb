"""A playlist or channel pasted as a one-off takes the first N items it was asked for (issue 12
item 2), through the real worker function and yt-dlp on a fixture page of several videos."""

from __future__ import annotations

import pytest

from mediafetcher_app.core.urls import looks_like_collection
from tests.fixtures.pipeline import assert_done, job_row, media_of, new_job
from tests.fixtures.server import FeedItem
from worker.tasks import download


async def test_a_playlist_taken_as_a_one_off_downloads_only_its_first_n_items(server):
    server.feeds["take"] = [FeedItem(f"/media/{name}", name, 0) for name in ("clip.mp4", "h264.mp4", "big.mp4")]
    job_id = new_job(server.url("/feed/take.html"), max_items=2)
    await download({"worker_id": "test-worker"}, job_id)
    assert_done(job_row(job_id))
    assert sorted(m.title or "" for m in media_of(job_id)) == ["Playlist take (1)", "Playlist take (2)"]
    assert "/media/big.mp4" not in server.requests


@pytest.mark.parametrize(
    "url,many",
    [
        ("https://www.youtube.com/playlist?list=PL123", True),
        ("https://www.youtube.com/@creator", True),
        ("https://www.youtube.com/@creator/videos", True),
        ("https://www.youtube.com/channel/UC123", True),
        ("https://soundcloud.com/artist/sets/album", True),
        ("https://example.com/podcast/feed.rss", True),
        ("https://example.com/blog/atom.xml", True),
        ("https://www.youtube.com/watch?v=abc&list=PL123", False),
        ("https://www.youtube.com/watch?v=abc", False),
        ("https://example.com/media/clip.mp4", False),
        ("not a link /playlist", False),
    ],
)
def test_a_link_to_many_posts_is_told_from_a_link_to_one(url, many):
    assert looks_like_collection(url) is many
