"""Every setting the app and the worker read, taken from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _origins(name: str) -> tuple[str, ...]:
    """``https://media.example.lan, http://10.0.0.5:8080`` -> lower-case origins without a path."""
    raw = os.environ.get(name, "")
    return tuple(origin.strip().rstrip("/").lower() for origin in raw.split(",") if origin.strip())


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are absolute so child processes agree on them."""

    data_dir: Path
    media_root: Path
    database_url: str | None
    redis_url: str | None
    secret_key: str | None
    admin_user: str | None
    admin_password: str | None
    port: int
    worker_concurrency: int
    job_timeout_s: int
    block_private_urls: bool
    max_file_bytes: int
    secure_cookies: bool
    session_days: int
    login_max_failures: int
    login_window_s: int
    # --- the HTTP edge (issue 8: origins) ---
    allowed_origins: tuple[str, ...]

    @property
    def tmp_dir(self) -> Path:
        return self.media_root / "tmp"

    @property
    def final_dir(self) -> Path:
        return self.media_root / "final"

    @property
    def thumbs_dir(self) -> Path:
        return self.media_root / "thumbs"


def load_settings() -> Settings:
    """Read the environment now (tests call this after changing it)."""
    data_dir = Path(os.environ.get("MF_DATA_DIR", "./data")).expanduser().resolve()
    media_root = Path(os.environ.get("MF_MEDIA_ROOT", str(data_dir / "media"))).expanduser().resolve()
    return Settings(
        data_dir=data_dir,
        media_root=media_root,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=os.environ.get("MF_SECRET_KEY") or None,
        admin_user=os.environ.get("MF_ADMIN_USER") or None,
        admin_password=os.environ.get("MF_ADMIN_PASSWORD") or None,
        port=_int("PORT", 3000),
        worker_concurrency=_int("MF_WORKER_CONCURRENCY", 3),
        job_timeout_s=_int("MF_JOB_TIMEOUT", 3 * 3600),
        block_private_urls=_flag("MF_BLOCK_PRIVATE_URLS", False),
        max_file_bytes=_int("MF_MAX_FILE_BYTES", 20 * 1024**3),
        secure_cookies=_flag("MF_SECURE_COOKIES", False),
        session_days=_int("MF_SESSION_DAYS", 30),
        login_max_failures=_int("MF_LOGIN_MAX_FAILURES", 5),
        login_window_s=_int("MF_LOGIN_WINDOW", 900),
        # --- the HTTP edge (issue 8: origins) ---
        allowed_origins=_origins("MF_ALLOWED_ORIGINS"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
