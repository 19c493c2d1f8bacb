"""Every setting the app and the worker read, taken from the environment in one place.

No other module reads a setting from ``os.environ`` (copying it for a child's environment is not
reading one). ``get_settings()`` reads once per process; tests that change the environment call
``get_settings.cache_clear()``. ``egress_settings()``, ``supervisor_settings()`` and
``worker_knobs()`` read at every call: they change per test, per run, or come from the
environment an engine child inherited.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _str(name: str) -> str:
    """The variable without surrounding blanks; "" when unset."""
    return os.environ.get(name, "").strip()


def _int(name: str, default: int) -> int:
    raw = _str(name)
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = _str(name)
    return float(raw) if raw else float(default)


def _networks(name: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDRs; a malformed entry stops the start with its name."""
    entries = [entry.strip() for entry in os.environ.get(name, "").split(",") if entry.strip()]
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


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
    host: str  # the address the app listens on
    api_url: str  # where the frontend opens its websocket (REFLEX_API_URL; the app's own port by default)
    app_workers: int  # Granian worker processes of the app (make run)
    worker_concurrency: int
    job_timeout_s: int
    max_file_bytes: int
    secure_cookies: bool
    session_days: int
    login_max_failures: int
    login_window_s: int
    max_job_attempts: int
    ffmpeg_timeout_s: float
    login_delay_s: int
    login_max_delay_s: int
    trusted_proxies: tuple[Network, ...]
    allowed_origins: tuple[str, ...]  # origins besides the app's own that may use cookie routes
    library_view: bool  # keep the human-named view under media/library/ for media servers
    js_runtime: str  # "deno", "node", "bun" or "quickjs", optionally ":/path/to/binary"
    engine_index: str | None  # where engine updates come from: an index URL or a wheel directory
    engine_auto_update: bool  # check for and install engine updates once a day

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
    port = _int("PORT", 3000)
    return Settings(
        data_dir=data_dir,
        media_root=media_root,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=os.environ.get("MF_SECRET_KEY") or None,
        admin_user=os.environ.get("MF_ADMIN_USER") or None,
        admin_password=os.environ.get("MF_ADMIN_PASSWORD") or None,
        port=port,
        host=_str("HOST") or "0.0.0.0",
        api_url=_str("REFLEX_API_URL") or f"http://localhost:{port}",
        app_workers=max(1, _int("MF_APP_WORKERS", 1)),
        worker_concurrency=_int("MF_WORKER_CONCURRENCY", 3),
        job_timeout_s=_int("MF_JOB_TIMEOUT", 3 * 3600),
        max_file_bytes=_int("MF_MAX_FILE_BYTES", 20 * 1024**3),
        secure_cookies=_flag("MF_SECURE_COOKIES", False),
        session_days=_int("MF_SESSION_DAYS", 30),
        login_max_failures=_int("MF_LOGIN_MAX_FAILURES", 5),
        login_window_s=_int("MF_LOGIN_WINDOW", 900),
        max_job_attempts=max(1, _int("MF_MAX_JOB_ATTEMPTS", 3)),
        ffmpeg_timeout_s=_float("MF_FFMPEG_TIMEOUT", 300),
        login_delay_s=_int("MF_LOGIN_DELAY", 2),
        login_max_delay_s=_int("MF_LOGIN_MAX_DELAY", 300),
        trusted_proxies=_networks("MF_TRUSTED_PROXIES"),
        allowed_origins=_origins("MF_ALLOWED_ORIGINS"),
        library_view=_flag("MF_LIBRARY_VIEW", True),
        js_runtime=_str("MF_JS_RUNTIME") or "deno",
        engine_index=_str("MF_ENGINE_INDEX") or None,
        engine_auto_update=_flag("MF_ENGINE_AUTO_UPDATE", False),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


@dataclass(frozen=True)
class EgressSettings:
    """Where the server may connect for a job (``core.egress_policy`` reads and applies them)."""

    block_private_urls: bool  # refuse loopback, private, link-local, ... addresses (default on)
    hosts: str  # "name=address,...": answers that win over DNS (split horizon; tests)
    allow: str  # "address[:port],network,...": counted as allowed although private (one LAN source)
    upstream_proxy: str | None  # http://[user:password@]host:port the egress proxy forwards through
    # PEM file of the CA a TLS-inspecting upstream proxy signs with: the engines then trust it
    upstream_proxy_ca: str | None


def egress_settings() -> EgressSettings:
    """Read at every call: the worker's egress proxy applies them per connection (tests change them)."""
    return EgressSettings(
        block_private_urls=_flag("MF_BLOCK_PRIVATE_URLS", True),
        hosts=os.environ.get("MF_EGRESS_HOSTS", ""),
        allow=os.environ.get("MF_EGRESS_ALLOW", ""),
        upstream_proxy=os.environ.get("MF_UPSTREAM_PROXY") or None,
        upstream_proxy_ca=os.environ.get("MF_UPSTREAM_PROXY_CA") or None,
    )


@dataclass(frozen=True)
class SupervisorSettings:
    """How ``make run`` restarts a crashed worker or app process (mediafetcher_app/supervisor.py)."""

    first_delay_s: float  # wait before the first restart; doubles with each crash in the window
    max_delay_s: float  # the longest wait between restarts
    crash_limit: int  # this many crashes of one process within the window stop the stack
    crash_window_s: float
    grace_s: float  # SIGTERM, then SIGKILL after this long


def supervisor_settings() -> SupervisorSettings:
    return SupervisorSettings(
        first_delay_s=_float("MF_RESTART_DELAY", 1),
        max_delay_s=_float("MF_RESTART_MAX_DELAY", 30),
        crash_limit=max(1, _int("MF_CRASH_LIMIT", 5)),
        crash_window_s=_float("MF_CRASH_WINDOW", 300),
        grace_s=_float("MF_STOP_GRACE", 15),
    )


@dataclass(frozen=True)
class WorkerKnobs:
    """The worker's and the engines' knobs. Read at every call, never cached: tests change them per
    test, the supervisor per run, and an engine child reads the environment it inherited."""

    worker_id: str  # names this worker's host in heartbeats (MF_WORKER_ID), "" for the host name
    worker_stale_s: float  # a worker silent this long is dead
    socket_timeout_s: float  # an engine's network read gives up after this long
    retry_limit: int  # tries of one engine on transient errors (timeouts, 429, 5xx)
    retry_backoff_s: float  # first wait between tries; doubles each time, capped at 60 s
    ffmpeg: str | None  # this ffmpeg binary instead of the one found on PATH or in the wheel
    # extra gallery-dl options (JSON), e.g. other instances of Danbooru-based sites; the gallery-dl
    # child parses it, so a mistake fails its jobs with the reason and nothing else
    gallerydl_config: str
    # JSON {"site": {"engine", "url"}} replacing or adding a site's signed-in check page
    cookie_check_urls: str


def worker_knobs() -> WorkerKnobs:
    return WorkerKnobs(
        worker_id=_str("MF_WORKER_ID"),
        worker_stale_s=_float("MF_WORKER_STALE_S", 30),
        socket_timeout_s=_float("MF_ENGINE_SOCKET_TIMEOUT", 30),
        retry_limit=max(1, _int("MF_RETRY_LIMIT", 3)),
        retry_backoff_s=_float("MF_RETRY_BACKOFF", 5),
        ffmpeg=_str("FFMPEG") or None,
        gallerydl_config=_str("MF_GALLERYDL_CONFIG"),
        cookie_check_urls=_str("MF_COOKIE_CHECK_URLS"),
    )
