"""``media/library/``: a human-named view of the virtual folders for Jellyfin, Plex and Kodi.

The flat ``final/{sha256}.{ext}`` store stays the single copy and the database the truth: the view
is derived from both and never read back. Two kinds of pass make it, one at a time per media root
(app, worker and CLI share the lock file ``media/.library.lock``):

- ``follow`` (incremental, ``follow.py``): after each commit, for the media that commit touched and
  for the folder tree; its cost does not grow with the library. ``watch`` runs it on a background
  thread in every process that commits (the app, the worker, the CLI), for that process's commits.
- ``sync`` (full, ``plan.build`` + ``apply``): plans the whole library, walks the whole tree and
  removes whatever is not planned. Only ``cli library rebuild`` and the worker's start-up run it
  (the app never does), so a view deleted, damaged, or left behind by an older version comes right.

Both keep the index (``index.py``) that lets ``follow`` remove exactly a media's old files. Deleting
``library/`` loses nothing: the next pass starts a new view and index, the next full pass fills it.
``MF_LIBRARY_VIEW=false`` turns it off.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session as DBSession

from ..settings import Settings, get_settings
from .apply import Applied, apply
from .follow import follow_media
from .index import opened
from .plan import build

log = logging.getLogger(__name__)

__all__ = ["Applied", "follow", "library_root", "sync"]


def library_root(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).media_root / "library"


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One pass at a time per media root: the lock is taken before the database is read, so the
    last pass to run saw the last commit."""
    settings.media_root.mkdir(parents=True, exist_ok=True)
    with (settings.media_root / ".library.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def sync(bind: Engine, settings: Settings | None = None) -> Applied | None:
    """Make the whole view match the database now (a full pass); None when the view is off."""
    settings = settings or get_settings()
    if not settings.library_view:
        return None
    with _locked(settings):
        with DBSession(bind) as db:
            plan = build(db, settings.media_root)
        done = apply(plan, library_root(settings))
        with opened(settings.media_root) as index:
            index.replace(plan.folders, plan.entries)
        return done


def follow(bind: Engine, media_ids: Collection[int], settings: Settings | None = None) -> Applied | None:
    """Make the view match the database for these media and for the folder tree (an incremental
    pass); None when the view is off."""
    settings = settings or get_settings()
    if not settings.library_view:
        return None
    root = library_root(settings)
    with _locked(settings):
        fresh = not root.exists()
        root.mkdir(parents=True, exist_ok=True)  # a file in its place: this fails, and is logged
        with opened(settings.media_root) as index, DBSession(bind) as db:
            if fresh:
                index.clear()
            return follow_media(db, index, root, settings.media_root, media_ids)
