"""Keeps the library view in step with every commit that changes what it shows.

SQLAlchemy session events see each write to the tables the view is made of, whichever code path
makes it (folder and tag actions, title edits, media deletion, the worker's finalise, the API):
an ORM flush or a Core statement (``insert``/``update``/``delete``) run through a session marks
it, and its commit asks for a pass. A rolled-back session asks for nothing.

Passes run on one background thread per process, so a commit never waits for one (a pass reads
the whole library: about a second per few thousand media), and a burst of commits (a playlist
landing, a bulk move) is followed by one pass that sees all of them. A failed pass is logged and
never undoes anything: the view is a convenience, rebuilt by the next change or by
``cli library rebuild``. ``settle()`` waits until the view has followed every commit so far.
"""

from __future__ import annotations

import logging
import threading
from itertools import chain

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from . import sync

log = logging.getLogger(__name__)

WATCHED = frozenset({"media", "source", "media_source", "folder", "media_folder", "tag", "media_tag"})
_MARK = "library_view_changed"


class _Follower:
    """Counts passes asked for and passes done; one daemon thread works off the difference."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._asked = self._done = 0
        self._bind: Engine | None = None
        self._thread: threading.Thread | None = None

    def ask(self, bind: Engine) -> None:
        with self._changed:
            self._asked += 1
            self._bind = bind
            if self._thread is None or not self._thread.is_alive():  # none yet, or a forked child
                self._thread = threading.Thread(target=self._run, name="library-view", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._done < self._asked)
                target, bind = self._asked, self._bind
            try:
                assert bind is not None
                sync(bind)
            except Exception:  # the commits stand whatever the view does
                log.exception("the library view could not follow a change (the next change or `library rebuild` will)")
            with self._changed:
                self._done = target
                self._changed.notify_all()

    def settle(self, timeout_s: float | None = None) -> bool:
        """Wait until every pass asked for so far is done; False when ``timeout_s`` ran out first."""
        with self._changed:
            target = self._asked
            return self._changed.wait_for(lambda: self._done >= target, timeout_s)


_follower = _Follower()
settle = _follower.settle


def _table_of(obj: object) -> str | None:
    return getattr(obj, "__tablename__", None)


def _after_flush(session: Session, _context: object) -> None:
    if any(_table_of(obj) in WATCHED for obj in chain(session.new, session.dirty, session.deleted)):
        session.info[_MARK] = True


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[_MARK] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_MARK, False):
        bind = session.get_bind()
        _follower.ask(bind.engine if hasattr(bind, "engine") else bind)  # type: ignore[arg-type]


def _after_rollback(session: Session) -> None:
    session.info.pop(_MARK, None)


_LISTENERS = (
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
