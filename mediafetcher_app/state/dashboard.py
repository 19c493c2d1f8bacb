"""The dashboard: the signed-in user's downloads, kept live by the broadcaster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import reflex as rx
from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import select

from mediafetcher_app.core import auth, batches, doctor, events, fix_pages, jobs, subscriptions, system
from mediafetcher_app.core.models import ACTIVE_STATUSES, DownloadJob, JobStatus
from worker.client import enqueue_stored

from . import broadcaster
from .auth import AuthState
from .formatting import human_bytes, human_duration
from .guard import Caller, guarded_event, session_cookie


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


def engines_status() -> tuple[bool, str]:
    """From the doctor's last engine facts (gathered in the background, never on this path)."""
    facts = doctor.engine_facts_cache.latest()
    if facts is None:
        return True, "checking…"
    problems = [check for check in facts if not check.ok]
    return not problems, problems[0].problem if problems else "ok"


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


def counters(db: DBSession, who: auth.Principal) -> Counters:
    query = select(DownloadJob.status, func.count()).group_by(DownloadJob.status)
    if not who.is_admin:
        query = query.where(DownloadJob.requested_by == who.user_id)
    by_status = {status: count for status, count in db.exec(query).all()}
    return Counters(
        active=sum(by_status.get(s, 0) for s in ACTIVE_STATUSES),
        done=by_status.get(JobStatus.done, 0),
        failed=by_status.get(JobStatus.failed, 0),
    )


def server_health(db: DBSession) -> Health:
    """Server-wide status, the same for every viewer: the broadcaster computes it once per push."""
    alive = [w for w in system.workers(db) if w.age_s < 30]
    disk = system.disk()
    engines_ok, engines = engines_status()
    return Health(
        database=system.database_ok(db),
        queue=system.redis_ok(),
        workers=len(alive),
        worker_age=f"{min(w.age_s for w in alive):.0f}s ago" if alive else "no heartbeat",
        workers_ok=bool(alive),
        disk_free=human_bytes(disk.free),
        disk_used=human_bytes(disk.used),
        disk_total=human_bytes(disk.total),
        disk_percent=round(100 * disk.used / disk.total) if disk.total else 0,
        engines_ok=engines_ok,
        engines=engines,
    )


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
        counters=counters(db, who),
        events=history,
        health=server,
        batches=[batch_row(batch) for batch in batches.recent(db, who)],
        checking=checking(db, who),
    )


def view(db: DBSession, who: auth.Principal) -> Snapshot:
    return snapshot(db, who, server_health(db))


class DashboardState(AuthState):
    jobs: list[JobRow] = []
    counters: Counters = Counters(active=0, done=0, failed=0)
    events: list[EventRow] = []
    health: Health = Health(
        database=False,
        queue=False,
        workers=0,
        worker_age="",
        workers_ok=False,
        disk_free="",
        disk_used="",
        disk_total="",
        disk_percent=0,
        engines_ok=True,
        engines="",
    )
    batches: list[BatchRow] = []
    checking: list[str] = []
    loaded: bool = False

    @rx.var
    def active_jobs(self) -> list[JobRow]:
        return [job for job in self.jobs if job["active"]]

    @rx.var
    def history(self) -> list[JobRow]:
        return [job for job in self.jobs if not job["active"]]

    def _show(self, shown: Snapshot) -> None:
        self.jobs, self.counters, self.events, self.health = shown.jobs, shown.counters, shown.events, shown.health
        self.batches, self.checking = shown.batches, shown.checking
        self.loaded = True

    @guarded_event
    async def load(self, caller: Caller):
        """on_load: first snapshot, then live updates through the broadcaster."""
        self._show(await caller.run(view))
        broadcaster.subscribe(self.router.session.client_token, session_cookie(self.router.headers.cookie))

    @guarded_event
    async def cancel(self, caller: Caller, job_id: int):
        def cancel_and_view(db: DBSession, who: auth.Principal) -> Snapshot:
            jobs.request_cancel(db, who, job_id)
            return view(db, who)

        self._show(await caller.run(cancel_and_view))
        return rx.toast.info("Download cancelled")

    @guarded_event
    async def retry(self, caller: Caller, job_id: int):
        await caller.run(lambda db, who: jobs.prepare_retry(db, who, job_id))
        await enqueue_stored(job_id)
        self._show(await caller.run(view))
        return rx.toast.success("Retrying")
