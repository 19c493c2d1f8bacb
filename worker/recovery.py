"""Crash leftovers (docs/ARCHITECTURE.md §4): tmp dirs of jobs no live worker runs, files without rows, and
files of deleted media that a failed removal left behind."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from mediafetcher_app.core import media_records, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.folders_tags import remove_files
from mediafetcher_app.core.jobs import RUNNING_STATUSES
from mediafetcher_app.core.models import DownloadJob

from . import heartbeat
from .errors import PipelineError
from .finalise import index_file

log = logging.getLogger(__name__)


def sweep_tmp() -> int:
    """Remove ``tmp/<job>/`` unless a live worker is running that job; returns how many went."""
    with session_scope() as db:
        live = heartbeat.live_worker_ids(db)
        running = db.exec(
            select(DownloadJob.id, DownloadJob.worker_id).where(col(DownloadJob.status).in_(RUNNING_STATUSES))
        )
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
    """Give every file in ``final/`` without a row its Media row back (never delete it), unless its
    bytes were deleted (tombstone: ``sweep_deleted`` removes it) or are no media at all."""
    with session_scope() as db:
        known = media_records.known_shas(db) | media_records.tombstoned_shas(db)
    orphans = {sha: path for sha, path in storage.final_files().items() if sha not in known}
    indexed = 0
    for sha, path in orphans.items():
        log.warning("re-indexing %s: it has no media row", path.name)
        try:
            indexed += index_file(path, sha) is not None
        except PipelineError as error:
            log.warning("%s is left alone: %s", path.name, error)
    return indexed


def sweep_deleted() -> int:
    """Remove the files of deleted media (tombstoned hashes) still on disk; returns how many hashes
    had some. Each hash is locked and checked again: a user downloading it anew wins."""
    with session_scope() as db:
        tombstoned = media_records.tombstoned_shas(db)
    leftovers = (set(storage.final_files()) | set(storage.thumb_files())) & tombstoned
    for sha in leftovers:
        with session_scope() as db:
            media_records.lock_sha(db, sha)
            if media_records.is_tombstoned(db, sha) and media_records.media_by_sha(db, sha) is None:
                log.warning("removing the files of deleted media %s", sha)
                remove_files([sha])
    return len(leftovers)
