"""The database engine and sessions, shared by the app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session, create_engine

from .embedded import ensure_postgres
from .library_view import watch
from .settings import get_settings

# Every commit that changes what media/library/ shows updates it (core/library_view/watch.py).
watch.install()


def database_url() -> str:
    """DATABASE_URL, normalised to the psycopg 3 driver; else the embedded server's."""
    settings = get_settings()
    url = settings.database_url or ensure_postgres(settings.data_dir)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# psycopg prepares a statement on the server from its 5th run, and PostgreSQL may then settle on a
# generic plan: for a search with a platform and a tag filter that plan scans the whole search
# index (seconds at 1M media) where the plan for the actual words takes milliseconds. Every
# connection plans each run for its own parameters instead (bench/UI_RESULTS.md has the numbers).
# A search prefix as common as 'cosp' matches half of 1M media: in the default 4 MB of work memory
# the index's bitmap for it turns lossy, and the heap recheck doubles the rows read; 16 MB holds it.
SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan -c work_mem=16MB"


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """One pooled engine per process."""
    return create_engine(
        database_url(),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"options": SESSION_OPTIONS},
    )


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
