"""Issue 8, item 10: jobs stay whole. A worker writes only to its own running attempt, liveness
uses the database's clock, a job that keeps stopping its worker fails, a database outage does not
leave a row active, cancel and timeout stop finalise before anything is published, every ffmpeg
run has a time limit, and a submit with Redis down is still accepted."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from mediafetcher_app.api import build_api
from mediafetcher_app.core import ffmpeg, jobs
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, JobStatus, Media, MediaKind, utcnow
from mediafetcher_app.core.settings import get_settings
from mediafetcher_app.state.add_url import AddUrlState
from tests.factories import bearer, make_token
from tests.fixtures.pipeline import assert_done, job_row, media_of, new_job, orphaned
from tests.states import call, state
from tests.waiting import wait_for, wait_for_async
from worker import finalise, heartbeat, thumbnails
from worker.client import close_pool, get_pool
from worker.content import identify
from worker.engines.mp4 import make_playable
from worker.errors import PipelineError
from worker.pipeline import JobRun
from worker.reconcile import _queue_holds, reconcile, requeue_abandoned
from worker.tasks import download

SLOW = "/throttle/media/big.mp4?rate=40000"  # ~9 s for the whole file
CLOSED_PORT = "redis://127.0.0.1:9/0"  # nothing listens on port 9


def cancel(job_id: int) -> None:
    with session_scope() as db:
        jobs.request_cancel(db, principal_for_token(db, make_token("alice")), job_id)


def nothing_published() -> bool:
    settings = get_settings()
    with session_scope() as db:
        rows = db.exec(select(Media)).all()
    return rows == [] and list(settings.final_dir.iterdir()) == [] and list(settings.thumbs_dir.iterdir()) == []


# -- a worker writes only to its own running attempt ------------------------------------------


async def test_a_worker_whose_job_was_requeued_and_taken_can_no_longer_write_it(server):
    job_id = new_job(server.url(SLOW))
    first = asyncio.create_task(download({"worker_id": "worker-1"}, job_id))
    await wait_for_async(lambda: job_row(job_id).status == JobStatus.downloading and job_row(job_id).progress_bytes)
    with session_scope() as db:  # reconcile thought worker-1 dead; worker-2 took the job
        assert jobs.requeue(db, job_row(job_id), "test: worker-1 looked dead")
    with session_scope() as db:
        assert jobs.claim(db, job_id, "worker-2") is not None

    assert await asyncio.wait_for(first, timeout=60) == "cancelled"  # worker-1 noticed and stopped
    job = job_row(job_id)
    assert (job.status, job.worker_id, job.attempts, job.stage) == (JobStatus.probing, "worker-2", 2, "probing")
    old = jobs.Owner("worker-1", 1)
    with session_scope() as db:
        assert not jobs.transition(db, job_id, JobStatus.downloading, owner=old, progress_bytes=1)
        assert not jobs.fail(db, job_id, "worker-1's error", owner=old)
        assert not jobs.transition(db, job_id, JobStatus.done, owner=old)
    job = job_row(job_id)
    assert (job.status, job.worker_id, job.error_message) == (JobStatus.probing, "worker-2", None)
    assert nothing_published()


# -- liveness on the database's clock ----------------------------------------------------------


def skew_worker_clock(monkeypatch: pytest.MonkeyPatch, offset: timedelta) -> None:
    """This host's clock is ``offset`` off (wherever the code reads it); the reconciling host's is
    right once the ``monkeypatch.context()`` it is used in ends."""
    skewed = lambda: utcnow() + offset  # noqa: E731
    for module in ("worker.heartbeat", "mediafetcher_app.core.jobs", "mediafetcher_app.core.models"):
        monkeypatch.setattr(f"{module}.utcnow", skewed, raising=False)


def is_live(worker_id: str) -> bool:
    with session_scope() as db:
        return worker_id in heartbeat.live_worker_ids(db)


def test_a_worker_whose_clock_is_behind_is_alive():
    with pytest.MonkeyPatch.context() as worker_host:
        skew_worker_clock(worker_host, -timedelta(hours=1))
        with session_scope() as db:
            heartbeat.beat(db, "slow-clock:1:abc")
    assert is_live("slow-clock:1:abc")


async def test_a_dead_worker_whose_clock_was_ahead_is_not_immortal(monkeypatch):
    monkeypatch.setenv("MF_WORKER_STALE_S", "1")
    job_id = new_job("https://example.com/watch?v=1")
    with pytest.MonkeyPatch.context() as worker_host:
        skew_worker_clock(worker_host, timedelta(hours=1))
        with session_scope() as db:
            heartbeat.beat(db, "fast-clock:1:abc")
            jobs.claim(db, job_id, "fast-clock:1:abc")
            jobs.transition(db, job_id, JobStatus.downloading)
    # the worker dies now: its last beat and its job's last write age on the database's clock
    await wait_for_async(lambda: not is_live("fast-clock:1:abc"), timeout=15)
    await wait_for_async(lambda: orphaned(job_id), timeout=15)
    assert await reconcile(await get_pool()) == 1
    assert job_row(job_id).status == JobStatus.queued


# -- MF_MAX_JOB_ATTEMPTS -----------------------------------------------------------------------


def crash(job_id: int, worker_id: str) -> None:
    """A worker claims the job and dies mid-download, long enough ago to be stale."""
    with session_scope() as db:
        assert jobs.claim(db, job_id, worker_id) is not None
        jobs.transition(db, job_id, JobStatus.downloading, updated_at=utcnow() - timedelta(minutes=5))


async def test_a_job_that_stops_its_worker_3_times_fails_with_a_sentence():
    job_id = new_job("https://example.com/crashes-everything")
    pool = await get_pool()
    for number in (1, 2):
        crash(job_id, f"dead-{number}")
        assert await reconcile(pool) == 1
        assert job_row(job_id).status == JobStatus.queued
    crash(job_id, "dead-3")
    assert await reconcile(pool) == 0
    job = job_row(job_id)
    assert job.status == JobStatus.failed
    assert job.error_message == "This download stopped its worker 3 times, so it was not tried again."
    assert [e["worker"] for e in job.attempt_log if e["stage"] == jobs.WORKER_LOST] == ["dead-1", "dead-2", "dead-3"]

    with session_scope() as db:  # a user's retry starts the count again
        jobs.prepare_retry(db, principal_for_token(db, make_token("alice")), job_id)
    crash(job_id, "dead-4")
    assert await reconcile(pool) == 1
    assert job_row(job_id).status == JobStatus.queued


# -- a database outage -------------------------------------------------------------------------


class DatabaseOutage:
    """The test database refuses every connection, and the open ones are cut (real PostgreSQL)."""

    def __init__(self, services) -> None:
        url = make_url(services.server_database_url).set(drivername="postgresql", database="postgres")
        self.admin = url.render_as_string(False)
        self.name = services.database_name

    def _run(self, *statements: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def start(self) -> None:
        self._run(
            f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'",
        )

    def end(self) -> None:
        self._run(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')


async def test_the_final_write_waits_for_the_database_and_the_job_ends_done(server, services, monkeypatch, caplog):
    outage = DatabaseOutage(services)
    real_run = JobRun.run

    async def run_then_lose_the_database(self: JobRun) -> list[int]:
        media_ids = await real_run(self)
        outage.start()  # the media are stored; the database goes away before the last write
        return media_ids

    monkeypatch.setattr(JobRun, "run", run_then_lose_the_database)
    job_id = new_job(server.url("/img/red.jpg"))
    caplog.set_level(logging.WARNING, logger="worker.pipeline")
    task = asyncio.create_task(download({"worker_id": "worker-1"}, job_id))
    try:
        await wait_for_async(lambda: any(r.name == "worker.pipeline" for r in caplog.records) or task.done())
    finally:
        outage.end()
    # (the library view's background pass may meet the outage too and log first: it is not the write)
    first = next(r for r in caplog.records if r.name == "worker.pipeline")
    assert "Retrying" in first.getMessage(), "the last write met the outage and waited"
    assert await asyncio.wait_for(task, timeout=60) == "done"
    job = job_row(job_id)
    assert_done(job)
    assert len(media_of(job_id)) == 1


async def test_a_live_worker_requeues_a_job_it_is_not_running():
    """A job left active with a live worker's id (its last write was lost) goes back to the queue;
    the job that worker does run stays."""
    lost, kept = new_job("https://example.com/lost"), new_job("https://example.com/kept")
    with session_scope() as db:
        heartbeat.beat(db, "live:1:abc")
        for job_id in (lost, kept):
            jobs.claim(db, job_id, "live:1:abc")
            jobs.transition(db, job_id, JobStatus.processing)
    pool = await get_pool()
    assert await reconcile(pool) == 0, "the worker is alive: reconcile alone leaves both"
    assert await requeue_abandoned(pool, "live:1:abc", running={kept}) == [lost]
    assert job_row(lost).status == JobStatus.queued and job_row(lost).worker_id is None
    assert await _queue_holds(pool, job_row(lost).arq_job_id)
    assert job_row(kept).status == JobStatus.processing


# -- cancel and timeout stop finalise ----------------------------------------------------------


def hold_publishing(monkeypatch: pytest.MonkeyPatch, release, *, after_the_move: bool = False) -> threading.Event:
    """Publishing waits (in its thread) until ``release(guard)``: before it starts, or right after
    the file moved into final/ (when the thumbnail follows it). Returns an event set on entry."""
    entered, guards = threading.Event(), []
    real_publish, real_thumbnail = finalise.publish, thumbnails.publish

    def wait() -> None:
        entered.set()
        wait_for(lambda: release(guards[-1] if guards else None), 60, interval=0.02, message="never let go")

    def held_publish(*args, **kwargs):
        guards.append(kwargs.get("guard"))
        if not after_the_move:
            wait()
        return real_publish(*args, **kwargs)

    def held_thumbnail(*args, **kwargs):
        wait()
        return real_thumbnail(*args, **kwargs)

    monkeypatch.setattr(finalise, "publish", held_publish)
    if after_the_move:
        monkeypatch.setattr(thumbnails, "publish", held_thumbnail)
    return entered


async def test_cancel_during_finalise_publishes_nothing(server, monkeypatch):
    job_id = new_job(server.url("/img/green.png"))
    entered = hold_publishing(monkeypatch, lambda guard: job_row(job_id).status == JobStatus.cancelled)
    task = asyncio.create_task(download({"worker_id": "worker-1"}, job_id))
    await wait_for_async(entered.is_set)
    cancel(job_id)
    assert await asyncio.wait_for(task, timeout=30) == "cancelled"
    assert job_row(job_id).status == JobStatus.cancelled
    assert nothing_published()


async def test_timeout_during_finalise_publishes_nothing(server, monkeypatch):
    monkeypatch.setenv("MF_JOB_TIMEOUT", "4")
    get_settings.cache_clear()
    job_id = new_job(server.url("/img/blue.webp"))

    def stopped(guard) -> bool:
        return (guard is not None and guard.stop.is_set()) or job_row(job_id).status.is_final

    entered = hold_publishing(monkeypatch, stopped, after_the_move=True)
    try:
        assert await asyncio.wait_for(download({"worker_id": "worker-1"}, job_id), timeout=60) == "failed"
    finally:
        monkeypatch.delenv("MF_JOB_TIMEOUT")
        get_settings.cache_clear()
    assert entered.is_set(), "the timeout must strike while the file is in final/ and not committed"
    assert job_row(job_id).error_message.startswith("The download took longer than this server's limit")
    assert nothing_published()


# -- every ffmpeg run has a time limit ---------------------------------------------------------


@pytest.fixture
def tiny_ffmpeg_timeout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MF_FFMPEG_TIMEOUT", "0.001")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("MF_FFMPEG_TIMEOUT")
    get_settings.cache_clear()


def clip(server) -> Path:
    return server.root / "media" / "clip.mp4"


def test_inspect_is_killed_at_its_timeout(server, tiny_ffmpeg_timeout):
    with pytest.raises(ffmpeg.FfmpegTimeout):
        ffmpeg.inspect(clip(server))


def test_the_content_check_is_killed_at_its_timeout(server, tiny_ffmpeg_timeout):
    with pytest.raises(PipelineError, match="did not finish"):
        identify(clip(server))


def test_a_thumbnail_is_given_up_at_its_timeout(server, tiny_ffmpeg_timeout, tmp_path):
    target = tmp_path / "thumb.webp"
    assert thumbnails.make(clip(server), MediaKind.video, None, target) is False
    assert not target.exists()


def test_making_a_video_playable_is_killed_at_its_timeout(server, tiny_ffmpeg_timeout, tmp_path):
    copy = shutil.copy(server.root / "media" / "vp9.webm", tmp_path / "vp9.webm")
    with pytest.raises(ffmpeg.FfmpegTimeout):
        make_playable(Path(copy))


def ffmpeg_reading(path: Path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if str(path) in (p.info["cmdline"] or [])]


def test_ffmpeg_hanging_on_its_input_is_killed(tmp_path, monkeypatch):
    """A FIFO nobody writes to: ffmpeg waits on it forever unless it is killed."""
    monkeypatch.setenv("MF_FFMPEG_TIMEOUT", "1")
    get_settings.cache_clear()
    fifo = tmp_path / "stalled.mp4"
    os.mkfifo(fifo)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            inspecting = pool.submit(ffmpeg.inspect, fifo)
            try:
                with pytest.raises(ffmpeg.FfmpegTimeout):
                    inspecting.result(timeout=60)
            finally:
                if not inspecting.done():  # ffmpeg would wait forever: end its wait so the test can report
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        assert ffmpeg_reading(fifo) == []
    finally:
        monkeypatch.delenv("MF_FFMPEG_TIMEOUT")
        get_settings.cache_clear()


# -- Redis down at submit ----------------------------------------------------------------------


@pytest.fixture
async def redis_down(monkeypatch: pytest.MonkeyPatch):
    """The app's Redis URL points at a closed port until the test calls the returned ``restore``."""
    real = os.environ["REDIS_URL"]
    await close_pool()
    monkeypatch.setenv("REDIS_URL", CLOSED_PORT)
    get_settings.cache_clear()

    async def restore() -> None:
        await close_pool()
        os.environ["REDIS_URL"] = real
        get_settings.cache_clear()

    yield restore
    await restore()


