"""The history log the dashboard shows."""

from __future__ import annotations

from sqlmodel import Session as DBSession
from sqlmodel import select

from .models import Event


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


def recent(db: DBSession, limit: int = 50) -> list[Event]:
    return list(db.exec(select(Event).order_by(Event.id.desc()).limit(limit)).all())
