"""One broadcaster per app process (DESIGN.md §1): it polls download_job for changed rows and
pushes fresh snapshots into the dashboards open in this process (the dashboard state sends a
viewer only the parts that changed).

Polling ``max(updated_at)`` and the newest event id is one cheap query per tick whatever the
number of viewers; the per-user snapshots are built only when something changed. A viewer is
remembered by their session (its digest), never by who they were when they subscribed: every
push resolves all viewers' sessions again in one query, so a viewer who signed out, was
disabled or whose session was revoked gets no further push (and is forgotten), and a changed
role shows at once (a demoted admin's next push holds only their own jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import reflex as rx
from sqlalchemy import func
from sqlmodel import select

from mediafetcher_app.core import auth, events
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob

from .dashboard_view import Snapshot, server_health, snapshot

log = logging.getLogger(__name__)

TICK_S = 0.5
_subscribers: dict[str, str] = {}  # Reflex client token -> SHA-256 of the viewer's session token

Deliver = Callable[[str, Snapshot], Awaitable[None]]


class Showing(Protocol):
    """The state a push lands in (the dashboard's)."""

    def _show(self, shown: Snapshot) -> None: ...


def subscribe(client_token: str, session_token: str | None) -> None:
    if session_token:
        _subscribers[client_token] = auth.digest(session_token)


def _latest_change() -> tuple[datetime | None, int]:
    """The newest job change and the newest history event: either moving means a push."""
    with session_scope() as db:
        return db.exec(select(func.max(DownloadJob.updated_at))).one(), events.latest_id(db)


def views(viewers: dict[str, str]) -> dict[str, Snapshot | None]:
    """Each viewer's snapshot as their session allows now, or None when it no longer holds.

    One transaction: the sessions of all viewers in one query, the server's health once, then
    one snapshot per live viewer.
    """
    with session_scope() as db:
        live = auth.principals_for_sessions(db, set(viewers.values()))
        if not live:
            return dict.fromkeys(viewers)
        health = server_health(db)
        return {
            token: snapshot(db, live[digest], health) if digest in live else None for token, digest in viewers.items()
        }


async def push(deliver: Deliver) -> None:
    """Send every subscribed viewer whose session holds their fresh snapshot; forget the others."""
    viewers = dict(_subscribers)
    if not viewers:
        return
    for token, view in (await asyncio.to_thread(views, viewers)).items():
        if view is None:
            if _subscribers.get(token) == viewers[token]:  # not re-subscribed meanwhile
                del _subscribers[token]
        else:
            await deliver(token, view)


def _connected(app: rx.App, token: str) -> bool:
    namespace = app.event_namespace
    return namespace is not None and token in namespace.token_to_sid


def _to_dashboard(app: rx.App, target: type[rx.State]) -> Deliver:
    async def deliver(token: str, view: Snapshot) -> None:
        async with app.modify_state(rx.BaseStateToken(ident=token, cls=target)) as root:
            shown: Showing = await root.get_state(target)  # type: ignore[assignment]
            shown._show(view)

    return deliver


async def run(app: rx.App, target: type[rx.State]) -> None:
    """Pushes into ``target`` (the dashboard state); never dies on one failed tick."""
    deliver = _to_dashboard(app, target)
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
            await push(deliver)
        except Exception:
            log.exception("broadcaster tick failed")
