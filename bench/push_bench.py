"""Live updates (issue 10): what one dashboard push costs, in bytes per viewer and in server time
for 50 open dashboards. Prints each number beside its budget; nothing asserts.

    .venv/bin/python -m bench.push_bench [--viewers 50] [--jobs 60] [--rounds 20]

Embedded PostgreSQL/Redis in a temp dir; ``--viewers`` users (the first an admin) each with
``--jobs`` jobs and an open dashboard subscribed to the broadcaster (the counter-change case
moves the oldest job, off the admin's 50-row list only when there are more than 50 jobs). Bytes are Reflex's delta for
one tab, as the websocket carries it (JSON), for the first load and for each kind of change.
Server time is one broadcaster tick after a job ends: finding whose dashboards show it, then
building their views (the time a browser then takes to apply it is not in this number).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.services import fresh_services
from bench.ui_bench import line, p95


def delta_bytes(tab) -> int:  # type: ignore[no-untyped-def]
    from reflex.utils.format import json_dumps

    return len(json_dumps(tab.get_delta()))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="mf-push-bench-"))
    try:
        fresh_services(data_dir)
        await measure(args)
    finally:
        from mediafetcher_app.core import embedded

        embedded.stop_redis(data_dir)
        embedded.stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def measure(args: argparse.Namespace) -> None:
    from sqlalchemy import update
    from sqlmodel import col, select

    from mediafetcher_app.core import auth
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob, JobStatus, Role
    from mediafetcher_app.state import broadcaster
    from mediafetcher_app.state.dashboard import DashboardState
    from tests.states import call, state

    sessions, job_ids = [], []
    with session_scope() as db:
        for n in range(args.viewers):
            user = auth.create_user(db, f"viewer{n}", "bench password 123", Role.admin if n == 0 else Role.user)
            db.add_all(DownloadJob(url=f"https://example.com/{n}/{j}", requested_by=user.id) for j in range(args.jobs))
            sessions.append(auth.create_session(db, user))
        db.flush()
        job_ids = list(db.exec(select(DownloadJob.id).order_by(DownloadJob.id)).all())
    tab = state(DashboardState, sessions[0], path="/dashboard", token="tab-0")
    await call(tab, "load")
    first = delta_bytes(tab)
    for n, session in enumerate(sessions[1:], start=1):
        broadcaster.subscribe(f"tab-{n}", session)

    async def push_into_tab() -> int:
        tab._clean()

        async def deliver(token: str, view) -> None:  # type: ignore[no-untyped-def]
            if token == "tab-0":
                tab._show(view)

        await broadcaster.push(deliver)
        return delta_bytes(tab)

    def change(job_id: int, **values) -> None:  # type: ignore[no-untyped-def]
        with session_scope() as db:
            db.exec(update(DownloadJob).where(col(DownloadJob.id) == job_id).values(**values))

    newest = job_ids[-1]
    change(newest, status=JobStatus.downloading, progress_bytes=1, progress_total=10)
    await push_into_tab()
    change(newest, progress_bytes=5)
    tick = await push_into_tab()
    change(job_ids[0], status=JobStatus.failed)  # an old job, not on the list: a count moves
    count = await push_into_tab()
    change(newest, status=JobStatus.done)
    end = await push_into_tab()
    line("push bytes, first load (whole dashboard)", f"{first / 1024:.1f} KB", "")
    line("push bytes, a progress tick", f"{tick} B", "only what changed")
    line("push bytes, a counter change", f"{count} B", "bytes, not KB")
    line("push bytes, a job's end", f"{end / 1024:.1f} KB", "")

    times = []
    for n in range(args.rounds):  # as a broadcaster tick does it
        seen = broadcaster._latest_change()
        change(job_ids[n * 7 % len(job_ids)], status=JobStatus.done if n % 2 else JobStatus.failed)
        start = time.perf_counter()
        changed = await asyncio.to_thread(broadcaster.changed_users, seen)
        await broadcaster.push(lambda _token, _view: asyncio.sleep(0), changed)
        times.append((time.perf_counter() - start) * 1000)
    line(
        f"one push to {args.viewers} dashboards, server p50 / p95",
        f"{statistics.median(times):.0f} / {p95(times):.0f} ms",
        "job end seen <= 1 s p95",
    )


if __name__ == "__main__":
    asyncio.run(main())
