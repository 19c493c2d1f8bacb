"""Download jobs: the row is written first, the queue is told second (PostgreSQL is the truth).

State changes go through ``transition`` so every path (worker, cancel, reconcile) keeps
timestamps and ``updated_at`` (which the broadcaster polls) consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, cast, func, update
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import batches, events, presets
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
    preset: str
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
    error = None
    if job.error_message:
        error = {"message": job.error_message, "detail": job.error_detail or "", "action": job.error_action or ""}
    return JobView(
        id=job.id,
        url=job.url,
        audio_only=job.audio_only,
        preset=job.preset,
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


def chosen_preset(db: DBSession, principal: Principal, preset: object) -> str:
    """``preset`` when given (checked), else the user's default from Settings."""
    return presets.checked(preset) if preset is not None else presets.default_of(db, principal)


MAX_BATCH = 500  # links in one batch (a long paste or .txt file), and items of one playlist download


def create_job(
    db: DBSession,
    principal: Principal,
    raw_url: object,
    folder_id: int | None = None,
    audio_only: bool = False,
    max_items: int | None = None,
    preset: str | None = None,
) -> DownloadJob:
    """Validate and store a new job (status queued). core/intake.py enqueues it after commit.

    ``audio_only`` asks for the sound of the link (MP3), whatever the page holds, as does the
    ``preset`` "audio"; no preset: the requester's default. ``max_items`` takes only the first N
    items of a playlist or channel."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    preset = presets.AUDIO if audio_only else chosen_preset(db, principal, preset)
    if max_items is not None and not 1 <= max_items <= MAX_BATCH:
        raise InvalidInput(f"Take from 1 to {MAX_BATCH} items of a playlist or channel.", code="invalid_max_items")
    url = validate_url(raw_url)
    try:
        check_destination(url)
    except EgressRefused as exc:
        raise InvalidInput(exc.message, code="blocked_url") from exc
    if folder_id is not None and db.get(Folder, folder_id) is None:
        raise InvalidInput(f"There is no folder with id {folder_id}.", code="invalid_folder")
    job = DownloadJob(
        url=url,
        requested_by=principal.user_id,
        folder_id=folder_id,
        audio_only=preset == presets.AUDIO,
        preset=preset,
        max_items=max_items,
    )
    db.add(job)
    db.flush()
    events.record(db, "added", f"Added {url}", user_id=principal.user_id, job_id=job.id)
    return job


@dataclass(frozen=True)
class BatchLine:
    """One link of a batch: its job, or why it was refused (the other lines are queued anyway)."""

    url: str
    job_id: int | None = None
    error: str | None = None


def links_in(text: str) -> list[str]:
    """The links of a multi-line paste or a .txt file: one a line, blanks and ``#`` comments
    skipped, each link once (the first time it appears)."""
    lines = (line.strip() for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def create_many(
    db: DBSession,
    principal: Principal,
    raw_urls: list[object],
    folder_id: int | None = None,
    audio_only: bool = False,
    preset: str | None = None,
) -> list[BatchLine]:
    """A job per link, each in its own savepoint: a refused link loses nothing of the others.
    core/intake.py enqueues the jobs after commit."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    if not raw_urls:
        raise InvalidInput("Send at least one link.", code="invalid_urls")
    if len(raw_urls) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} links at once; this batch has {len(raw_urls)}.", code="invalid_urls")
    preset = presets.AUDIO if audio_only else chosen_preset(db, principal, preset)  # a bad choice refuses all
    lines = []
    for raw in raw_urls:
        shown = raw.strip() if isinstance(raw, str) else repr(raw)
        try:
            with db.begin_nested():
                job = create_job(db, principal, raw, folder_id, preset=preset)
            lines.append(BatchLine(shown, job_id=job.id))
        except InvalidInput as refused:
            lines.append(BatchLine(shown, error=refused.message))
    job_ids = [line.job_id for line in lines if line.job_id is not None]
    if job_ids:
        batches.record(db, principal.user_id, f"{len(lines)} links", len(lines), job_ids)
    return lines


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


@dataclass(frozen=True)
class Owner:
    """The worker running a job, and which of the job's attempts (``attempts`` after its claim).

    Every worker write carries it: once the job was re-queued and claimed again (by another worker,
    or by the same one later), the old run's writes match no row and change nothing.
    """

    worker_id: str | None
    attempt: int


