"""Health at a glance: database, queue, workers, and the media volume's space."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import redis
from sqlalchemy import func, text
from sqlmodel import Session as DBSession
from sqlmodel import select

from .models import WorkerHeartbeat
from .queue import redis_url
from .settings import get_settings


@dataclass(frozen=True)
class WorkerStatus:
    worker_id: str
    age_s: float


@dataclass(frozen=True)
class DiskStatus:
    total: int
    used: int
    free: int


def database_ok(db: DBSession) -> bool:
    try:
        return db.exec(text("SELECT 1")).one()[0] == 1  # type: ignore[call-overload]
    except Exception:
        return False


def redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(redis_url(), socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def workers(db: DBSession) -> list[WorkerStatus]:
    """Each worker's silence, on the database's clock (the heartbeats are stamped with it)."""
    age = func.extract("epoch", func.now() - WorkerHeartbeat.seen_at)
    rows = db.exec(select(WorkerHeartbeat.worker_id, age).order_by(WorkerHeartbeat.worker_id)).all()
    return [WorkerStatus(worker_id, float(age_s)) for worker_id, age_s in rows]


def disk() -> DiskStatus:
    usage = shutil.disk_usage(get_settings().media_root)
    return DiskStatus(usage.total, usage.used, usage.free)
