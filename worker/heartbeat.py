"""Worker liveness: each worker process stamps a row; stale rows mean a dead worker.

Stamps and ages use the database's clock (``now()``), never the worker host's: a host whose
clock is off must look neither dead (clock behind) nor immortal (clock ahead).
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session as DBSession
from sqlmodel import col, delete, select

from mediafetcher_app.core.models import WorkerHeartbeat
from mediafetcher_app.core.settings import worker_knobs


def stale_after() -> timedelta:
    """A worker silent this long is dead (MF_WORKER_STALE_S)."""
    return timedelta(seconds=worker_knobs().worker_stale_s)


def beat_interval_s() -> float:
    """Several beats per stale period, so one slow beat never makes a live worker look dead."""
    return min(5.0, stale_after().total_seconds() / 4)


def new_worker_id() -> str:
    """``name:pid:random``, the name being MF_WORKER_ID (workers on other hosts, containers with
    random host names) or the host name; the random part keeps a restarted process distinct."""
    name = worker_knobs().worker_id or socket.gethostname()
    return f"{name}:{os.getpid()}:{secrets.token_hex(3)}"


def beat(db: DBSession, worker_id: str) -> None:
    now = func.now()
    statement = insert(WorkerHeartbeat).values(
        worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid(), started_at=now, seen_at=now
    )
    db.exec(statement.on_conflict_do_update(index_elements=["worker_id"], set_={"seen_at": now}))  # type: ignore[call-overload]


def live_worker_ids(db: DBSession) -> set[str]:
    cutoff = func.now() - stale_after()
    return set(db.exec(select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.seen_at >= cutoff)).all())


def forget(db: DBSession, worker_id: str) -> None:
    db.exec(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker_id) == worker_id))  # type: ignore[call-overload]


def prune_stale(db: DBSession, older_than: timedelta = timedelta(days=1)) -> None:
    cutoff = func.now() - older_than
    db.exec(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.seen_at) < cutoff))  # type: ignore[call-overload]
