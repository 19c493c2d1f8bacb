"""Sources (subscriptions) checked by the real worker functions against feeds the fixture server
serves: only new items are queued, backfill takes the newest, a broken source fails alone, and
one source is never checked twice at once."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from arq import create_pool
from sqlalchemy import text
from sqlmodel import col, select

from mediafetcher_app.core import batches, subscriptions
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, Subscription, SubscriptionCheck, User
from mediafetcher_app.core.queue import QUEUE_NAME
from tests.factories import make_token, make_user
from tests.fixtures.pipeline import assert_done, job_row, media_of
from tests.fixtures.server import FeedItem
from tests.waiting import wait_for
from worker.client import redis_settings
from worker.sources import NOT_LISTABLE, check_source, sources_cron
from worker.tasks import download

NOW = int(time.time())
CTX = {"worker_id": "test-worker"}


def items(name: str, count: int, start: int = 0) -> list[FeedItem]:
    """``count`` items, the first the newest (as feeds list them)."""
    return [
        FeedItem(f"/mirror/media/clip.mp4?{name}={n}", f"Item {n}", NOW - 3600 * n) for n in range(start, start + count)
    ]


def alice() -> str:
    """A token of alice's (created on first use)."""
    with session_scope() as db:
        known = db.exec(select(User).where(User.username == "alice")).first() is not None
    if not known:
        make_user("alice")
    return make_token("alice")


def follow(url: str, **settings) -> int:
    with session_scope() as db:
        sub = subscriptions.create(db, principal_for_token(db, alice()), url, **settings)
        assert sub.id is not None
        return sub.id


def jobs_of(sub_id: int) -> list[DownloadJob]:
    with session_scope() as db:
        query = select(DownloadJob).where(DownloadJob.subscription_id == sub_id).order_by(col(DownloadJob.id))
        return list(db.exec(query).all())


def row(sub_id: int) -> Subscription:
    with session_scope() as db:
        sub = db.get(Subscription, sub_id)
        assert sub is not None
        return sub


def checks(sub_id: int) -> list[SubscriptionCheck]:
    with session_scope() as db:
        return subscriptions.checks_of(db, sub_id)


@pytest.mark.parametrize("kind", ["rss", "atom", "html"])
async def test_a_feed_that_gains_one_item_gives_exactly_one_new_job_on_the_next_check(server, kind):
    server.feeds[kind] = items(kind, 3)
    sub_id = follow(server.url(f"/feed/{kind}.{kind}"))
    assert await check_source(CTX, sub_id) == "done"
    assert jobs_of(sub_id) == []  # "from now on": what is there already is not taken
    assert (row(sub_id).last_found, row(sub_id).last_new_items) == (3, 0)

    server.feeds[kind] = [FeedItem(f"/mirror/media/clip.mp4?{kind}=new", "New", NOW + 60), *server.feeds[kind]]
    assert await check_source(CTX, sub_id) == "done"
    [job] = jobs_of(sub_id)
    assert job.url == server.url(f"/mirror/media/clip.mp4?{kind}=new")
    assert job.status == "queued" and job.requested_by == row(sub_id).owner_id
    sub = row(sub_id)
    assert (sub.last_found, sub.last_new_items, sub.last_error, sub.failures) == (4, 1, None, 0)
    assert [c.queued for c in checks(sub_id)] == [1, 0]

    assert await check_source(CTX, sub_id) == "done"
    assert len(jobs_of(sub_id)) == 1  # nothing new: nothing queued again


async def test_backfill_n_takes_the_n_newest(server):
    # listed oldest first, so the order of the listing alone would take the wrong ones
    server.feeds["backfill"] = list(reversed(items("backfill", 5)))
    sub_id = follow(server.url("/feed/backfill.rss"), backfill=2)
    assert await check_source(CTX, sub_id) == "done"
    assert sorted(job.url for job in jobs_of(sub_id)) == sorted(server.url(i.path) for i in items("backfill", 2))
    assert row(sub_id).last_new_items == 2
    with session_scope() as db:  # the dashboard shows the check's new items as one batch
        [batch] = batches.recent(db, principal_for_token(db, alice()))
    assert (batch.label, batch.found, batch.queued, batch.skipped, batch.active) == (
        "New from Feed backfill",
        2,
        2,
        0,
        2,
    )


