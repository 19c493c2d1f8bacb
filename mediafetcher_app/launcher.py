"""``make run``: start (or reuse) the services, prepare the database, run the worker and the app.

Children run in their own process groups and stop in the order app -> worker -> Redis ->
PostgreSQL, each with a grace period before SIGKILL (DESIGN.md §8: a Granian worker can hang
on SIGTERM when Redis is gone first).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .core import embedded
from .core.bootstrap import prepare
from .core.migrations import PROJECT_ROOT
from .core.settings import Settings, get_settings

log = logging.getLogger("mediafetcher.launcher")
GRACE_S = 15.0


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment children inherit: resolved service URLs and absolute data paths."""
    env = dict(os.environ)
    env["MF_DATA_DIR"] = str(settings.data_dir)
    env["MF_MEDIA_ROOT"] = str(settings.media_root)
    env["DATABASE_URL"] = settings.database_url or embedded.ensure_postgres(settings.data_dir)
    env["REDIS_URL"] = settings.redis_url or embedded.ensure_redis(settings.data_dir)
    env["REFLEX_REDIS_URL"] = env["REDIS_URL"]
    env.setdefault("GRANIAN_WORKERS", os.environ.get("MF_APP_WORKERS", "1"))
    env["PATH"] = f"{PROJECT_ROOT / '.tools' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("YTDLP_NO_PLUGINS", "1")
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def worker_command() -> list[str]:
    return [_bin("arq"), "worker.settings.WorkerSettings"]


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
        os.environ.get("HOST", "0.0.0.0"),
    ]


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], name: str, grace_s: float = GRACE_S) -> None:
    """SIGTERM the child's whole process group; SIGKILL it after the grace period."""
    if proc.poll() is not None:
        return
    log.info("stopping %s", name)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop in %.0fs; killing it", name, grace_s)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = get_settings()
    env = service_environment(settings)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL")})
    prepare(settings)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        children.append(("worker", start(worker_command(), env)))
        children.append(("app", start(app_command(settings), env)))
        log.info("MediaFetcher starting on http://127.0.0.1:%d (Ctrl-C stops everything)", settings.port)
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    log.error("%s exited with code %s; stopping", name, proc.returncode)
                    stopping = True
            time.sleep(0.5)
    finally:
        for name, proc in reversed(children):
            stop(proc, name)
        if not settings.redis_url:
            embedded.stop_redis(settings.data_dir)
        if not settings.database_url:
            embedded.stop_postgres(settings.data_dir)
        log.info("stopped")


if __name__ == "__main__":
    main()
