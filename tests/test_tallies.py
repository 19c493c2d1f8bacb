"""The figures the feed and the dashboard show on every load come from tallies kept by triggers
(migration 0009); after inserts, updates and deletes of every kind, single and in bulk, each
tally-based figure equals a full count over the counted rows."""

from __future__ import annotations

from sqlalchemy import func, insert, text, update
from sqlmodel import col, delete, select

from mediafetcher_app.core import folders_tags, jobs, media_queries, overview, tallies
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.models import (
    ACTIVE_STATUSES,
    DownloadJob,
    JobStatus,
    Media,
    MediaFolder,
    MediaTag,
    Role,
    Source,
    Tag,
    User,
)
from tests.factories import make_media, make_principal

TALLY_KEYS = {
    "job_tally": "user_id, status",
    "media_tally": "kind",
    "platform_tally": "platform",
    "folder_tally": "folder_id",
    "tag_tally": "tag_id",
}


def full_counts() -> dict:
    """Every figure counted from scratch, the way the pages computed them before the tallies."""
    with session_scope() as db:
        jobs_by = db.exec(
            select(DownloadJob.requested_by, DownloadJob.status, func.count()).group_by(
                DownloadJob.requested_by, DownloadJob.status
            )
        ).all()
        kinds = db.exec(select(Media.kind, func.count(), func.sum(Media.size_bytes)).group_by(Media.kind)).all()
        return {
            "jobs": {(user or 0, status): n for user, status, n in jobs_by},
            "kinds": {kind.value: {"count": n, "bytes": int(size)} for kind, n, size in kinds},
            "platforms": list(db.exec(select(Source.platform).distinct().order_by(Source.platform)).all()),
            "folders": dict(db.exec(select(MediaFolder.folder_id, func.count()).group_by(MediaFolder.folder_id)).all()),
            "tags": {
                name: n
                for name, n in db.exec(
                    select(Tag.name, func.count(col(MediaTag.media_id)))
                    .join(MediaTag, col(MediaTag.tag_id) == col(Tag.id), isouter=True)
                    .group_by(Tag.name)
                ).all()
            },
        }


def tallied(users: list) -> dict:
    """The same figures as the app reads them now."""
    with session_scope() as db:
        counters = {who.user_id: overview.job_counters(db, who) for who in users}
        return {
            "counters": counters,
            "kinds": media_queries.usage_by_kind(db),
            "platforms": [option["value"] for option in media_queries.platform_options(db)],
            "folders": {node.id: node.count for node in folders_tags.folder_tree(db) if node.count},
            "tags": {tag.name: tag.count for tag in folders_tags.tag_summaries(db)},
        }


def assert_tallies_match(users: list) -> None:
    full, fast = full_counts(), tallied(users)
    for who in users:
        total = dict.fromkeys(JobStatus, 0)
        for (user, status), n in full["jobs"].items():
            if who.is_admin or user == who.user_id:
                total[status] += n
        expected = overview.JobCounters(
            active=sum(total[s] for s in ACTIVE_STATUSES), done=total[JobStatus.done], failed=total[JobStatus.failed]
        )
        assert fast["counters"][who.user_id] == expected, who
    assert fast["kinds"] == full["kinds"]
    assert fast["platforms"] == full["platforms"]
    assert fast["folders"] == full["folders"]
    assert fast["tags"] == full["tags"]


