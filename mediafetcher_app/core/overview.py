"""The dashboard's figures at a glance: job counters per viewer and the server's health.

Core owns these queries so the UI layer only formats them, and the broadcaster and the
dashboard state share one definition instead of importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import select

from . import auth, doctor, system
from .models import ACTIVE_STATUSES, JobStatus, JobTally
from .settings import worker_knobs


@dataclass(frozen=True)
class JobCounters:
    active: int
    done: int
    failed: int


def job_counters(db: DBSession, who: auth.Principal) -> JobCounters:
    """From ``job_tally``, which triggers keep equal to a count of ``download_job`` (migration 0009):
    a handful of rows to read however many jobs the server has run."""
    query = select(JobTally.status, func.sum(JobTally.n)).group_by(JobTally.status)
    if not who.is_admin:
        query = query.where(JobTally.user_id == (who.user_id or 0))
    by_status = {status: int(count) for status, count in db.exec(query).all()}
    return JobCounters(
        active=sum(by_status.get(s, 0) for s in ACTIVE_STATUSES),
        done=by_status.get(JobStatus.done, 0),
        failed=by_status.get(JobStatus.failed, 0),
    )


@dataclass(frozen=True)
class ServerHealth:
    """Server-wide status, the same for every viewer."""

    database: bool
    queue: bool
    alive_workers: list[system.WorkerStatus]
    disk: system.DiskStatus
    engines_ok: bool
    engines: str  # "ok", "checking…", or the first problem's sentence


def engines_status() -> tuple[bool, str]:
    """From the doctor's last engine facts (gathered in the background, never on this path)."""
    facts = doctor.engine_facts_cache.latest()
    if facts is None:
        return True, "checking…"
    problems = [check for check in facts if not check.ok]
    return not problems, problems[0].problem if problems else "ok"


def server_health(db: DBSession) -> ServerHealth:
    """A worker counts as alive by the same MF_WORKER_STALE_S the worker's reconcile uses."""
    stale = worker_knobs().worker_stale_s
    engines_ok, engines = engines_status()
    return ServerHealth(
        database=system.database_ok(db),
        queue=system.redis_ok(),
        alive_workers=[w for w in system.workers(db) if w.age_s < stale],
        disk=system.disk(),
        engines_ok=engines_ok,
        engines=engines,
    )
