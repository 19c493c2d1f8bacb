"""A fresh data directory with the embedded PostgreSQL/Redis for a bench run, migrated."""

from __future__ import annotations

import os
from pathlib import Path


def fresh_services(data_dir: Path, **env: str) -> None:
    """Point this process (and the processes it starts) at ``data_dir``'s own servers, migrated."""
    os.environ.update(MF_DATA_DIR=str(data_dir), MF_SECRET_KEY="bench", **env)
    for name in ("DATABASE_URL", "REDIS_URL", "MF_MEDIA_ROOT"):
        os.environ.pop(name, None)
    from mediafetcher_app.core import bootstrap
    from mediafetcher_app.core.db import database_url
    from mediafetcher_app.core.queue import redis_url
    from mediafetcher_app.core.settings import get_settings

    get_settings.cache_clear()
    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url(), redis_url()
    get_settings.cache_clear()
    bootstrap.prepare()