RUNNING_STATUSES = (JobStatus.probing, JobStatus.downloading, JobStatus.processing)
WORKER_LOST, RETRIED = "worker lost", "retried"  # attempt_log stages written outside the pipeline


def _db_now() -> Any:
    """Timestamps on job rows come from the database's clock: a worker host with a skewed clock
    must not make a job look fresh or stale (reconcile compares them with ``now()``)."""
    return func.clock_timestamp()


def _selected(job_id: int, owner: Owner | None) -> list[Any]:
    if owner is None:
        return [col(DownloadJob.id) == job_id, col(DownloadJob.status).in_(ACTIVE_STATUSES)]
    return [
        col(DownloadJob.id) == job_id,
        col(DownloadJob.status).in_(RUNNING_STATUSES),
        col(DownloadJob.worker_id).is_not_distinct_from(owner.worker_id),
        col(DownloadJob.attempts) == owner.attempt,
    ]


def transition(db: DBSession, job_id: int, status: JobStatus, *, owner: Owner | None = None, **fields: Any) -> bool:
    """Move a job to ``status`` unless it already ended; returns False when it had ended.

    Cancelled and finished jobs never come back to life through a late worker write. With
    ``owner`` (every write of a worker, and reconcile's writes on a dead worker's job) the row
    must also still be that worker's running attempt.
    """
    values = _moved_to(status, fields)
    result = db.exec(update(DownloadJob).where(*_selected(job_id, owner)).values(**values))  # type: ignore[call-overload]
    return result.rowcount == 1


def _moved_to(status: JobStatus, fields: dict[str, Any]) -> dict[str, Any]:
    """The row's new values for a move to ``status``: the database's now as its update time, and
    as its start (probing) or end (a final status) unless ``fields`` give one."""
    now = _db_now()
    values: dict[str, Any] = {"status": status, "updated_at": now, **fields}
    if status == JobStatus.probing:
        values.setdefault("started_at", now)
    if status.is_final:
        values.setdefault("finished_at", now)
    return values


def is_running(db: DBSession, job_id: int, owner: Owner) -> bool:
    """Whether the job is still ``owner``'s running attempt (not cancelled, not re-queued)."""
    return db.exec(select(DownloadJob.id).where(*_selected(job_id, owner))).first() is not None


def hold(db: DBSession, job_id: int, owner: Owner) -> bool:
    """Lock the job row until this transaction ends, if it is still ``owner``'s running attempt.

    What the transaction then publishes belongs to a job nobody can cancel or re-queue meanwhile:
    a cancel waits for the commit, or came first and this returns False.
    """
    query = select(DownloadJob.id).where(*_selected(job_id, owner)).with_for_update()
    return db.exec(query).first() is not None


