"""Enqueueing worker jobs (downloads, cookie and source checks), used by the API, the UI and reconcile."""

from __future__ import annotations

import asyncio
import logging

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.exceptions import RedisError

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.intake import ENQUEUE_PATIENCE_S, QueueUnavailable
from mediafetcher_app.core.queue import QUEUE_NAME, redis_url

from .coalesce import Coalescer

DOWNLOAD_FUNCTION = "download"
COOKIE_CHECK_FUNCTION = "check_cookies"
SOURCE_CHECK_FUNCTION = "check_source"

log = logging.getLogger(__name__)

_pool: ArqRedis | None = None


def redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(redis_url())


async def get_pool() -> ArqRedis:
    """One Arq pool per process, created on first use."""
    global _pool
    if _pool is None:
        _pool = await create_pool(redis_settings(), default_queue_name=QUEUE_NAME)
    return _pool


async def close_pool() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
        _pool = None


def _mark_enqueued(job_ids: list[int]) -> dict[int, str]:
    """Give each stored job its queue id, in one transaction for the whole batch."""
    with session_scope() as db:
        return jobs.mark_enqueued(db, job_ids)


# Concurrent submits mark their rows together (worker/coalesce.py; bench/INTAKE_RESULTS.md).
_marker: Coalescer[int, str] = Coalescer(_mark_enqueued, lambda job_id: LookupError(f"no download job {job_id}"))


async def enqueue(job_id: int, pool: ArqRedis | None = None) -> str:
    """Put a stored job on the queue; the queue id is derived from the row, so a second
    enqueue of the same attempt is a no-op in Arq. The row is read and marked in a worker
    thread, with those of the enqueues running at the same time: the app's event loop never
    waits on the database."""
    pool = pool or await get_pool()
    queue_id = await _marker.run(job_id)
    await pool.enqueue_job(DOWNLOAD_FUNCTION, job_id, _job_id=queue_id, _queue_name=QUEUE_NAME)
    return queue_id


async def put_download(job_id: int) -> str:
    """``enqueue`` as core/intake.py's queue port: Redis's failures become ``QueueUnavailable``,
    which the store-then-enqueue rule answers (the job stays queued; reconcile enqueues it)."""
    try:
        return await enqueue(job_id)
    except (RedisError, OSError) as exc:
        raise QueueUnavailable(repr(exc)) from exc


async def enqueue_cookie_check(site: str, owner_id: int, pool: ArqRedis | None = None) -> None:
    """Ask a worker to check ``owner_id``'s stored cookies for ``site`` (the app itself never fetches a page).

    No fixed queue id: Arq keeps a finished job's id for an hour, and a second check after a
    re-sync must run, not be dropped as a duplicate.
    """
    pool = pool or await get_pool()
    await pool.enqueue_job(COOKIE_CHECK_FUNCTION, site, owner_id, _queue_name=QUEUE_NAME)


async def enqueue_source_check(sub_id: int, pool: ArqRedis | None = None) -> None:
    """Ask a worker to check a subscription. No fixed queue id: the check itself holds the row,
    so a duplicate is skipped by the worker, and a finished check must not block the next one."""
    pool = pool or await get_pool()
    await pool.enqueue_job(SOURCE_CHECK_FUNCTION, sub_id, _queue_name=QUEUE_NAME)


async def request_source_check(sub_id: int) -> bool:
    """``enqueue_source_check`` for the app: when Redis does not answer (soon), the source stays
    due in PostgreSQL and the scheduler's next run checks it. Returns whether it is queued now."""
    try:
        async with asyncio.timeout(ENQUEUE_PATIENCE_S):
            await enqueue_source_check(sub_id)
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("source %s is due but Redis did not take its check (the scheduler will): %r", sub_id, exc)
        return False
    return True
