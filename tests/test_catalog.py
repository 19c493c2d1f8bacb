"""The feed's listing, filters, keyset pages and search, on real PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from mediafetcher_app.core import folders_tags, media_queries, system
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.media_queries import MediaFilter
from mediafetcher_app.core.models import Media, MediaSource, Source, utcnow
from mediafetcher_app.core.sizes import human_bytes
from mediafetcher_app.state.dashboard_view import server_health
from tests.factories import make_media, make_principal


def titles(filt: MediaFilter) -> list[str]:
    with session_scope() as db:
        return [card.title for card in media_queries.list_media(db, filt).items]


@pytest.fixture
def library():
    start = utcnow() - timedelta(days=10)
    ids = {
        "Cosplay at the con": make_media("Cosplay at the con", "video", "tiktok", created_at=start),
        "Night drive": make_media(
            "Night drive", "audio", "soundcloud", uploader="DJ Owl", created_at=start + timedelta(days=1)
        ),
        "Sunset": make_media(
            "Sunset", "image", "instagram", created_at=start + timedelta(days=2), description="golden hour over the bay"
        ),
        "Tutorial": make_media(
            "Tutorial",
            "video",
            "youtube",
            url="https://www.youtube.com/watch?v=abc123",
            created_at=start + timedelta(days=3),
        ),
    }
    return ids


def test_newest_first_and_oldest_first(library):
    assert titles(MediaFilter()) == ["Tutorial", "Sunset", "Night drive", "Cosplay at the con"]
    assert titles(MediaFilter(sort="oldest"))[0] == "Cosplay at the con"


def test_filters_by_kind_and_platform(library):
    assert titles(MediaFilter(kind="video")) == ["Tutorial", "Cosplay at the con"]
    assert titles(MediaFilter(platform="soundcloud")) == ["Night drive"]


def test_downloaded_date_range(library):
    day = (utcnow() - timedelta(days=8)).date()
    assert titles(MediaFilter(downloaded_from=day, downloaded_to=day)) == ["Sunset"]


def test_keyset_pages_cover_everything_once(library):
    seen, cursor = [], ""
    with session_scope() as db:
        while True:
            page = media_queries.list_media(db, MediaFilter(limit=3, before=cursor))
            seen += [card.id for card in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert sorted(seen) == sorted(library.values()) and len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "query,expected",
    [
        ("cosp", ["Cosplay at the con"]),  # prefix match
        ("golden bay", ["Sunset"]),  # description, all words required
        ("owl", ["Night drive"]),  # uploader
        ("instagram", ["Sunset"]),  # platform
        ("abc123", ["Tutorial"]),  # source URL
        ("zzz", []),
        ("   ", ["Tutorial", "Sunset", "Night drive", "Cosplay at the con"]),
    ],
)
def test_search_prefix_title_description_uploader_platform_url(library, query, expected):
    assert titles(MediaFilter(q=query)) == expected


def test_search_and_folder_and_tag_follow_links_made_later(library):
    who = make_principal()
    with session_scope() as db:
        folder = folders_tags.create_folder(db, who, "Trips")
        folders_tags.add_to_folder(db, folder.id, [library["Sunset"], library["Tutorial"]])
        folders_tags.tag_media(db, who, "Favourites", [library["Sunset"]])
    assert titles(MediaFilter(q="favou")) == ["Sunset"]
    assert titles(MediaFilter(folder_id=folder.id)) == ["Tutorial", "Sunset"]
    assert titles(MediaFilter(tag="favourites")) == ["Sunset"]
    with session_scope() as db:
        folders_tags.rename_tag(db, who, "favourites", "best")
    assert titles(MediaFilter(q="best")) == ["Sunset"] and titles(MediaFilter(q="favou")) == []


def test_neighbours_follow_the_feed_order(library):
    with session_scope() as db:
        assert media_queries.neighbour(db, MediaFilter(), library["Sunset"], forward=True) == library["Night drive"]
        assert media_queries.neighbour(db, MediaFilter(), library["Sunset"], forward=False) == library["Tutorial"]
        assert (
            media_queries.neighbour(db, MediaFilter(kind="video"), library["Tutorial"], forward=True)
            == library["Cosplay at the con"]
        )


def test_detail_lists_every_source_folder_and_tag(library):
    with session_scope() as db:
        info = media_queries.detail(db, library["Tutorial"])
    assert info.sources[0]["url"] == "https://www.youtube.com/watch?v=abc123"
    assert info.file_name == "Tutorial.mp4"


@pytest.mark.parametrize(
    "filt",
    [MediaFilter(kind="gif"), MediaFilter(sort="random"), MediaFilter(limit=0), MediaFilter(before="!!notacursor")],
)
def test_bad_filters_are_clear_errors(filt):
    with session_scope() as db, pytest.raises(InvalidInput):
        media_queries.list_media(db, filt)


def test_cards_and_the_viewer_show_the_posted_date_and_the_uploader():
    clip = make_media("Posted clip", "video", "youtube", uploader="Some Channel")
    make_media("Nobody's", "image", "pinterest", uploader="")
    with session_scope() as db:
        source = db.exec(select(Source).where(Source.uploader == "Some Channel")).one()
        source.posted_at = utcnow().replace(year=2023, month=3, day=9)
    with session_scope() as db:
        cards = {card.title: card for card in media_queries.list_media(db, MediaFilter()).items}
        shown = media_queries.detail(db, clip)
    assert (cards["Posted clip"].uploader, cards["Posted clip"].posted_at) == ("Some Channel", "2023-03-09")
    assert (cards["Nobody's"].uploader, cards["Nobody's"].posted_at) == ("", "")
    assert (shown.uploader, shown.posted_at) == ("Some Channel", "2023-03-09")


def test_the_nas_line_has_used_total_and_free():
    with session_scope() as db:
        health = server_health(db)
    assert health["disk_total"] == human_bytes(system.disk().total)
    assert health["disk_used"].endswith("B") and health["disk_free"].endswith("B")


def pages(filt: MediaFilter) -> list[list[str]]:
    """Every page of a filter, following the cursor."""
    out, before = [], ""
    while True:
        with session_scope() as db:
            page = media_queries.list_media(db, MediaFilter(**{**filt.__dict__, "before": before}))
        out.append([card.title for card in page.items])
        if not (before := page.next_cursor):
            return out


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_posted_date_range_pages_the_same_whether_its_matches_are_collected_or_walked(monkeypatch, sort):
    """The range's few matches are collected by the posted_at index and sorted (``FEW_POSTED``);
    many are found walking the feed's order. Both give the same pages."""
    start = utcnow() - timedelta(days=30)
    for n in range(7):
        make_media(f"clip {n}", created_at=start + timedelta(hours=n))
    with session_scope() as db:
        for n, source in enumerate(db.exec(select(Source).order_by(Source.id)).all()):
            source.posted_at = utcnow().replace(year=2024, month=5, day=1 + n % 3)  # days 1-3, one day 3
    filt = MediaFilter(posted_from=date(2024, 5, 1), posted_to=date(2024, 5, 2), sort=sort, limit=2)
    collected = pages(filt)
    monkeypatch.setattr(media_queries, "FEW_POSTED", 0)
    walked = pages(filt)
    assert collected == walked
    expected = [f"clip {n}" for n in (0, 1, 3, 4, 6)]
    assert [title for page in collected for title in page] == (expected if sort == "oldest" else expected[::-1])


