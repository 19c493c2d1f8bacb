"""A real Arq worker (arq 0.28, installed --no-deps beside redis 7) takes jobs from Redis."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import arq
import pytest
from sqlmodel import select

from mediafetcher_app.core import jobs
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, JobStatus, WorkerHeartbeat, utcnow
from tests.factories import make_token, make_user
from worker import heartbeat
from worker.client import enqueue, get_pool
from worker.reconcile import reconcile

# Nothing listens on port 9: the pipeline fails fast, with no retry (MF_RETRY_LIMIT=1 below).
UNREACHABLE = "http://127.0.0.1:9/watch?v=1"


@pytest.fixture(autouse=True)
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MF_RETRY_LIMIT", "1")


def new_job(url: str = UNREACHABLE) -> int:
    make_user("alice")
    token = make_token("alice")
    with session_scope() as db:
        job = jobs.create_job(db, principal_for_token(db, token), url)
        return job.id


def status_of(job_id: int) -> DownloadJob:
    with session_scope() as db:
        return db.get(DownloadJob, job_id)


def test_installed_arq_is_the_pinned_release():
    assert arq.VERSION == "0.28.0"


async def test_enqueued_job_is_picked_up_and_its_row_moves_to_a_final_state(burst_worker):
    job_id = new_job()
    await enqueue(job_id)
    async with burst_worker() as worker:
        await worker.main()
    job = status_of(job_id)
    assert job.status == JobStatus.failed
    assert job.error_message == "127.0.0.1 could not be reached."
    assert [entry["engine"] for entry in job.attempt_log] == ["yt-dlp", "gallery-dl"]
    assert job.attempts == 1 and job.started_at is not None and job.finished_at is not None
    assert worker.jobs_complete == 1


def test_a_claim_takes_a_queued_job_once_and_hands_back_its_row():
    job_id = new_job()
    with session_scope() as db:
        claimed = jobs.claim(db, job_id, "worker-1")
    assert isinstance(claimed, DownloadJob) and claimed.id == job_id
    assert claimed.status == JobStatus.probing and claimed.stage == "probing"
    assert claimed.worker_id == "worker-1" and claimed.attempts == 1 and claimed.started_at is not None
    assert claimed.url == UNREACHABLE, "the whole row, as the pipeline reads it"
    with session_scope() as db:
        assert jobs.claim(db, job_id, "worker-2") is None, "no longer queued"
    assert status_of(job_id).worker_id == "worker-1"


async def test_worker_heartbeat_is_written_while_running_and_removed_on_shutdown(burst_worker):
    async with burst_worker() as worker:
        await worker.main()
        # on_shutdown runs in close(), on leaving the block: before it, the row exists
        with session_scope() as db:
            assert len(db.exec(select(WorkerHeartbeat)).all()) == 1
    with session_scope() as db:
        assert db.exec(select(WorkerHeartbeat)).all() == []


async def test_a_cancelled_job_is_skipped_by_the_worker(burst_worker):
    job_id = new_job()
    await enqueue(job_id)
    with session_scope() as db:
        jobs.transition(db, job_id, JobStatus.cancelled)
    async with burst_worker() as worker:
        await worker.main()
    assert status_of(job_id).status == JobStatus.cancelled
    assert status_of(job_id).attempts == 0


async def test_enqueues_at_once_store_each_job_its_own_queue_id_and_a_new_attempt_gets_a_new_one():
    make_user("alice")
    token = make_token("alice")
    with session_scope() as db:
        who = principal_for_token(db, token)
        job_ids = [jobs.create_job(db, who, f"{UNREACHABLE}&n={n}").id for n in range(5)]
    queue_ids = await asyncio.gather(*(enqueue(job_id) for job_id in job_ids))
    assert len(set(queue_ids)) == 5
    assert [status_of(job_id).arq_job_id for job_id in job_ids] == queue_ids
    assert await enqueue(job_ids[0]) == queue_ids[0], "one attempt keeps its queue id: Arq drops the copy"
    with session_scope() as db:
        jobs.transition(db, job_ids[0], JobStatus.failed)
    with session_scope() as db:
        jobs.prepare_retry(db, principal_for_token(db, token), job_ids[0])
    assert await enqueue(job_ids[0]) not in queue_ids, "a retry is a new attempt, never swallowed"
    with pytest.raises(LookupError):
        await enqueue(2_000_000_000)


async def test_reconcile_reenqueues_queued_jobs_that_redis_lost(burst_worker):
    job_id = new_job()
    await enqueue(job_id)
    pool = await get_pool()
    await pool.flushdb()
    assert await reconcile(pool) == 1
    assert await reconcile(pool) == 0, "a job the queue holds is not enqueued twice"
    async with burst_worker() as worker:
        await worker.main()
    assert status_of(job_id).status == JobStatus.failed


async def test_reconcile_requeues_a_running_job_whose_worker_died():
    job_id = new_job()
    with session_scope() as db:
        jobs.claim(db, job_id, "dead-host:1:abc")
        jobs.transition(db, job_id, JobStatus.downloading, updated_at=utcnow() - timedelta(minutes=5))
    with session_scope() as db:
        heartbeat.beat(db, "live-host:2:def")
    pool = await get_pool()
    assert await reconcile(pool) == 1
    job = status_of(job_id)
    assert job.status == JobStatus.queued and job.worker_id is None


async def test_reconcile_leaves_a_running_job_of_a_live_worker_alone():
    job_id = new_job()
    with session_scope() as db:
        heartbeat.beat(db, "live-host:2:def")
        jobs.claim(db, job_id, "live-host:2:def")
        jobs.transition(db, job_id, JobStatus.downloading, updated_at=utcnow() - timedelta(minutes=5))
    assert await reconcile(await get_pool()) == 0
    assert status_of(job_id).status == JobStatus.downloading


@pytest.mark.parametrize("final", [JobStatus.done, JobStatus.failed, JobStatus.cancelled])
def test_an_ended_job_never_comes_back_through_a_late_write(final):
    job_id = new_job()
    with session_scope() as db:
        assert jobs.transition(db, job_id, final)
    with session_scope() as db:
        assert not jobs.transition(db, job_id, JobStatus.downloading)
    assert status_of(job_id).status == final
