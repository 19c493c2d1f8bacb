"""Platform identity: one site name per source whatever the engine's extractor key, old rows
renamed by migration 0008, and an icon per platform."""

from __future__ import annotations

import psycopg
from alembic import command
from sqlalchemy.engine import make_url

from mediafetcher_app.core import platforms
from tests.fixtures.databases import run_alembic


def test_a_platform_is_named_by_its_site_whatever_the_extractor_key():
    cases = {
        "Youtube": "youtube",
        "youtube:tab": "youtube",
        "YoutubeTab": "youtube",
        "TikTok": "tiktok",
        "Twitter": "x",
        "twitter": "x",
        "TwitterBroadcast": "x",
        "Instagram": "instagram",
        "Soundcloud": "soundcloud",
        "pinterest": "pinterest",
        "TwitchClips": "twitch",
        "TelegramEmbed": "telegram",
        "Generic": "web",
        "mfgeneric": "web",
        None: "web",
        "danbooru": "danbooru",
        "Vimeo": "vimeo",
    }
    assert {key: platforms.normalise(key) for key in cases} == cases


def test_every_platform_icon_is_a_committed_svg():
    root = platforms.__file__.rsplit("/mediafetcher_app/", 1)[0]
    for name in (*platforms.ICONS, "somewhere-else"):
        path = root + "/assets" + platforms.icon(name)
        with open(path, encoding="utf-8") as file:
            assert file.read().startswith("<svg "), path


def test_the_migration_renames_stored_extractor_keys_and_merges_twins(empty_database_url):
    """Rows stored under extractor keys get site names; two sources that become one (``twitter``
    and ``TwitterCard`` with the same id) merge into the older, keeping both media links."""
    run_alembic(empty_database_url, lambda c: command.upgrade(c, "0006"))
    dsn = make_url(empty_database_url).render_as_string(False).replace("+psycopg", "")
    with psycopg.connect(dsn) as conn:
        for n in (1, 2):
            conn.execute(
                "INSERT INTO media (id, sha256, path, kind, mime, size_bytes, created_at)"
                " VALUES (%s, %s, %s, 'image', 'image/jpeg', 1, now())",
                (n, f"{n:064d}", f"final/{n:064d}.jpg"),
            )
        rows = [(1, "twitter", "55"), (2, "twittercard", "55"), (3, "telegramembed", "7"), (4, "generic", "u")]
        for source_id, platform, external_id in rows:
            conn.execute(
                "INSERT INTO source (id, url, platform, external_id, raw_metadata, created_at)"
                " VALUES (%s, 'http://example.org/', %s, %s, '{}', now())",
                (source_id, platform, external_id),
            )
        conn.execute("INSERT INTO media_source VALUES (1, 1), (2, 2), (2, 3)")
    run_alembic(empty_database_url, lambda c: command.upgrade(c, "head"), command.check)
    with psycopg.connect(dsn) as conn:
        sources = conn.execute("SELECT id, platform, external_id FROM source ORDER BY id").fetchall()
        links = conn.execute("SELECT media_id, source_id FROM media_source ORDER BY 1, 2").fetchall()
        extra = conn.execute("SELECT search_extra FROM media WHERE id = 2").fetchone()
    assert sources == [(1, "x", "55"), (3, "telegram", "7"), (4, "web", "u")]
    assert links == [(1, 1), (2, 1), (2, 3)]
    assert extra is not None and "telegram" in extra[0]
