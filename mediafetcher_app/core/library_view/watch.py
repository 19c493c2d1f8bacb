"""Keeps the library view in step with every commit that changes what it shows, one media at a time.

SQLAlchemy session events see each write to the tables the view is made of, whichever code path
makes it (folder and tag actions, title edits, media deletion, the worker's finalise, the API), and
record in the session WHAT it touches, as media ids:

- ORM flushes: a ``media`` row its id; a ``media_source``/``media_folder``/``media_tag`` row its
  ``media_id``; a changed or deleted ``source`` or ``tag`` the media linked to it (asked before
  the flush, while the links still exist: a tag rename rewrites only its media's NFO files).
- Core statements run through a session: ``update``/``delete`` ask the database first which media
  their ``WHERE`` reaches; ``insert`` names its media in its values, or returns the new ids
  (``RETURNING``) that are read on the way.
- Any ``folder`` write marks the folder tree, which every pass compares whole (it is small).

A write it cannot attribute asks for a full pass and says so in the log. A commit hands what its
session recorded to this process's follower; a rollback drops it. One background thread per
process then runs ``follow`` for everything recorded since its last pass, so a commit never waits
for the view. In a burst (a worker finishing many quick jobs) passes start at most every
``GATHER_S``, each taking everything recorded meanwhile: a pass's fixed cost (the lock, the index,
the folder tree) is paid once for many commits. A quiet process follows at once.
``rebuild_soon`` asks for a full pass (the worker does at start-up). A failed pass is logged and
never undoes anything. ``settle()`` waits until the view has followed every commit so far, and
starts a gathering pass at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from ..models import MediaSource, MediaTag, Source, Tag
from . import follow, sync

log = logging.getLogger(__name__)

_LINKS = {"media_source", "media_folder", "media_tag"}
WATCHED = frozenset({"media", "source", "folder", "tag", *_LINKS})
_KEY = "library_view_changes"
GATHER_S = 0.2


@dataclass
class Changes:
    """What a pass has to follow: these media, the folder tree, or everything."""

    media_ids: set[int] = field(default_factory=set)
    folders: bool = False
    full: bool = False

    def __bool__(self) -> bool:
        return bool(self.media_ids) or self.folders or self.full

    def merge(self, other: Changes) -> None:
        self.media_ids |= other.media_ids
        self.folders |= other.folders
        self.full |= other.full


class _Follower:
    """Gathers the changes asked for; one daemon thread works them off, many at a time."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._asked = self._done = self._settling = 0
        self._last_start = float("-inf")
        self._pending = Changes()
        self._bind: Engine | None = None
        self._thread: threading.Thread | None = None

    def ask(self, bind: Engine, changes: Changes) -> None:
        with self._changed:
            self._asked += 1
            self._pending.merge(changes)
            self._bind = bind
            if self._thread is None or not self._thread.is_alive():  # none yet, or a forked child
                self._thread = threading.Thread(target=self._run, name="library-view", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._done < self._asked)
                gathering = self._last_start + GATHER_S - time.monotonic()
                self._changed.wait_for(lambda: self._settling > 0, gathering)  # unless someone waits
                self._last_start = time.monotonic()
                target, bind, changes = self._asked, self._bind, self._pending
                self._pending = Changes()
            try:
                assert bind is not None
                sync(bind) if changes.full else follow(bind, changes.media_ids)
            except Exception:  # the commits stand whatever the view does
                log.exception("the library view could not follow a change (the next change or `library rebuild` will)")
            with self._changed:
                self._done = target
                self._changed.notify_all()

    def settle(self, timeout_s: float | None = None) -> bool:
        """Wait until every pass asked for so far is done; False when ``timeout_s`` ran out first.
        A pass that is gathering starts at once."""
        with self._changed:
            target = self._asked
            self._settling += 1
            self._changed.notify_all()
            try:
                return self._changed.wait_for(lambda: self._done >= target, timeout_s)
            finally:
                self._settling -= 1


_follower = _Follower()
settle = _follower.settle


def rebuild_soon(bind: Engine) -> None:
    """A full pass on the background thread (the worker's start-up)."""
    _follower.ask(bind, Changes(full=True))


def _changes(session: Session) -> Changes:
    return session.info.setdefault(_KEY, Changes())


