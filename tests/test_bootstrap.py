"""Containers starting together (app and workers, any order) never race on a new database: the
migrations and the first admin happen once, under core/migrations.py's advisory lock."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from mediafetcher_app.core.migrations import _LOCK_ID
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database nobody has migrated yet, as a first `docker compose up` finds it (libpq URL)."""
    server = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
    name = f"mf_boot_{secrets.token_hex(4)}"
    admin = server.set(database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _waiting_on_a_lock(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row else 0


def test_an_app_and_a_worker_starting_together_on_a_new_database_migrate_once_and_create_one_admin(
    empty_database: str, tmp_path: Path
) -> None:
    """Both processes are held at the lock until each waits there, so they truly start together;
    before the lock, the later one died on a UniqueViolation of user_username_key."""
    url = make_url(empty_database).set(drivername="postgresql+psycopg").render_as_string(False)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MF_DATA_DIR": str(tmp_path / "data"),
        "MF_ADMIN_USER": "admin",
        "MF_ADMIN_PASSWORD": "a long enough password",
    }
    env.pop("MF_SECRET_KEY", None)
    with psycopg.connect(empty_database, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        starts = [
            subprocess.Popen(
                [sys.executable, "-m", "mediafetcher_app.cli", "migrate"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in ("app", "worker")
        ]

        def all_wait() -> bool:
            if _waiting_on_a_lock(holder) >= len(starts):
                return True
            assert all(p.poll() is None for p in starts), "a start finished without waiting for the lock"
            return False

        wait_for(all_wait, 120, message="the starts never reached the lock")
        holder.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
        outputs = [p.communicate(timeout=120)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], outputs
        users = holder.execute('SELECT username, role FROM "user"').fetchall()
        assert users == [("admin", "admin")]
        assert holder.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    keys = list((tmp_path / "data").glob("secret.key*")) + list((tmp_path / "data").glob(".secret.key*"))
    assert [k.name for k in keys] == ["secret.key"], "both starts must agree on one key file"
