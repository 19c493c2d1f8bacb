"""The Arq job functions. Each one works from the job row, never from the queue's payload alone."""

from __future__ import annotations

import logging
from typing import Any

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope

from .pipeline import run_job

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
        with session_scope() as db:
            job = jobs.claim(db, job_id, ctx["worker_id"])
        if job is None:
            log.info("job %s is no longer queued; skipping", job_id)
            return "skipped"
        return await run_job(job)
    finally:
        running.discard(job_id)
