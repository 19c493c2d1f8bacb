"""Store, then enqueue: the one way a download reaches the queue (docs/ARCHITECTURE.md §1).

Every path that queues a download (the API's submit, batch and retry, the add box, the dashboard's
retry, the share sheet, a source's new items) goes through ``store_then_enqueue``, so the rule is
kept here once:

- the row is committed before the queue hears of it: PostgreSQL is the truth, and a worker never
  takes a job whose row it cannot read yet;
- a queue that fails, or does not answer within ``ENQUEUE_PATIENCE_S``, never fails the request:
  the job stays queued in the table and the worker's reconcile enqueues it later;
- enqueueing twice is harmless: the queue id comes from the row (``jobs.arq_job_id``), so the
  queue drops a second copy of the same attempt.

The queue is a port the caller passes in (``Enqueue``, in practice ``worker.client.put_download``):
core imports no queue library. ``Runner`` is how the caller runs work as its principal in one
transaction (a guarded event's ``caller.run``, the API's ``in_db``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

from sqlmodel import Session as DBSession

from . import jobs
from .auth import Principal

T = TypeVar("T")
Enqueue = Callable[[int], Awaitable[object]]
ENQUEUE_PATIENCE_S = 3.0  # a request waits this long for the queue at most; reconcile enqueues later

log = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The queue did not take a job: its client's failure, named for the domain."""


class Runner(Protocol):
    """Runs ``work(db, who)`` as the caller in one transaction, committed when it returns."""

    def __call__(self, work: Callable[[DBSession, Principal], T], /) -> Awaitable[T]: ...


async def enqueue_all(enqueue: Enqueue, job_ids: Iterable[int]) -> int:
    """Put committed jobs on the queue; returns how many it took now (the others wait for reconcile)."""
    taken = 0
    for job_id in job_ids:
        try:
            async with asyncio.timeout(ENQUEUE_PATIENCE_S):
                await enqueue(job_id)
        except (QueueUnavailable, TimeoutError) as exc:
            log.warning("job %s is stored but the queue did not take it (reconcile will): %r", job_id, exc)
            continue
        taken += 1
    return taken


async def store_then_enqueue(stored: Awaitable[T], job_ids: Callable[[T], Iterable[int]], enqueue: Enqueue) -> T:
    """Await ``stored`` (a transaction that commits jobs), then enqueue the jobs ``job_ids`` names
    in its result; the result is returned whether or not the queue took them."""
    result = await stored
    await enqueue_all(enqueue, job_ids(result))
    return result


def batch_job_ids(lines: list[jobs.BatchLine]) -> list[int]:
    """The jobs a batch stored (its refused lines have none)."""
    return [line.job_id for line in lines if line.job_id is not None]


def _one(job: jobs.DownloadJob) -> int:
    assert job.id is not None
    return job.id


async def submit(
    run: Runner,
    enqueue: Enqueue,
    raw_url: object,
    *,
    folder_id: int | None = None,
    audio_only: bool = False,
    max_items: int | None = None,
    preset: str | None = None,
) -> int:
    """A new download (``jobs.create_job``), stored then enqueued; its job id."""
    return await store_then_enqueue(
        run(lambda db, who: _one(jobs.create_job(db, who, raw_url, folder_id, audio_only, max_items, preset))),
        lambda job_id: [job_id],
        enqueue,
    )


async def submit_many(
    run: Runner,
    enqueue: Enqueue,
    raw_urls: list[object],
    *,
    folder_id: int | None = None,
    audio_only: bool = False,
    preset: str | None = None,
) -> list[jobs.BatchLine]:
    """A batch (``jobs.create_many``), stored then enqueued; each link's job id or refusal."""
    return await store_then_enqueue(
        run(lambda db, who: jobs.create_many(db, who, raw_urls, folder_id, audio_only, preset)),
        batch_job_ids,
        enqueue,
    )


async def retry(run: Runner, enqueue: Enqueue, job_id: int) -> int:
    """A failed or cancelled download queued again (``jobs.prepare_retry``), then enqueued."""
    return await store_then_enqueue(
        run(lambda db, who: _one(jobs.prepare_retry(db, who, job_id))), lambda retried: [retried], enqueue
    )
