"""Applying Alembic migrations from code (launcher, CLI, tests): the only way the schema changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from .db import get_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_LOCK_ID = 0x4D46_4D49  # any constant: serialises concurrent migrators on one database


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["configure_logging"] = False
    return config


@contextmanager
def schema_lock() -> Iterator[Connection]:
    """One transaction holding the migration lock: app, worker and CLI starting together in any
    order take turns, and what each does inside (migrate, create the first admin) is atomic."""
    with get_engine().begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        yield connection


def upgrade(connection: Connection) -> None:
    """Upgrade to the latest revision on ``connection``, inside its transaction."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def upgrade_to_head() -> None:
    """Upgrade under the advisory lock, so app, worker and CLI starting together do not race."""
    with schema_lock() as connection:
        upgrade(connection)
