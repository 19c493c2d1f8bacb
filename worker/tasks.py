"""The Arq job functions. Each one works from the job row, never from the queue's payload alone."""

from __future__ import annotations

import logging
from typing import Any

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope

from .pipeline import run_job

log = logging.getLogger(__name__)


async def download(ctx: dict[str, Any], job_id: int) -> str:
    """Take the job (skipped unless it is still queued) and run the pipeline to its end state."""
    with session_scope() as db:
        job = jobs.claim(db, job_id, ctx["worker_id"])
    if job is None:
        log.info("job %s is no longer queued; skipping", job_id)
        return "skipped"
    return await run_job(job)
