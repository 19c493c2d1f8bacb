"""Bring the queue back in line with PostgreSQL, the truth (docs/ARCHITECTURE.md §1, §4).

- Running jobs whose worker stopped beating go back to ``queued`` and are enqueued under a fresh
  queue id (the dead worker's Arq job stays locked in Redis until its timeout runs out); a job
  that stopped its worker MF_MAX_JOB_ATTEMPTS times fails instead.
- Running jobs of a live worker that does not run them (its last write was lost while the
  database was down) go back to the queue too; only that worker knows, so it asks itself.
- ``queued`` jobs that Redis does not hold (flushed, lost, never enqueued) are enqueued again.
"""

from __future__ import annotations

import logging

from arq import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import JobStatus
from mediafetcher_app.core.settings import get_settings

from . import heartbeat
from .client import enqueue

log = logging.getLogger(__name__)


async def _queue_holds(pool: ArqRedis, queue_id: str | None) -> bool:
    if not queue_id:
        return False
    return bool(await pool.exists(job_key_prefix + queue_id, in_progress_key_prefix + queue_id))


async def reconcile(pool: ArqRedis) -> int:
    """Returns how many jobs were (re-)enqueued."""
    max_attempts = get_settings().max_job_attempts
    with session_scope() as db:
        live = heartbeat.live_worker_ids(db)
        orphans = set()
        for job in jobs.orphaned(db, live, grace=heartbeat.stale_after()):
            log.warning("job %s lost its worker %s", job.id, job.worker_id)
            if jobs.worker_lost(db, job, max_attempts):
                orphans.add(job.id)
        queued = [(job.id, job.arq_job_id) for job in jobs.unfinished(db) if job.status == JobStatus.queued]
    enqueued = 0
    for job_id, queue_id in queued:
        if job_id in orphans or not await _queue_holds(pool, queue_id):
            assert job_id is not None
            await enqueue(job_id, pool)
            enqueued += 1
    if enqueued:
        log.info("reconcile enqueued %d job(s) the queue did not hold", enqueued)
    return enqueued


async def requeue_abandoned(pool: ArqRedis, worker_id: str, running: set[int]) -> list[int]:
    """Re-queue and enqueue the jobs the table gives ``worker_id`` that it does not run (``running``
    is read after the query, in the same step of the event loop); returns their ids. Each counts
    as a lost run towards MF_MAX_JOB_ATTEMPTS: a last write that fails for good must not loop."""
    max_attempts = get_settings().max_job_attempts
    with session_scope() as db:
        requeued = [job.id for job in jobs.abandoned(db, worker_id, running) if jobs.worker_lost(db, job, max_attempts)]
    for job_id in requeued:
        assert job_id is not None
        log.warning("job %s was marked as running here but is not; re-queued", job_id)
        await enqueue(job_id, pool)
    return [job_id for job_id in requeued if job_id is not None]