def test_a_tally_gives_the_same_figures_as_a_full_count_after_inserts_updates_and_deletes():
    root, alice, bob = make_principal("root", Role.admin), make_principal("alice"), make_principal("bob")
    users = [root, alice, bob]
    with session_scope() as db:
        ids = [jobs.create_job(db, who, f"https://example.com/{who.user_id}/{n}").id for who in users for n in range(3)]
    assert_tallies_match(users)

    with session_scope() as db:  # single transitions, then a bulk update of many rows in one statement
        jobs.claim(db, ids[0], "w1")
        jobs.transition(db, ids[0], JobStatus.done)
        jobs.request_cancel(db, alice, ids[3])
        db.exec(update(DownloadJob).where(col(DownloadJob.id).in_(ids[5:])).values(status=JobStatus.failed))
        db.exec(update(DownloadJob).values(progress_bytes=10))  # no status change: no tally change
    assert_tallies_match(users)

    with session_scope() as db:  # a deleted user's jobs are nobody's; a bulk delete of jobs
        db.exec(delete(User).where(col(User.id) == bob.user_id))
        db.exec(delete(DownloadJob).where(col(DownloadJob.id).in_(ids[:2])))
    assert_tallies_match([root, alice])

    media = [
        make_media(f"m{n}", kind, platform)
        for n, (kind, platform) in enumerate(
            [("video", "youtube"), ("image", "tiktok"), ("audio", "soundcloud"), ("video", "tiktok")]
        )
    ]
    with session_scope() as db:
        top = folders_tags.create_folder(db, root, "Top")
        sub = folders_tags.create_folder(db, root, "Sub", parent_id=top.id)
        folders_tags.add_to_folder(db, top.id, media)
        folders_tags.add_to_folder(db, sub.id, media[:2])
        folders_tags.tag_media(db, root, "cats", media)
        folders_tags.tag_media(db, root, "dogs", media[:1])
        folders_tags.tag_media(db, root, "unused", [])
    assert_tallies_match([root, alice])

    with session_scope() as db:  # unlink, delete a tag, a folder tree, a media (cascades), a size change
        folders_tags.remove_from_folder(db, top.id, media[3])
        folders_tags.untag_media(db, "cats", media[2])
        folders_tags.delete_tag(db, root, "dogs")
        folders_tags.delete_folder(db, root, sub.id)
        db.exec(update(Media).where(col(Media.id) == media[1]).values(size_bytes=12345))
        db.exec(delete(Media).where(col(Media.id) == media[0]))
        db.exec(delete(Source).where(col(Source.platform) == "soundcloud"))
    assert_tallies_match([root, alice])

    with session_scope() as db:  # everything goes: every tally reads empty, nothing negative
        db.exec(delete(Media))
        db.exec(delete(Source))
        db.exec(delete(Tag))
        db.exec(delete(DownloadJob))
    assert_tallies_match([root, alice])
    with get_engine().connect() as conn:  # a user's job count is the sum of its slots
        for tally, key in TALLY_KEYS.items():
            leftover = conn.execute(
                text(f"SELECT count(*) FROM (SELECT {key} FROM {tally} GROUP BY {key} HAVING sum(n) <> 0) AS k")
            )
            assert leftover.scalar() == 0, tally


def test_the_plan_mode_is_applied_on_every_connection():
    """Several pooled connections at once, each a fresh server session: all plan per run."""
    engine = get_engine()
    connections = [engine.connect() for _ in range(4)]
    try:
        pids = {conn.execute(text("SELECT pg_backend_pid()")).scalar() for conn in connections}
        modes = {conn.execute(text("SHOW plan_cache_mode")).scalar() for conn in connections}
    finally:
        for conn in connections:
            conn.close()
    assert len(pids) == 4
    assert modes == {"force_custom_plan"}


def test_a_bulk_load_with_the_tallies_paused_is_recounted_to_the_full_count():
    root = make_principal("root", Role.admin)
    with session_scope() as db:
        jobs.create_job(db, root, "https://example.com/before")
    media = make_media("kept", "image", "pinterest")
    with get_engine().begin() as conn, tallies.paused(conn):
        for n in range(30):  # one statement per row, as a long load sends them
            conn.execute(
                insert(DownloadJob).values(url=f"https://example.com/{n}", requested_by=root.user_id, attempt_log=[])
            )
        conn.execute(delete(Media).where(col(Media.id) == media))
        conn.execute(text("INSERT INTO tag (name) VALUES ('bulk')"))
        conn.execute(
            text(
                "INSERT INTO source (url, platform, external_id, raw_metadata, created_at) "
                "VALUES ('https://x.example/1', 'x', '1', '{}', now())"
            )
        )
    assert_tallies_match([root])
    with session_scope() as db:
        assert overview.job_counters(db, root).active == 31
