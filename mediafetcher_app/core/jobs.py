"""Download jobs: the row is written first, the queue is told second (PostgreSQL is the truth).

State changes go through ``transition`` so every path (worker, cancel, reconcile) keeps
timestamps and ``updated_at`` (which the broadcaster polls) consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import events
from .auth import Principal, Scope
from .egress_policy import EgressRefused
from .errors import Conflict, InvalidInput, NotFound
from .models import ACTIVE_STATUSES, DownloadJob, Folder, JobMedia, JobStatus, utcnow
from .urls import check_destination, validate_url


@dataclass(frozen=True)
class JobView:
    """What clients see of a job (API and UI)."""

    id: int
    url: str
    audio_only: bool
    status: str
    stage: str | None
    progress_bytes: int | None
    progress_total: int | None
    percent: float | None
    speed_bps: float | None
    eta_s: float | None
    attempts: int
    engine: str | None
    error: dict[str, str] | None
    media_ids: list[int]
    created_at: str
    started_at: str | None
    finished_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def view(job: DownloadJob, media_ids: list[int]) -> JobView:
    assert job.id is not None
    percent = None
    if job.progress_total and job.progress_bytes is not None:
        percent = round(min(100.0, 100.0 * job.progress_bytes / job.progress_total), 1)
    if job.status == JobStatus.done:
        percent = 100.0
    error = {"message": job.error_message, "detail": job.error_detail or ""} if job.error_message else None
    return JobView(
        id=job.id,
        url=job.url,
        audio_only=job.audio_only,
        status=job.status.value,
        stage=job.stage,
        progress_bytes=job.progress_bytes,
        progress_total=job.progress_total,
        percent=percent,
        speed_bps=job.speed_bps,
        eta_s=job.eta_s,
        attempts=job.attempts,
        engine=job.engine,
        error=error,
        media_ids=media_ids,
        created_at=job.created_at.isoformat(),
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
    )


def media_ids_of(db: DBSession, job_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        rows = db.exec(select(JobMedia).where(col(JobMedia.job_id).in_(job_ids)).order_by(JobMedia.media_id))
        for link in rows:
            found[link.job_id].append(link.media_id)  # type: ignore[index, arg-type]
    return found


def create_job(
    db: DBSession, principal: Principal, raw_url: object, folder_id: int | None = None, audio_only: bool = False
) -> DownloadJob:
    """Validate and store a new job (status queued). The caller enqueues it after commit.

    ``audio_only`` asks for the sound of the link (MP3), whatever the page holds."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    url = validate_url(raw_url)
    try:
        check_destination(url)
    except EgressRefused as exc:
        raise InvalidInput(exc.message, code="blocked_url") from exc
    if folder_id is not None and db.get(Folder, folder_id) is None:
        raise InvalidInput(f"There is no folder with id {folder_id}.", code="invalid_folder")
    job = DownloadJob(url=url, requested_by=principal.user_id, folder_id=folder_id, audio_only=audio_only)
    db.add(job)
    db.flush()
    events.record(db, "added", f"Added {url}", user_id=principal.user_id, job_id=job.id)
    return job


def get_job(db: DBSession, principal: Principal, job_id: int) -> DownloadJob:
    """A job its requester (or an admin) may see; others get NotFound, not a hint that it exists."""
    principal.require_scope(Scope.DOWNLOADS_READ)
    job = db.get(DownloadJob, job_id)
    if job is None or (job.requested_by != principal.user_id and not principal.is_admin):
        raise NotFound(f"No download with id {job_id}.")
    return job


def list_jobs(db: DBSession, principal: Principal, limit: int = 50, active_only: bool = False) -> list[DownloadJob]:
    principal.require_scope(Scope.DOWNLOADS_READ)
    query = select(DownloadJob).order_by(col(DownloadJob.id).desc()).limit(limit)
    if not principal.is_admin:
        query = query.where(DownloadJob.requested_by == principal.user_id)
    if active_only:
        query = query.where(col(DownloadJob.status).in_(ACTIVE_STATUSES))
    return list(db.exec(query).all())


