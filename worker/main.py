"""The worker process's entry, Arq's ``WorkerSettings``: run ``arq worker.main.WorkerSettings``.

What it reads from the environment comes from ``mediafetcher_app/core/settings.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq import cron

from mediafetcher_app.core import engine_updates
from mediafetcher_app.core.bootstrap import ensure_directories
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.engine_setup import js_runtime
from mediafetcher_app.core.errors import DomainError
from mediafetcher_app.core.library_view import watch as library_view_watch
from mediafetcher_app.core.queue import QUEUE_NAME
from mediafetcher_app.core.settings import get_settings

from . import cookie_dirs, egress, heartbeat, recovery
from .client import redis_settings
from .cookie_check import check_cookies
from .engines.runner import servers
from .pipeline import MODULES
from .reconcile import reconcile, requeue_abandoned
from .sources import check_source, sources_cron
from .tasks import download, running

log = logging.getLogger(__name__)


async def _beat_forever(ctx: dict[str, Any]) -> None:
    """Stamp this worker's heartbeat, and give back jobs the table says it runs but it does not."""
    worker_id = ctx["worker_id"]
    while True:
        try:
            with session_scope() as db:
                heartbeat.beat(db, worker_id)
            await requeue_abandoned(ctx["redis"], worker_id, running)
        except Exception:
            log.exception("heartbeat failed; retrying")
        await asyncio.sleep(heartbeat.beat_interval_s())


async def startup(ctx: dict[str, Any]) -> None:
    # a worker on another host may start on a fresh data dir (its private cookie dirs live there)
    await asyncio.to_thread(ensure_directories, get_settings())
    await asyncio.to_thread(egress.proxy.url)  # starts it; a malformed MF_EGRESS_* setting stops the worker here
    js_runtime()  # a malformed MF_JS_RUNTIME stops the worker here, with its name
    worker_id = heartbeat.new_worker_id()
    ctx["worker_id"] = worker_id
    with session_scope() as db:
        heartbeat.beat(db, worker_id)
        heartbeat.prune_stale(db)
    ctx["heartbeat_task"] = asyncio.create_task(_beat_forever(ctx))
    await reconcile(ctx["redis"])
    await asyncio.to_thread(recovery.sweep_tmp)
    await asyncio.to_thread(recovery.sweep_deleted)
    await asyncio.to_thread(cookie_dirs.sweep)
    await asyncio.to_thread(recovery.reindex_final)
    library_view_watch.rebuild_soon(get_engine())  # the one full pass; commits are followed one by one after
    for module in MODULES.values():  # the first job does not wait for an engine's imports
        await servers.ready(module)
    log.info("worker %s ready", worker_id)


async def shutdown(ctx: dict[str, Any]) -> None:
    await servers.close()
    await asyncio.to_thread(egress.proxy.stop)
    task = ctx.get("heartbeat_task")
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if "worker_id" in ctx:
        with session_scope() as db:
            heartbeat.forget(db, ctx["worker_id"])


async def reconcile_cron(ctx: dict[str, Any]) -> None:
    await reconcile(ctx["redis"])
    await asyncio.to_thread(recovery.sweep_tmp)
    await asyncio.to_thread(recovery.sweep_deleted)
    await asyncio.to_thread(cookie_dirs.sweep)


async def engine_update_cron(ctx: dict[str, Any]) -> None:
    """MF_ENGINE_AUTO_UPDATE: once a day, install newer engines (self-tested; events say how it went)."""
    if not get_settings().engine_auto_update:
        return
    try:
        log.info("%s", await asyncio.to_thread(engine_updates.update))
    except DomainError as exc:
        log.warning("engine update: %s", exc.message)


class WorkerSettings:
    functions = [download, check_cookies, check_source]
    cron_jobs = [
        cron(reconcile_cron, second={0, 30}, run_at_startup=False, unique=True),
        # one worker of all that share Redis runs it (unique), at a quiet hour
        cron(engine_update_cron, hour={4}, minute={17}, second={0}, run_at_startup=False, unique=True),
        cron(sources_cron, second=15, run_at_startup=True, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE_NAME
    redis_settings = redis_settings()
    max_jobs = get_settings().worker_concurrency
    # the pipeline enforces the job timeout itself and fails the row; Arq's is the backstop
    job_timeout = get_settings().job_timeout_s + 60
    poll_delay = 0.05  # Arq polls Redis; its 0.5 s default would add ~0.25 s to every job
    # cancel goes through the job row (pipeline._watch_for_cancel), so Arq's abort stays off (its
    # default): on, it reads Redis's abort set in a transaction on every poll, 20 times a second
    health_check_interval = 10