async def test_submit_and_retry_answer_202_with_redis_down_and_reconcile_enqueues_later(redis_down):
    failed = new_job("https://example.com/failed-once")
    with session_scope() as db:
        jobs.fail(db, failed, "it failed")
    token = make_token("alice")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://mf.test") as http:
        created = await http.post("/api/v1/downloads", json={"url": "https://example.com/v/1"}, headers=bearer(token))
        retried = await http.post(f"/api/v1/downloads/{failed}/retry", headers=bearer(token))
    assert created.status_code == 202 and created.json()["status"] == "queued"
    assert retried.status_code == 202 and retried.json()["job_id"] == failed
    stored = created.json()["job_id"]
    assert job_row(stored).status == JobStatus.queued and job_row(failed).status == JobStatus.queued

    await redis_down()  # Redis is back: the worker's reconcile enqueues what the table holds
    pool = await get_pool()
    assert await reconcile(pool) == 2
    assert await _queue_holds(pool, job_row(stored).arq_job_id)
    assert await _queue_holds(pool, job_row(failed).arq_job_id)


async def test_the_add_box_is_never_left_busy(user_session, redis_down, monkeypatch):
    adder = state(AddUrlState, user_session)
    steps = await call(adder, "submit", {"url": "https://example.com/redis-is-down"})
    assert adder.busy is False and adder.url == ""
    assert "success" in str(steps[-1])
    with session_scope() as db:
        assert db.exec(select(DownloadJob.url)).all() == ["https://example.com/redis-is-down"]

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs, "create_job", broken)
    with pytest.raises(RuntimeError):
        await call(adder, "submit", {"url": "https://example.com/x"})
    assert adder.busy is False