def _media_of(session: Session, query: Any) -> set[int]:
    """Media ids a query returns, asked on the session's connection (no ORM events, no autoflush)."""
    return {media_id for (media_id,) in session.connection().execute(query) if media_id is not None}


def _media_linked(session: Session, link: Any, column: Any, ids: Collection[int]) -> set[int]:
    return _media_of(session, select(link.media_id).where(column.in_(list(ids)))) if ids else set()


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    """Sources and tags about to change or go: their media, while the links are still there."""
    touched = [
        obj for obj in chain(session.dirty, session.deleted) if obj in session.deleted or session.is_modified(obj)
    ]
    sources = {obj.id for obj in touched if isinstance(obj, Source) and obj.id is not None}
    tags = {obj.id for obj in touched if isinstance(obj, Tag) and obj.id is not None}
    if sources or tags:
        found = _media_linked(session, MediaSource, MediaSource.source_id, sources)
        found |= _media_linked(session, MediaTag, MediaTag.tag_id, tags)
        _changes(session).media_ids |= found


def _after_flush(session: Session, _context: object) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table == "media" and obj.id is not None:
            _changes(session).media_ids.add(obj.id)
        elif table in _LINKS and obj.media_id is not None:
            _changes(session).media_ids.add(obj.media_id)
        elif table == "folder":
            _changes(session).folders = True


def _reached(state: ORMExecuteState, table: Any) -> set[int]:
    """The media an ``update``/``delete`` on ``table`` reaches, asked before it runs."""
    where = state.statement.whereclause
    narrowed = (lambda query: query.where(where)) if where is not None else (lambda query: query)
    session = state.session
    if table.name == "media":
        return _media_of(session, narrowed(select(table.c.id)))
    if table.name in _LINKS:
        return _media_of(session, narrowed(select(table.c.media_id)))
    owners = _media_of(session, narrowed(select(table.c.id)))  # source or tag ids
    link, column = (MediaSource, MediaSource.source_id) if table.name == "source" else (MediaTag, MediaTag.tag_id)
    return _media_linked(session, link, column, owners)


def _named(state: ORMExecuteState) -> set[int] | None:
    """The media an ``insert`` into a link table names in its values (None: it names none)."""
    compiled = state.statement.compile(dialect=state.session.get_bind().dialect).params
    given = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    values = [value for key, value in compiled.items() if key == "media_id" or key.startswith("media_id_m")]
    values += [row["media_id"] for row in given if "media_id" in row]
    return {value for value in values if value is not None} or None


def _on_execute(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in WATCHED:
        return None
    changes = _changes(state.session)
    if name == "folder":
        changes.folders = True
    elif not state.is_insert:
        changes.media_ids |= _reached(state, table)
    elif name == "tag":
        return None  # a new tag is on no media yet
    elif name in _LINKS and (named := _named(state)) is not None:
        changes.media_ids |= named
    else:  # a new media or source: its id comes back from RETURNING
        return _read_returned(state, name, changes)
    return None


def _read_returned(state: ORMExecuteState, name: str, changes: Changes) -> Any:
    """Run the insert and read the new ids it returns; one that returns none asks for a full pass."""
    result = state.invoke_statement()
    keys = list(result.keys()) if getattr(result, "returns_rows", True) else []
    if "id" not in keys:
        log.warning("the library view cannot tell which media a write to %s touched: a full pass follows", name)
        changes.full = True
        return result
    frozen = result.freeze()
    ids = {row[keys.index("id")] for row in frozen().all()}
    if name == "source":
        ids = _media_linked(state.session, MediaSource, MediaSource.source_id, ids)
    changes.media_ids |= ids
    return frozen()


def _after_commit(session: Session) -> None:
    changes = session.info.pop(_KEY, None)
    if changes:
        bind = session.get_bind()
        _follower.ask(bind.engine if hasattr(bind, "engine") else bind, changes)  # type: ignore[arg-type]


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


_LISTENERS = (
    ("before_flush", _before_flush),
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_execute),
    ("after_commit", _after_commit),
    ("after_soft_rollback", lambda session, _previous: _after_rollback(session)),
)


def install() -> None:
    """Listen on every session of this process (idempotent)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
