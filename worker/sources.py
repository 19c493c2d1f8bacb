"""Checking subscriptions ("sources"): the scheduler and the check job (core/subscriptions.py).

``sources_cron`` runs every minute and enqueues one ``check_source`` per due source; each check
holds its source's row (``begin_check``), so a second worker (or a "check now" during a scheduled
check) skips it. A check lists without downloading (``child_list`` in its own forked process, through
the egress proxy, with the owner's cookies), then queues the new items as download jobs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mediafetcher_app.core import intake, subscriptions
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Subscription
from mediafetcher_app.core.settings import get_settings, worker_knobs

from . import cookie_dirs
from .client import enqueue_source_check, put_download
from .cookies import job_cookie_file
from .engines.protocol import Event, Message
from .engines.runner import run_engine
from .errors import NO_MEDIA, classify

log = logging.getLogger(__name__)

LIST_MODULE = "worker.engines.child_list"
LIST_LIMIT = 500  # entries read from one listing: a channel's newest, never its whole history
NOT_LISTABLE = "This link could not be listed as a channel, playlist or feed."
NOTHING_LISTED = "No items were found at this link."


async def sources_cron(ctx: dict[str, Any]) -> int:
    """Enqueue a check for every due source; returns how many."""
    with session_scope() as db:
        due = subscriptions.claim_due(db)
    for sub_id in due:
        await enqueue_source_check(sub_id, ctx.get("redis"))
    return len(due)


def _sentence(text: str, url: str) -> str:
    error = classify(text, url, get_settings().max_file_bytes)
    if error.message == NO_MEDIA:
        return NOTHING_LISTED
    return NOT_LISTABLE if error.rank <= 1 else error.message


async def list_source(sub: Subscription, worker_id: str) -> tuple[str | None, list[subscriptions.Listed]]:
    """The source's items, flat (nothing downloaded); raises ``ListingFailed`` with a sentence."""
    assert sub.id is not None
    name = f"source-{sub.id}"
    listing: dict[str, Any] = {}

    async def on_event(event: Message) -> None:
        if event["event"] == Event.LISTING:
            listing.update(event)

    try:
        with session_scope() as db:
            cookiefile = job_cookie_file(db, sub.url, cookie_dirs.fresh(worker_id, name), sub.owner_id)
        config = {
            "url": sub.url,
            "socket_timeout": worker_knobs().socket_timeout_s,
            "cookiefile": str(cookiefile) if cookiefile else None,
            "limit": LIST_LIMIT,
        }
        run = await run_engine(LIST_MODULE, config, on_event)
    finally:
        cookie_dirs.remove(worker_id, name)
    if run.error is not None or run.returncode != 0 or "items" not in listing:
        text = str((run.error or {}).get("message") or run.stderr_tail)
        raise ListingFailed(_sentence(text, sub.url), text)
    items = [subscriptions.Listed(**item) for item in listing["items"]]
    return listing.get("title"), items


class ListingFailed(Exception):
    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.message, self.detail = message, detail


async def check_source(ctx: dict[str, Any], sub_id: int) -> str:
    """One check of one source: skipped when another check holds it or it is paused."""
    with session_scope() as db:
        sub = subscriptions.begin_check(db, sub_id)
    if sub is None:
        log.info("source %s is paused, gone or being checked; skipping", sub_id)
        return "skipped"
    worker_id = ctx.get("worker_id") or cookie_dirs.NO_WORKER
    try:
        title, items = await list_source(sub, worker_id)
    except ListingFailed as failed:
        log.info("source %s failed: %s (%s)", sub_id, failed.message, failed.detail[-300:])
        await asyncio.to_thread(_fail, sub_id, failed.message)
        return "failed"
    except Exception as exc:
        log.exception("source %s check failed unexpectedly", sub_id)
        await asyncio.to_thread(_fail, sub_id, f"The check failed because of an error on this server ({exc!r}).")
        return "failed"
    result = await intake.store_then_enqueue(
        asyncio.to_thread(_finish, sub_id, title, items), lambda done: done.job_ids if done else [], put_download
    )
    return "gone" if result is None else "done"


def _finish(sub_id: int, title: str | None, items: list[subscriptions.Listed]) -> subscriptions.CheckResult | None:
    with session_scope() as db:
        if title:
            subscriptions.name_if_unnamed(db, sub_id, title)
        return subscriptions.finish_check(db, sub_id, items)


def _fail(sub_id: int, message: str) -> None:
    with session_scope() as db:
        subscriptions.fail_check(db, sub_id, message)