async def test_an_item_already_in_the_library_is_skipped_as_archived(server):
    server.feeds["archived"] = items("archived", 2)
    sub_id = follow(server.url("/feed/archived.rss"), backfill=2)
    assert await check_source(CTX, sub_id) == "done"
    first, _second = jobs_of(sub_id)
    await download(CTX, first.id)
    assert_done(job_row(first.id))
    assert media_of(first.id)

    other = follow(server.url("/feed/archived.atom"), backfill=2)
    server.feeds["archived"] = items("archived", 2)
    assert await check_source(CTX, other) == "done"
    # the downloaded item is archived, the other one is still queued by the first source
    assert jobs_of(other) == []
    assert (row(other).last_found, row(other).last_new_items, row(other).last_skipped) == (2, 0, 2)


async def test_a_broken_source_records_its_error_and_the_next_source_still_runs(server, burst_worker):
    server.feeds["good"] = items("good", 2)
    broken = follow(server.url("/status/404"))
    missing = follow(server.url("/page/empty.html"))
    good = follow(server.url("/feed/good.rss"), backfill=1)
    pool = await create_pool(redis_settings(), default_queue_name=QUEUE_NAME)
    try:
        assert await sources_cron({"redis": pool}) == 3
        assert await sources_cron({"redis": pool}) == 0  # claimed: not handed out twice
        queued = await pool.queued_jobs(queue_name=QUEUE_NAME)
        assert sorted(job.args[0] for job in queued if job.function == "check_source") == [broken, missing, good]
    finally:
        await pool.aclose()
    async with burst_worker() as worker:
        await worker.main()

    failed = row(broken)
    assert failed.last_error == "The server returned 404: the page or file does not exist."
    assert failed.failures == 1 and failed.checking_since is None
    assert failed.next_check_at > failed.last_checked_at  # backed off, not retried at once
    assert checks(broken)[0].error == failed.last_error
    assert row(missing).last_error in (NOT_LISTABLE, "No items were found at this link.")
    assert len(jobs_of(good)) == 1 and row(good).last_error is None


def test_a_failing_source_waits_longer_after_each_failure():
    waits = [subscriptions.backoff(30, failures) for failures in range(1, 8)]
    assert waits == sorted(waits) and waits[0].total_seconds() == 3600
    assert waits[-1].total_seconds() == 86400  # capped at a day


async def test_two_workers_never_check_one_source_at_once(server):
    server.feeds["race"] = items("race", 2)
    sub_id = follow(server.url("/feed/race.rss"), backfill=2)
    results = await asyncio.gather(
        check_source({"worker_id": "worker-a"}, sub_id), check_source({"worker_id": "worker-b"}, sub_id)
    )
    assert sorted(results) == ["done", "skipped"]
    assert len(checks(sub_id)) == 1
    assert len(jobs_of(sub_id)) == 2


async def test_a_paused_source_is_not_checked(server):
    server.feeds["paused"] = items("paused", 1)
    sub_id = follow(server.url("/feed/paused.rss"), backfill=1)
    with session_scope() as db:
        owner = principal_for_token(db, alice())
        subscriptions.update_settings(db, owner, sub_id, {"paused": True})
        assert subscriptions.claim_due(db) == []
    assert await check_source(CTX, sub_id) == "skipped"
    assert checks(sub_id) == [] and jobs_of(sub_id) == []


def _claim(sub_id: int) -> Subscription | None:
    with session_scope() as db:
        return subscriptions.begin_check(db, sub_id)


def _until_a_claim_waits_for_the_row() -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )

    def waiting() -> int:
        with session_scope() as db:
            return db.exec(query).one()[0]  # type: ignore[call-overload]

    wait_for(waiting, message="the second claim never waited for the row")


def test_a_claim_made_while_another_is_uncommitted_waits_for_it_then_finds_the_source_held():
    sub_id = follow("http://127.0.0.1:9/feed.rss")
    with ThreadPoolExecutor(1) as pool:
        with session_scope() as db:
            assert subscriptions.begin_check(db, sub_id) is not None  # held, not yet committed
            second = pool.submit(_claim, sub_id)
            _until_a_claim_waits_for_the_row()
        assert second.result(timeout=30) is None
    assert row(sub_id).checking_since is not None
