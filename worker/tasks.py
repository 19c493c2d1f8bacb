"""The Arq job functions. Each one works from the job row, never from the queue's payload alone."""

from __future__ import annotations

import logging
from typing import Any

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope

log = logging.getLogger(__name__)

NOT_IMPLEMENTED = "Downloading is not available on this server yet."


async def download(ctx: dict[str, Any], job_id: int) -> str:
    """Take the job and run it; the pipeline replaces the 'not implemented' ending."""
    with session_scope() as db:
        job = jobs.claim(db, job_id, ctx["worker_id"])
    if job is None:
        log.info("job %s is no longer queued; skipping", job_id)
        return "skipped"
    with session_scope() as db:
        jobs.fail(db, job_id, NOT_IMPLEMENTED, "The download pipeline is not installed in this build.")
    return "failed"
