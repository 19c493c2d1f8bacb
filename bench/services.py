"""A fresh data directory with the embedded PostgreSQL/Redis for a bench run, migrated; and the CPU
time of processes, the services' included, for the benches' per-job and per-request figures."""

from __future__ import annotations

import os
from pathlib import Path

import psutil


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


def tree_cpu_seconds(root: psutil.Process) -> float:
    """CPU time of ``root`` and every process under it, the ended ones included (a process's
    reaped children roll up into its ``children_*`` times)."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def services_cpu_seconds(data_dir: Path) -> float:
    """CPU time of the embedded PostgreSQL and Redis (their command lines name ``data_dir``),
    with every backend process under them: what the jobs' database round trips cost there."""
    total = 0.0
    for process in psutil.process_iter(["name", "cmdline"]):
        named = str(data_dir) in " ".join(process.info["cmdline"] or [])
        if named and str(process.info["name"]).startswith(("postgres", "redis")):
            total += tree_cpu_seconds(process)
    return total
