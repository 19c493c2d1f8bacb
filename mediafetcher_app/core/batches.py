"""Links queued together: a paste of many, or the new items of one source check.

The dashboard shows each batch like one download: what was found, queued and skipped, and how
far its jobs have got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from .auth import Principal
from .models import ACTIVE_STATUSES, DownloadBatch, DownloadJob, JobStatus, utcnow

RECENT = timedelta(days=1)


def record(db: DBSession, owner_id: int, label: str, found: int, job_ids: list[int]) -> DownloadBatch:
    """Store the batch and tie its jobs to it; what was found but not queued counts as skipped."""
    batch = DownloadBatch(
        owner_id=owner_id, label=label[:255], found=found, queued=len(job_ids), skipped=found - len(job_ids)
    )
    db.add(batch)
    db.flush()
    for job_id in job_ids:
        job = db.get(DownloadJob, job_id)
        if job is not None:
            job.batch_id = batch.id
            db.add(job)
    db.flush()
    return batch


@dataclass(frozen=True)
class BatchProgress:
    id: int
    label: str
    found: int
    queued: int
    skipped: int
    done: int
    failed: int
    active: int

    @property
    def percent(self) -> float:
        return round(100.0 * (self.done + self.failed) / self.queued, 1) if self.queued else 100.0


def recent(db: DBSession, who: Principal, limit: int = 5) -> list[BatchProgress]:
    """The caller's batches of the last day (an admin's: everyone's), newest first, with how many
    of their jobs are done, failed or still on their way."""
    query = select(DownloadBatch).where(col(DownloadBatch.created_at) > utcnow() - RECENT)
    if not who.is_admin:
        query = query.where(DownloadBatch.owner_id == who.user_id)
    shown = list(db.exec(query.order_by(col(DownloadBatch.id).desc()).limit(limit)).all())
    ids = [batch.id for batch in shown]
    counts: dict[tuple[int, JobStatus], int] = {}
    if ids:
        rows = db.exec(
            select(DownloadJob.batch_id, DownloadJob.status, func.count())
            .where(col(DownloadJob.batch_id).in_(ids))
            .group_by(DownloadJob.batch_id, DownloadJob.status)
        ).all()
        counts = {(batch_id, status): count for batch_id, status, count in rows if batch_id is not None}
    result = []
    for batch in shown:
        assert batch.id is not None
        of = {status: counts.get((batch.id, status), 0) for status in JobStatus}
        result.append(
            BatchProgress(
                id=batch.id,
                label=batch.label,
                found=batch.found,
                queued=batch.queued,
                skipped=batch.skipped,
                done=of[JobStatus.done],
                failed=of[JobStatus.failed] + of[JobStatus.cancelled],
                active=sum(of[status] for status in ACTIVE_STATUSES),
            )
        )
    return result