def fail(
    db: DBSession,
    job_id: int,
    message: str,
    detail: str = "",
    *,
    owner: Owner | None = None,
    action: str = "",
    **fields: Any,
) -> bool:
    """Mark the job failed with its sentence, the engine's words and the page that fixes it."""
    errors = {"error_message": message, "error_detail": detail, "error_action": action or None}
    ok = transition(db, job_id, JobStatus.failed, owner=owner, stage=None, **errors, **fields)
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
    """Reset a failed or cancelled job to queued; core/intake.py enqueues it again."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    job = get_job(db, principal, job_id)
    if job.status not in (JobStatus.failed, JobStatus.cancelled):
        raise Conflict("Only a failed or cancelled download can be retried.")
    job.status = JobStatus.queued
    job.error_message = job.error_detail = job.error_action = job.stage = None
    job.progress_bytes = job.progress_total = None
    job.started_at = job.finished_at = None
    job.updated_at = _db_now()
    # a fresh start for MF_MAX_JOB_ATTEMPTS: the crashes counted are those after this entry
    job.attempt_log = [*job.attempt_log, {"stage": RETRIED, "at": utcnow().isoformat(), "ok": True}]
    db.add(job)
    events.record(db, "retried", f"Retrying {job.url}", user_id=principal.user_id, job_id=job_id)
    db.flush()
    db.refresh(job)
    return job


def mark_enqueued(db: DBSession, job_ids: list[int]) -> dict[int, str]:
    """Give each job a queue id for its current attempt, stored on the row (reconcile asks the
    queue for it), in one statement for them all; returns them (a job that is gone has none).

    The id is fresh per attempt (a retry moves ``attempts`` and ``updated_at``), so a retry is
    never swallowed by Arq's result cache, and a second enqueue of one attempt is a no-op. The rows
    are locked in id order: two batches that share jobs (a submit's and reconcile's) cannot deadlock."""
    locked = select(DownloadJob.id).where(col(DownloadJob.id).in_(job_ids)).order_by(col(DownloadJob.id))
    millis = func.floor(func.extract("epoch", DownloadJob.updated_at) * 1000)
    queue_id = func.concat("download:", DownloadJob.id, ":", DownloadJob.attempts, ":", cast(millis, BigInteger))
    marked = db.exec(  # type: ignore[call-overload]
        update(DownloadJob)
        .where(col(DownloadJob.id).in_(locked.with_for_update().scalar_subquery()))
        .values(arq_job_id=queue_id)
        .returning(col(DownloadJob.id), col(DownloadJob.arq_job_id))
        .execution_options(synchronize_session=False)
    )
    return {job_id: marked_id for job_id, marked_id in marked}


def claim(db: DBSession, job_id: int, worker_id: str) -> DownloadJob | None:
    """The worker takes a queued job (status -> probing); None if it is gone or already ended.

    One statement (the job's first round trip, on every job): the row lock of the ``UPDATE``
    orders it with a cancel, which either comes first (nothing is claimed) or waits for it."""
    moved = _moved_to(
        JobStatus.probing, {"worker_id": worker_id, "attempts": col(DownloadJob.attempts) + 1, "stage": "probing"}
    )
    claimed = (
        update(DownloadJob)
        .where(col(DownloadJob.id) == job_id, col(DownloadJob.status) == JobStatus.queued)
        .values(**moved)
        .returning(DownloadJob)
    )
    return db.scalars(select(DownloadJob).from_statement(claimed)).first()


def unfinished(db: DBSession) -> list[DownloadJob]:
    return list(db.exec(select(DownloadJob).where(col(DownloadJob.status).in_(ACTIVE_STATUSES))).all())


def orphaned(db: DBSession, live_workers: set[str], grace: timedelta) -> list[DownloadJob]:
    """Running jobs whose worker stopped beating (ages measured on the database's clock)."""
    query = select(DownloadJob).where(
        col(DownloadJob.status).in_(RUNNING_STATUSES), col(DownloadJob.updated_at) < func.now() - grace
    )
    return [job for job in db.exec(query).all() if job.worker_id not in live_workers]


def abandoned(db: DBSession, worker_id: str, running: set[int]) -> list[DownloadJob]:
    """Jobs the table says ``worker_id`` runs but it does not (its final write was lost, e.g. while
    PostgreSQL was down). The worker itself asks: only it knows what it runs."""
    query = select(DownloadJob).where(col(DownloadJob.status).in_(RUNNING_STATUSES), DownloadJob.worker_id == worker_id)
    return [job for job in db.exec(query).all() if job.id not in running]


def requeue(db: DBSession, job: DownloadJob, reason: str, **fields: Any) -> bool:
    """Back to the queue, unless the job moved on meanwhile (it finished, or was claimed again)."""
    assert job.id is not None
    owner = Owner(job.worker_id, job.attempts)
    ok = transition(db, job.id, JobStatus.queued, owner=owner, stage=None, worker_id=None, **fields)
    if ok:
        events.record(db, "requeued", reason, job_id=job.id)
    return ok


def crashes(attempt_log: list[dict[str, Any]]) -> int:
    """How often the job lost its worker since it was created or last retried by a user."""
    count = 0
    for entry in attempt_log:
        if entry.get("stage") == RETRIED:
            count = 0
        elif entry.get("stage") == WORKER_LOST:
            count += 1
    return count


def worker_lost(db: DBSession, job: DownloadJob, max_attempts: int) -> bool:
    """A running job whose worker died: re-queued (True), or failed once it stopped its worker
    ``max_attempts`` times (a file that crashes every worker must not loop forever)."""
    assert job.id is not None
    lost = {"stage": WORKER_LOST, "worker": job.worker_id, "at": utcnow().isoformat(), "ok": False}
    attempt_log = [*job.attempt_log, lost]
    count = crashes(attempt_log)
    if count < max_attempts:
        return requeue(db, job, f"Worker stopped during {job.url}; download re-queued", attempt_log=attempt_log)
    message = f"This download stopped its worker {count} times, so it was not tried again."
    owner = Owner(job.worker_id, job.attempts)
    fail(db, job.id, message, f"last worker: {job.worker_id}", owner=owner, attempt_log=attempt_log)
    return False
