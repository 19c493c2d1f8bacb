"""Keeps the library view in step with every commit that changes what it shows.

SQLAlchemy session events see each write to the tables the view is made of, whichever code path
makes it (folder and tag actions, title edits, media deletion, the worker's finalise, the API):
an ORM flush or a Core statement (``insert``/``update``/``delete``) run through a session marks
it, and its commit then syncs the view. A rolled-back session changes nothing. A failed sync is
logged and never undoes the commit: the view is a convenience, rebuilt by the next change or by
``cli library rebuild``.
"""

from __future__ import annotations

import logging
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from . import sync

log = logging.getLogger(__name__)

WATCHED = frozenset({"media", "source", "media_source", "folder", "media_folder", "tag", "media_tag"})
_MARK = "library_view_changed"


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
    if not session.info.pop(_MARK, False):
        return
    bind = session.get_bind()
    try:
        sync(bind.engine if hasattr(bind, "engine") else bind)  # type: ignore[arg-type]
    except Exception:  # the commit stands whatever the view does: never fail the caller for it
        log.exception("the library view could not follow a change (the next change or `library rebuild` will)")


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
