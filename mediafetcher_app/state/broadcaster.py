"""One broadcaster per app process (docs/ARCHITECTURE.md §1): it polls download_job for changed rows and
pushes fresh snapshots into the dashboards open in this process (the dashboard state sends a
viewer only the parts that changed).

Polling ``max(updated_at)`` and the newest event id is one cheap query per tick whatever the
number of viewers; the snapshots are built only when something changed, and only for the viewers
whose dashboard shows it (the users whose jobs or history moved, admins, anyone whose role
changed), one per distinct view. A viewer is
remembered by their session (its digest), never by who they were when they subscribed: every
push resolves all viewers' sessions again in one query, so a viewer who signed out, was
disabled or whose session was revoked gets no further push (and is forgotten), and a changed
role shows at once (a demoted admin's next push holds only their own jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

import reflex as rx
from sqlalchemy import func
from sqlmodel import col, select

from mediafetcher_app.core import auth, events
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, Event

from .dashboard_view import Snapshot, server_health, snapshot

log = logging.getLogger(__name__)

TICK_S = 0.5
LATE_COMMIT = timedelta(seconds=2)
_subscribers: dict[str, str] = {}  # Reflex client token -> SHA-256 of the viewer's session token
_shown_as: dict[str, tuple[int, bool]] = {}  # client token -> (user id, admin) of its last push

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


def changed_users(since: tuple[datetime | None, int]) -> set[int]:
    """Whose jobs or history moved since ``since`` (the previous tick's latest change): only their
    dashboards and admins' need a new view. Job changes are looked up ``LATE_COMMIT`` before the
    previous newest, so a row stamped before it but committed after it is not missed."""
    at, event_id = since
    with session_scope() as db:
        moved = select(func.coalesce(DownloadJob.requested_by, 0)).distinct()
        if at is not None:  # else there was no job then: every job is new
            moved = moved.where(DownloadJob.updated_at > at - LATE_COMMIT)
        owners = set(db.exec(moved).all())
        told = (
            select(Event.user_id, DownloadJob.requested_by)
            .join(DownloadJob, col(DownloadJob.id) == col(Event.job_id), isouter=True)
            .where(Event.id > event_id)
        )
        for user_id, requested_by in db.exec(told).all():
            owners.update(who for who in (user_id, requested_by) if who is not None)
        return owners


def views(viewers: dict[str, str], changed: set[int] | None = None) -> dict[str, Snapshot | None]:
    """Each viewer's snapshot as their session allows now, or None when it no longer holds; with
    ``changed``, live viewers whose dashboard shows none of those users' jobs are left out.

    One transaction: the sessions of all viewers in one query, the server's health once, then
    one snapshot per distinct view (admins share one, a user's tabs share theirs).
    """
    with session_scope() as db:
        live = auth.principals_for_sessions(db, set(viewers.values()))
        if not live:
            return dict.fromkeys(viewers)
        health = server_health(db)
        built: dict[int | None, Snapshot] = {}
        out: dict[str, Snapshot | None] = {}
        for token, digest in viewers.items():
            who = live.get(digest)
            if who is None:
                out[token] = None
                continue
            as_now = (who.user_id, who.is_admin)
            unaffected = changed is not None and not who.is_admin and who.user_id not in changed
            if unaffected and _shown_as.get(token) == as_now:
                continue
            _shown_as[token] = as_now
            key = None if who.is_admin else who.user_id
            if key not in built:
                built[key] = snapshot(db, who, health)
            out[token] = built[key]
        return out


async def push(deliver: Deliver, changed: set[int] | None = None) -> None:
    """Send every subscribed viewer whose session holds their fresh snapshot (with ``changed``, only
    those whose dashboard shows those users' jobs); forget the viewers whose session ended."""
    viewers = dict(_subscribers)
    if not viewers:
        return
    for token, view in (await asyncio.to_thread(views, viewers, changed)).items():
        if view is None:
            if _subscribers.get(token) == viewers[token]:  # not re-subscribed meanwhile
                del _subscribers[token]
                _shown_as.pop(token, None)
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
            changed = None if seen is None else await asyncio.to_thread(changed_users, seen)
            seen = latest
            for token in [t for t in _subscribers if not _connected(app, t)]:
                _subscribers.pop(token, None)
                _shown_as.pop(token, None)
            await push(deliver, changed)
        except Exception:
            log.exception("broadcaster tick failed")
