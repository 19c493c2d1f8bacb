"""What a dashboard shows, worded for the page: built per viewer by the dashboard state and the
broadcaster alike (both import this module, neither imports the other's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, batches, events, fix_pages, jobs, overview, subscriptions
from mediafetcher_app.core.models import DownloadJob
from mediafetcher_app.core.sizes import human_bytes

from .formatting import human_duration


class JobRow(TypedDict):
    id: int
    url: str
    status: str
    active: bool
    stage: str
    percent: float
    progress: str
    speed: str
    eta: str
    error: str
    error_action: str
    error_action_label: str
    created: str


class BatchRow(TypedDict):
    id: int
    label: str
    percent: float
    counts: str  # found, queued, skipped
    progress: str  # done, failed, on the way
    active: bool


class Counters(TypedDict):
    active: int
    done: int
    failed: int


class EventRow(TypedDict):
    id: int
    kind: str
    message: str
    at: str


class Health(TypedDict):
    database: bool
    queue: bool
    workers: int
    worker_age: str
    workers_ok: bool
    disk_free: str
    disk_used: str
    disk_total: str
    disk_percent: int
    engines_ok: bool
    engines: str  # "ok", "checking…", or the first problem's sentence


def job_row(job: DownloadJob) -> JobRow:
    assert job.id is not None
    view = jobs.view(job, [])
    done_of = f"{human_bytes(job.progress_bytes)} of {human_bytes(job.progress_total)}" if job.progress_total else ""
    return JobRow(
        id=job.id,
        url=job.url,
        status=job.status.value,
        active=job.status.is_active,
        stage=job.stage or job.status.value,
        percent=view.percent or 0.0,
        progress=done_of,
        speed=f"{human_bytes(job.speed_bps)}/s" if job.speed_bps else "",
        eta=human_duration(job.eta_s),
        error=job.error_message or "",
        error_action=job.error_action or "",
        error_action_label=fix_pages.label(job.error_action or ""),
        created=job.created_at.strftime("%Y-%m-%d %H:%M"),
    )


def batch_row(batch: batches.BatchProgress) -> BatchRow:
    counts = f"{batch.found} found · {batch.queued} queued · {batch.skipped} skipped (archived, queued or refused)"
    progress = f"{batch.done} done"
    if batch.failed:
        progress += f" · {batch.failed} failed"
    if batch.active:
        progress += f" · {batch.active} on the way"
    return BatchRow(
        id=batch.id,
        label=batch.label,
        percent=batch.percent,
        counts=counts,
        progress=progress,
        active=batch.active > 0,
    )


def checking(db: DBSession, who: auth.Principal) -> list[str]:
    """The caller's sources being listed right now (before any of their items is queued)."""
    return [
        sub.name or sub.url for sub in subscriptions.list_for(db, who) if subscriptions.status_of(sub) == "checking"
    ]


def counters(shown: overview.JobCounters) -> Counters:
    return Counters(active=shown.active, done=shown.done, failed=shown.failed)


def health(server: overview.ServerHealth) -> Health:
    """The server's health as the dashboard words it."""
    alive, disk = server.alive_workers, server.disk
    return Health(
        database=server.database,
        queue=server.queue,
        workers=len(alive),
        worker_age=f"{min(w.age_s for w in alive):.0f}s ago" if alive else "no heartbeat",
        workers_ok=bool(alive),
        disk_free=human_bytes(disk.free),
        disk_used=human_bytes(disk.used),
        disk_total=human_bytes(disk.total),
        disk_percent=round(100 * disk.used / disk.total) if disk.total else 0,
        engines_ok=server.engines_ok,
        engines=server.engines,
    )


def server_health(db: DBSession) -> Health:
    """Computed once per push by the broadcaster: the same for every viewer."""
    return health(overview.server_health(db))


@dataclass(frozen=True)
class Snapshot:
    jobs: list[JobRow]
    counters: Counters
    events: list[EventRow]
    health: Health
    batches: list[BatchRow]
    checking: list[str]


def snapshot(db: DBSession, who: auth.Principal, server: Health) -> Snapshot:
    """What one user's dashboard shows right now."""
    history = [
        EventRow(id=e.id or 0, kind=e.kind, message=e.message, at=e.at.strftime("%Y-%m-%d %H:%M:%S"))
        for e in events.recent(db, limit=30, user_id=None if who.is_admin else who.user_id)
    ]
    return Snapshot(
        jobs=[job_row(job) for job in jobs.list_jobs(db, who, limit=50)],
        counters=counters(overview.job_counters(db, who)),
        events=history,
        health=server,
        batches=[batch_row(batch) for batch in batches.recent(db, who)],
        checking=checking(db, who),
    )


def view(db: DBSession, who: auth.Principal) -> Snapshot:
    return snapshot(db, who, server_health(db))
