"""The container healthcheck of a worker: alive means this host's worker stamped its heartbeat
recently (worker/heartbeat.py), which a hung or disconnected worker stops doing."""

from __future__ import annotations

import socket
import sys

from sqlmodel import col, select

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import WorkerHeartbeat

from . import heartbeat


def healthy(hostname: str) -> bool:
    with session_scope() as db:
        live = heartbeat.live_worker_ids(db)
        mine = db.exec(select(WorkerHeartbeat.worker_id).where(col(WorkerHeartbeat.hostname) == hostname)).all()
    return bool(live.intersection(mine))


def main() -> None:
    hostname = socket.gethostname()
    if not healthy(hostname):
        sys.exit(f"no live worker heartbeat from {hostname}")


if __name__ == "__main__":
    main()
