"""The history log the dashboard shows."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from .models import DownloadJob, Event


def record(
    db: DBSession,
    kind: str,
    message: str,
    *,
    user_id: int | None = None,
    job_id: int | None = None,
    media_id: int | None = None,
) -> None:
    db.add(Event(kind=kind, message=message, user_id=user_id, job_id=job_id, media_id=media_id))


def recent(db: DBSession, limit: int = 50, user_id: int | None = None) -> list[Event]:
    """Newest first; with ``user_id``, only what concerns that user (their jobs and actions)."""
    query = select(Event).order_by(col(Event.id).desc()).limit(limit)
    if user_id is not None:
        query = query.where(
            or_(
                Event.user_id == user_id,
                col(Event.job_id).in_(select(DownloadJob.id).where(DownloadJob.requested_by == user_id)),
            )
        )
    return list(db.exec(query).all())


def latest_id(db: DBSession) -> int:
    return db.exec(select(func.coalesce(func.max(Event.id), 0))).one()
