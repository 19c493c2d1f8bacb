"""``make run``: start (or reuse) the services, prepare the database, run the worker and the app.

A crashed child is restarted by the supervisor (growing delays; a crash loop stops the stack).
Children run in their own process groups and stop in the order app -> worker -> Redis ->
PostgreSQL, each with a grace period before SIGKILL (docs/ARCHITECTURE.md §8: a Granian worker can hang
on SIGTERM when Redis is gone first).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from .core import embedded
from .core.bootstrap import prepare
from .core.migrations import PROJECT_ROOT
from .core.settings import Settings, get_settings, supervisor_settings
from .supervisor import CrashLoop, Supervisor

log = logging.getLogger("mediafetcher.launcher")


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment children inherit: resolved service URLs and absolute data paths."""
    env = dict(os.environ)
    env["MF_DATA_DIR"] = str(settings.data_dir)
    env["MF_MEDIA_ROOT"] = str(settings.media_root)
    env["DATABASE_URL"] = settings.database_url or embedded.ensure_postgres(settings.data_dir)
    env["REDIS_URL"] = settings.redis_url or embedded.ensure_redis(settings.data_dir)
    env["REFLEX_REDIS_URL"] = env["REDIS_URL"]
    env.setdefault("GRANIAN_WORKERS", str(settings.app_workers))
    env["PATH"] = f"{PROJECT_ROOT / '.tools' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("YTDLP_NO_PLUGINS", "1")
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def worker_command() -> list[str]:
    return [_bin("arq"), "worker.main.WorkerSettings"]


def app_command(settings: Settings) -> list[str]:
    return [
        _bin("reflex"),
        "run",
        "--env",
        "prod",
        "--single-port",
        "--backend-port",
        str(settings.port),
        "--backend-host",
        settings.host,
    ]


def run_stack(settings: Settings, commands: list[tuple[str, list[str]]]) -> int:
    """Prepare the database, supervise ``commands`` until Ctrl-C/SIGTERM or a crash loop, then stop
    everything in order: the children (last started first), Redis, PostgreSQL. Returns the exit code."""
    env = service_environment(settings)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL")})
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    supervisor = Supervisor(commands, env, PROJECT_ROOT, supervisor_settings())
    code = 0
    try:
        prepare(settings)
        supervisor.start()
        log.info("MediaFetcher starting on http://127.0.0.1:%d (Ctrl-C stops everything)", settings.port)
        supervisor.run(lambda: stopping)
    except CrashLoop as exc:
        log.error("%s", exc)
        code = 1
    finally:
        supervisor.stop()
        if not settings.redis_url:
            embedded.stop_redis(settings.data_dir)
        if not settings.database_url:
            embedded.stop_postgres(settings.data_dir)
        log.info("stopped")
    return code


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = get_settings()
    return run_stack(settings, [("worker", worker_command()), ("app", app_command(settings))])


if __name__ == "__main__":
    sys.exit(main())
