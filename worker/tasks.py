"""The Arq job functions. Each one works from the job row, never from the queue's payload alone."""

from __future__ import annotations

import logging
from typing import Any

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob

from .pipeline import in_thread, run_job

log = logging.getLogger(__name__)

# Download jobs this worker process runs now: a job the table gives this worker but that is not
# here lost its run (reconcile.requeue_abandoned). Added before the claim, removed after the end.
running: set[int] = set()


async def download(ctx: dict[str, Any], job_id: int) -> str:
    """Take the job (skipped unless it is still queued) and run the pipeline to its end state."""
    if job_id in running:
        log.info("job %s already runs in this worker; skipping", job_id)
        return "skipped"
    running.add(job_id)
    try:
        job = await in_thread(_claim, job_id, ctx["worker_id"])
        if job is None:
            log.info("job %s is no longer queued; skipping", job_id)
            return "skipped"
        return await run_job(job)
    finally:
        running.discard(job_id)


def _claim(job_id: int, worker_id: str) -> DownloadJob | None:
    with session_scope() as db:
        return jobs.claim(db, job_id, worker_id)
