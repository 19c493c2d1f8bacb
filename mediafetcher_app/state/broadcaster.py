"""One broadcaster per app process (DESIGN.md §1): it polls download_job for changed rows and
pushes fresh snapshots into the dashboards open in this process.

Polling ``max(updated_at)`` and the newest event id is one cheap query per tick whatever the number of viewers; the
per-user snapshots are built only when something changed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import reflex as rx
from sqlalchemy import func
from sqlmodel import select

from mediafetcher_app.core import events
from mediafetcher_app.core.auth import Principal
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob

if TYPE_CHECKING:
    from .dashboard import Health

log = logging.getLogger(__name__)

TICK_S = 0.5
_subscribers: dict[str, Principal] = {}


def subscribe(client_token: str, who: Principal) -> None:
    _subscribers[client_token] = who


def _latest_change() -> tuple[datetime | None, int]:
    """The newest job change and the newest history event: either moving means a push."""
    with session_scope() as db:
        return db.exec(select(func.max(DownloadJob.updated_at))).one(), events.latest_id(db)


def _connected(app: rx.App, token: str) -> bool:
    namespace = app.event_namespace
    return namespace is not None and token in namespace.token_to_sid


def _snapshot(who: Principal, health: Health):
    from .dashboard import snapshot

    with session_scope() as db:
        return snapshot(db, who, health)


def _server_health() -> Health:
    from .dashboard import server_health

    with session_scope() as db:
        return server_health(db)


async def _push(app: rx.App, token: str, who: Principal, health: Health) -> None:
    from .dashboard import DashboardState

    view = await asyncio.to_thread(_snapshot, who, health)
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=DashboardState)) as root:
        (await root.get_state(DashboardState))._show(view)


async def run(app: rx.App) -> None:
    """The lifespan task: never dies on one failed tick."""
    seen: tuple[datetime | None, int] | None = None
    while True:
        await asyncio.sleep(TICK_S)
        try:
            latest = await asyncio.to_thread(_latest_change)
            if latest == seen:
                continue
            seen = latest
            for token in [t for t in _subscribers if not _connected(app, t)]:
                _subscribers.pop(token, None)
            if not _subscribers:
                continue
            health = await asyncio.to_thread(_server_health)
            for token, who in list(_subscribers.items()):
                await _push(app, token, who, health)
        except Exception:
            log.exception("broadcaster tick failed")
