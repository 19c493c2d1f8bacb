"""The "check" action of the cookie vault: do a site's stored cookies still sign someone in?

The check opens the site's signed-in-only page (``vault.check_for``) with the site's cookies and
stops at the first item the engine starts to fetch: that item was only visible to a signed-in
user, so the cookies work. An engine error (login required, 401/403) or an empty result means
they do not. Both engines run in the gallery-dl child (``child_gallerydl``), yt-dlp's
extractors through gallery-dl's ``ytdl:`` bridge: that child yields items one by one, so the
check ends after one item, where the yt-dlp child would resolve a whole watch history before it
reports anything. The cookies are a 0600 copy in the worker's private cookie dir (``cookie_dirs``),
removed whatever happens.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mediafetcher_app.core import vault
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import utcnow
from mediafetcher_app.core.settings import get_settings, worker_knobs

from . import cookie_dirs
from .engines.protocol import Event, Message
from .engines.runner import run_engine
from .errors import classify

log = logging.getLogger(__name__)

GALLERYDL_MODULE = "worker.engines.child_gallerydl"
CHECK_TIMEOUT_S = 120.0  # a signed-in page that shows nothing in two minutes does not prove anything
REACHED = "A page only a signed-in user sees was readable."


class _Reached(Exception):
    """The engine began fetching an item: raised out of ``run_engine``, which kills the child."""


def engine_url(check: vault.SiteCheck) -> str:
    """The URL the gallery-dl child gets: yt-dlp's extractors answer behind gallery-dl's ``ytdl:``."""
    return f"ytdl:{check.url}" if check.engine == vault.YTDLP else check.url


async def _stop_at_first_item(event: Message) -> Message | None:
    if event["event"] in (Event.PROGRESS, Event.FILE):
        raise _Reached()
    return None


async def probe(check: vault.SiteCheck, cookiefile: Path, tmp: Path) -> tuple[bool, str]:
    """Run the check's page with ``cookiefile``; returns (cookies work, why as a sentence)."""
    settings = get_settings()
    config: dict[str, Any] = {
        "url": engine_url(check),
        "tmp": str(tmp),
        "socket_timeout": worker_knobs().socket_timeout_s,
        "max_bytes": settings.max_file_bytes,
        "cookiefile": str(cookiefile),
    }
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            run = await run_engine(GALLERYDL_MODULE, config, _stop_at_first_item)
    except _Reached:
        return True, REACHED
    except TimeoutError:
        return False, f"The page showed nothing within {CHECK_TIMEOUT_S:g} seconds."
    text = str((run.error or {}).get("message") or run.stderr_tail)
    return False, classify(text, check.url, settings.max_file_bytes).message


async def check_cookies(ctx: dict[str, Any], site: str, owner_id: int) -> str:
    """Arq job: check ``owner_id``'s stored cookies for ``site`` (never a shared jar) and record
    the verdict; returns "ok" or "failed"."""
    check = vault.check_for(site)
    if check is None:
        log.info("no cookie check exists for %s; nothing to do", site)
        return "not possible"
    tmp = Path(tempfile.mkdtemp(prefix="cookie-check-", dir=get_settings().tmp_dir))
    worker_id, cookie_dir = ctx.get("worker_id") or cookie_dirs.NO_WORKER, f"check-{tmp.name}"
    started = utcnow()
    try:
        with session_scope() as db:
            cookiefile = vault.write_job_cookie_file(
                db, f"https://{site}/", cookie_dirs.fresh(worker_id, cookie_dir), user_id=owner_id, use_shared=False
            )
        if cookiefile is None:
            ok, reason = False, "No cookies are stored for this site."
        else:
            ok, reason = await probe(check, cookiefile, tmp)
    except vault.CookieDecryptError as exc:
        ok, reason = False, exc.message
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        cookie_dirs.remove(worker_id, cookie_dir)
    with session_scope() as db:
        vault.record_check(db, site, ok, reason, owner_id=owner_id, checked_at=started)
    return "ok" if ok else "failed"
