"""What every start does before serving: folders, migrations, the first admin, the secret key."""

from __future__ import annotations

import logging

from . import auth
from .db import session_scope
from .migrations import upgrade_to_head
from .secret_key import ensure_key_file
from .settings import Settings, get_settings

log = logging.getLogger(__name__)


def ensure_directories(settings: Settings) -> None:
    for path in (settings.data_dir, settings.tmp_dir, settings.final_dir, settings.thumbs_dir):
        path.mkdir(parents=True, exist_ok=True)


def prepare(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    ensure_directories(settings)
    ensure_key_file(settings)
    upgrade_to_head()
    with session_scope() as db:
        admin = auth.ensure_first_admin(db, settings.admin_user, settings.admin_password)
        if admin is not None:
            log.info("created the first admin '%s'", admin.username)
        elif not auth.has_users(db):
            log.warning("no users yet: set MF_ADMIN_USER/MF_ADMIN_PASSWORD or open /setup")
