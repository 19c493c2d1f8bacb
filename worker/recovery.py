"""Crash leftovers (DESIGN.md §4): tmp dirs of jobs no live worker runs, files without rows."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from mediafetcher_app.core import library, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, JobStatus

from . import heartbeat
from .finalise import index_file

log = logging.getLogger(__name__)
RUNNING = (JobStatus.probing, JobStatus.downloading, JobStatus.processing)


def sweep_tmp() -> int:
    """Remove ``tmp/<job>/`` unless a live worker is running that job; returns how many went."""
    with session_scope() as db:
        live = heartbeat.live_worker_ids(db)
        running = db.exec(select(DownloadJob.id, DownloadJob.worker_id).where(col(DownloadJob.status).in_(RUNNING)))
        kept = {job_id for job_id, worker_id in running if worker_id in live}
    removed = 0
    for job_id in storage.tmp_job_ids():
        if job_id not in kept:
            storage.remove_job_tmp_dir(job_id)
            removed += 1
    if removed:
        log.info("removed %d tmp dir(s) of jobs no worker runs", removed)
    return removed


def reindex_final() -> int:
    """Give every file in ``final/`` without a row its Media row back (never delete it)."""
    with session_scope() as db:
        known = library.known_shas(db)
    orphans = {sha: path for sha, path in storage.final_files().items() if sha not in known}
    for sha, path in orphans.items():
        log.warning("re-indexing %s: it has no media row", path.name)
        index_file(path, sha)
    return len(orphans)
