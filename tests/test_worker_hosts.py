"""Workers on other hosts: two worker processes with their own identity and data dir, sharing only
PostgreSQL, Redis, the media share and the secret, split one queue and run no job twice. Their
data dirs do not exist beforehand, as on a new host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import JobMedia, WorkerHeartbeat
from mediafetcher_app.core.settings import get_settings
from tests.fixtures.pipeline import assert_done, job_row, new_job
from tests.waiting import wait_for_async
from worker.client import close_pool, enqueue

ROOT = Path(__file__).resolve().parent.parent
JOBS = 6


def start_worker(name: str, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "MF_WORKER_ID": name,
        "MF_DATA_DIR": str(data_dir),
        "MF_MEDIA_ROOT": str(get_settings().media_root),  # the shared media share
        "MF_WORKER_CONCURRENCY": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "arq", "worker.main.WorkerSettings"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def live_names() -> set[str]:
    with session_scope() as db:
        return {worker_id.split(":")[0] for worker_id in db.exec(select(WorkerHeartbeat.worker_id)).all()}


async def test_two_workers_on_new_hosts_with_their_own_identity_share_one_queue_and_run_no_job_twice(server, tmp_path):
    workers = [start_worker("host-a", tmp_path / "a"), start_worker("host-b", tmp_path / "b")]
    try:
        await wait_for_async(lambda: live_names() >= {"host-a", "host-b"}, timeout=60)
        job_ids = [new_job(server.url(f"/throttle/media/h264.mp4?rate=80000&n={n}")) for n in range(JOBS)]
        for job_id in job_ids:
            await enqueue(job_id)
        await wait_for_async(lambda: all(job_row(job_id).status.is_final for job_id in job_ids), 180)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=30)
        await close_pool()
    rows = [job_row(job_id) for job_id in job_ids]
    for job in rows:
        assert_done(job)
        assert job.attempts == 1, f"job {job.id} ran {job.attempts} times"
    ran_by = {job.worker_id.split(":")[0] for job in rows}
    assert ran_by == {"host-a", "host-b"}, "both workers took jobs from the one queue"
    with session_scope() as db:
        for job_id in job_ids:
            assert db.exec(select(func.count()).select_from(JobMedia).where(JobMedia.job_id == job_id)).one() == 1
