"""Where the job queue lives: REDIS_URL, else the embedded Redis in the data directory."""

from __future__ import annotations

from .embedded import ensure_redis
from .settings import get_settings

QUEUE_NAME = "mediafetcher:downloads"


def redis_url() -> str:
    settings = get_settings()
    return settings.redis_url or ensure_redis(settings.data_dir)