def transition(db: DBSession, job_id: int, status: JobStatus, **fields: Any) -> bool:
    """Move a job to ``status`` unless it already ended; returns False when it had ended.

    Cancelled and finished jobs never come back to life through a late worker write.
    """
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now, **fields}
    if status == JobStatus.probing:
        values.setdefault("started_at", now)
    if status.is_final:
        values.setdefault("finished_at", now)
    result = db.exec(  # type: ignore[call-overload]
        update(DownloadJob)
        .where(col(DownloadJob.id) == job_id, col(DownloadJob.status).in_(ACTIVE_STATUSES))
        .values(**values)
    )
    return result.rowcount == 1


def fail(db: DBSession, job_id: int, message: str, detail: str = "") -> bool:
    ok = transition(db, job_id, JobStatus.failed, error_message=message, error_detail=detail, stage=None)
    if ok:
        events.record(db, "failed", message, job_id=job_id)
    return ok


def request_cancel(db: DBSession, principal: Principal, job_id: int) -> DownloadJob:
    job = get_job(db, principal, job_id)
    if not job.status.is_active:
        raise Conflict(f"This download already ended ({job.status.value}).")
    transition(db, job_id, JobStatus.cancelled, stage=None)
    events.record(db, "cancelled", f"Cancelled {job.url}", user_id=principal.user_id, job_id=job_id)
    db.refresh(job)
    return job


def prepare_retry(db: DBSession, principal: Principal, job_id: int) -> DownloadJob:
    """Reset a failed or cancelled job to queued; the caller enqueues it again."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    job = get_job(db, principal, job_id)
    if job.status not in (JobStatus.failed, JobStatus.cancelled):
        raise Conflict("Only a failed or cancelled download can be retried.")
    job.status = JobStatus.queued
    job.error_message = job.error_detail = job.stage = None
    job.progress_bytes = job.progress_total = None
    job.started_at = job.finished_at = None
    job.updated_at = utcnow()
    db.add(job)
    events.record(db, "retried", f"Retrying {job.url}", user_id=principal.user_id, job_id=job_id)
    return job


def arq_job_id(job: DownloadJob) -> str:
    """A fresh queue id per attempt, so a retry is never swallowed by Arq's result cache."""
    return f"download:{job.id}:{job.attempts}:{int(job.updated_at.timestamp() * 1000)}"


def mark_enqueued(db: DBSession, job_id: int, queue_id: str) -> None:
    db.exec(  # type: ignore[call-overload]
        update(DownloadJob).where(col(DownloadJob.id) == job_id).values(arq_job_id=queue_id)
    )


def claim(db: DBSession, job_id: int, worker_id: str) -> DownloadJob | None:
    """The worker takes a queued job (status -> probing); None if it is gone or already ended."""
    job = db.get(DownloadJob, job_id, with_for_update=True)
    if job is None or job.status != JobStatus.queued:
        return None
    transition(db, job_id, JobStatus.probing, worker_id=worker_id, attempts=job.attempts + 1, stage="probing")
    db.refresh(job)
    return job


def unfinished(db: DBSession) -> list[DownloadJob]:
    return list(db.exec(select(DownloadJob).where(col(DownloadJob.status).in_(ACTIVE_STATUSES))).all())


def orphaned(db: DBSession, live_workers: set[str], grace: timedelta) -> list[DownloadJob]:
    """Running jobs whose worker stopped beating: they go back to the queue."""
    cutoff = utcnow() - grace
    query = select(DownloadJob).where(
        col(DownloadJob.status).in_([JobStatus.probing, JobStatus.downloading, JobStatus.processing]),
        DownloadJob.updated_at < cutoff,
    )
    return [job for job in db.exec(query).all() if job.worker_id not in live_workers]


def requeue(db: DBSession, job: DownloadJob, reason: str) -> None:
    assert job.id is not None
    job.status = JobStatus.queued
    job.stage = None
    job.worker_id = None
    job.updated_at = utcnow()
    db.add(job)
    events.record(db, "requeued", reason, job_id=job.id)
