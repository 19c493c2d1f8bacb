"""What every start does before serving: folders, migrations, the first admin, the secret key."""

from __future__ import annotations

import logging

from sqlmodel import Session as DBSession

from . import auth
from .migrations import schema_lock, upgrade
from .secret_key import ensure_key_file
from .settings import Settings, get_settings

log = logging.getLogger(__name__)


def ensure_directories(settings: Settings) -> None:
    for path in (settings.data_dir, settings.tmp_dir, settings.final_dir, settings.thumbs_dir):
        path.mkdir(parents=True, exist_ok=True)


def prepare(settings: Settings | None = None) -> None:
    """Safe for an app, a worker and the CLI starting together in any order: the migrations and
    the first admin happen in one transaction under the migration lock, one process after the
    other (the later ones find the schema current and the admin there)."""
    settings = settings or get_settings()
    ensure_directories(settings)
    ensure_key_file(settings)
    with schema_lock() as connection:
        upgrade(connection)
        with DBSession(bind=connection, expire_on_commit=False) as db:
            admin = auth.ensure_first_admin(db, settings.admin_user, settings.admin_password)
            anyone = auth.has_users(db)
            db.commit()  # joins the lock's transaction, which commits when the block ends
    if admin is not None:
        log.info("created the first admin '%s'", admin.username)
    elif not anyone:
        log.warning("no users yet: set MF_ADMIN_USER/MF_ADMIN_PASSWORD or open /setup")