def test_the_posted_range_follows_the_dates_its_links_carry():
    """Triggers copy a source's posted date and its media's download date onto their link
    (migration 0012): a later posted date, a second source and a changed download date each show
    in the range, and a media with two sources in it is one card."""
    start = utcnow() - timedelta(days=30)
    first, second = (make_media(f"clip {n}", created_at=start + timedelta(hours=n)) for n in range(2))
    may = MediaFilter(posted_from=date(2024, 5, 1), posted_to=date(2024, 5, 31))
    assert titles(may) == []
    with session_scope() as db:
        for source in db.exec(select(Source)).all():
            source.posted_at = utcnow().replace(year=2024, month=5, day=10)
    assert titles(may) == ["clip 1", "clip 0"]
    with session_scope() as db:
        posted = utcnow().replace(year=2024, month=5, day=20)
        extra = Source(url="https://example.com/also", platform="generic", posted_at=posted)
        db.add(extra)
        db.flush()
        db.add(MediaSource(media_id=first, source_id=extra.id))
        db.get(Media, first).created_at = start + timedelta(hours=5)
    assert titles(may) == ["clip 0", "clip 1"]
    with session_scope() as db:
        linked = select(MediaSource.source_id).where(MediaSource.media_id == second)
        for source in db.exec(select(Source).where(col(Source.id).in_(linked))).all():
            source.posted_at = utcnow().replace(year=2023)
    assert titles(may) == ["clip 0"]


@pytest.mark.parametrize("few_linked", [media_queries.FEW_LINKED, 0])
def test_search_with_a_platform_and_a_tag_finds_exactly_the_linked_media_whatever_the_tag_words(
    monkeypatch, few_linked
):
    """The search index pre-selects by the platform's and tag's words (alone when they are on few
    media, ``FEW_LINKED``; else with the search words); the exact link tests decide."""
    monkeypatch.setattr(media_queries, "FEW_LINKED", few_linked)
    root = make_principal("root")
    ids = {
        title: make_media(title, "video", platform)
        for title, platform in [("Cosplay one", "tiktok"), ("Cosplay two", "tiktok"), ("Cosplay three", "youtube")]
    }
    ids["Cosplay tagged in title best-of"] = make_media("Cosplay tagged in title best-of", "video", "tiktok")
    with session_scope() as db:
        folders_tags.tag_media(db, root, "best-of", [ids["Cosplay one"], ids["Cosplay three"]])
        folders_tags.tag_media(db, root, "★", [ids["Cosplay two"]])
    assert titles(MediaFilter(q="cosp", platform="tiktok", tag="best-of")) == ["Cosplay one"]
    assert titles(MediaFilter(q="cosp", platform="tiktok", tag="★")) == ["Cosplay two"]
    assert titles(MediaFilter(q="cosp", platform="TikTok", tag="best-of")) == []  # the platform is exact
    assert titles(MediaFilter(q="three", platform="youtube", tag="best-of")) == ["Cosplay three"]
    assert titles(MediaFilter(q="cosp", platform="tiktok", sort="oldest")) == [
        "Cosplay one",
        "Cosplay two",
        "Cosplay tagged in title best-of",
    ]
    paged = pages(MediaFilter(q="cosp", platform="tiktok", limit=1))
    newest_first = ["Cosplay tagged in title best-of", "Cosplay two", "Cosplay one"]
    assert [title for page in paged for title in page] == newest_first
