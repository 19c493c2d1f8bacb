"""``media/library/``: a human-named view of the virtual folders for Jellyfin, Plex and Kodi.

The flat ``final/{sha256}.{ext}`` store stays the single copy and the database the truth: the view
is derived from both, rebuilt whole from the database (``sync``) after every committed change that
can alter it (``watch``), and never read back. Deleting it loses nothing; ``cli library rebuild``
(or the next change) makes it again. ``MF_LIBRARY_VIEW=false`` turns it off.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session as DBSession

from ..settings import Settings, get_settings
from .apply import Applied, apply
from .plan import build

log = logging.getLogger(__name__)

__all__ = ["Applied", "library_root", "sync"]


def library_root(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).media_root / "library"


def sync(bind: Engine, settings: Settings | None = None) -> Applied | None:
    """Make the view match the database now; None when the view is off.

    One pass at a time per media root (app, worker and CLI share it): the lock file is taken before
    the database is read, so the last pass to run saw the last commit.
    """
    settings = settings or get_settings()
    if not settings.library_view:
        return None
    settings.media_root.mkdir(parents=True, exist_ok=True)
    with (settings.media_root / ".library.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with DBSession(bind) as db:
            plan = build(db, settings.media_root)
        return apply(plan, library_root(settings))
