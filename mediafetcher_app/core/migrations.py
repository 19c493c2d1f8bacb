"""Applying Alembic migrations from code (launcher, CLI, tests): the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from .db import get_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_LOCK_ID = 0x4D46_4D49  # any constant: serialises concurrent migrators on one database


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["configure_logging"] = False
    return config


def upgrade_to_head() -> None:
    """Upgrade under an advisory lock, so app, worker and CLI starting together do not race."""
    with get_engine().begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
