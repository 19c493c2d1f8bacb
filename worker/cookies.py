"""The one place the worker asks the cookie vault for a job's cookies (docs/ARCHITECTURE.md §6)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlmodel import Session as DBSession

log = logging.getLogger(__name__)


def job_cookie_file(db: DBSession, url: str, directory: Path, requested_by: int | None) -> Path | None:
    """A 0600 per-job copy of the site's cookies in ``directory``, or None (no vault, no cookies).

    The cookies are those of the user who submitted the job (``requested_by``), or the jar an
    admin shares when that user has none for the site.

    The engines get this copy (yt-dlp rewrites the file it is given); the vault's jar is never
    touched. The import is lazy so the worker runs on a build without the vault.
    """
    try:
        from mediafetcher_app.core.vault import write_job_cookie_file
    except ImportError:
        return None
    try:
        return write_job_cookie_file(db, url, directory, user_id=requested_by)
    except Exception:
        log.exception("could not read the cookies for %s; downloading without them", url)
        return None
