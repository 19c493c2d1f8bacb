"""Progress, cancel (the engine's whole process group dies) and crash recovery.

How fast a cancel takes effect is measured by ``bench/pipeline_bench.py --cases cancel``, not here."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys

import psutil
import pytest
from sqlmodel import select

from mediafetcher_app.core import jobs
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import JobStatus, Media
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_token
from tests.fixtures.pipeline import assert_done, job_row, media_of, new_job, orphaned, run
from tests.waiting import wait_for_async
from worker import pipeline
from worker.client import close_pool, enqueue
from worker.engines import runner
from worker.tasks import download

SLOW = "/throttle/media/big.mp4?rate=40000"  # ~9 s for the whole file


def engine_processes(parent: int) -> list[psutil.Process]:
    """Engine children of ``parent`` (a running job's child and the idle spares)."""
    return [p for p in psutil.Process(parent).children() if any("worker.engines." in a for a in p.cmdline())]


def downloading(job_id: int):
    job = job_row(job_id)
    return job if job.status == JobStatus.downloading and (job.progress_bytes or 0) > 0 else None


async def test_progress_is_on_the_row_and_cancel_kills_the_engine_group(server):
    job_id = new_job(server.url(SLOW))
    task = asyncio.create_task(download({"worker_id": "test-worker"}, job_id))
    job = await wait_for_async(lambda: (j := downloading(job_id)) and j.speed_bps and j)
    size = (server.root / "media/big.mp4").stat().st_size
    assert job.stage == "downloading" and job.progress_total == size and job.speed_bps
    first_bytes = job.progress_bytes
    await wait_for_async(lambda: (job_row(job_id).progress_bytes or 0) > first_bytes)
    children = [psutil.Process(pid) for pid in runner.running_pids]
    assert children, "the engine runs in its own process"
    assert all(os.getpgid(p.pid) == p.pid for p in children), "each engine leads its own process group"
    tmp = get_settings().tmp_dir / str(job_id)
    assert tmp.is_dir()

    with session_scope() as db:
        jobs.request_cancel(db, principal_for_token(db, make_token("alice")), job_id)
    assert await asyncio.wait_for(task, timeout=60) == "cancelled"
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
    assert not tmp.exists()
    assert job_row(job_id).status == JobStatus.cancelled
    assert list(get_settings().final_dir.iterdir()) == []


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "arq", "worker.main.WorkerSettings"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("shown_after_s", [60.0, 0.0])
async def test_only_a_run_old_enough_to_be_shown_writes_its_stage(server, monkeypatch, shown_after_s):
    """Progress and the finalising stage are written from one throttle interval after the start:
    a quick image goes from claimed to done with no write in between; a longer run shows both."""
    stages: list[str | None] = []
    write = pipeline.JobRun.write

    async def recording(self, status=None, **fields):
        stages.append(fields.get("stage"))
        await write(self, status, **fields)

    monkeypatch.setattr(pipeline, "PROGRESS_INTERVAL_S", shown_after_s)
    monkeypatch.setattr(pipeline.JobRun, "write", recording)
    assert_done(await run(server.url("/img/red.jpg")))
    if shown_after_s:
        assert stages == []
    else:
        assert "downloading" in stages and stages[-1] == "finalising"


async def test_kill_9_of_the_worker_mid_download_requeues_and_completes(server):
    env = {**os.environ, "MF_WORKER_STALE_S": "2", "MF_ENGINE_SOCKET_TIMEOUT": "5"}
    os.environ["MF_WORKER_STALE_S"] = "2"
    job_id = new_job(server.url("/throttle/media/big.mp4?rate=120000"))  # ~3 s for the whole file
    try:
        await enqueue(job_id)
        first = start_worker(env)
        await wait_for_async(lambda: downloading(job_id))
        children = engine_processes(first.pid)
        assert children
        tmp = get_settings().tmp_dir / str(job_id)
        assert tmp.is_dir()
        first.send_signal(signal.SIGKILL)
        first.wait()
        # the engine notices its worker is gone and takes its process group down with it
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == []
        assert job_row(job_id).status == JobStatus.downloading
        assert list(get_settings().final_dir.iterdir()) == [], "nothing partial is ever in final/"
        await wait_for_async(lambda: orphaned(job_id), timeout=60)  # what the next worker's reconcile requeues

        second = start_worker(env)
        try:
            job = await wait_for_async(lambda: (j := job_row(job_id)).status.is_final and j, timeout=60)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        os.environ.pop("MF_WORKER_STALE_S", None)
        await close_pool()
    assert_done(job)
    assert job.attempts == 2
    [media] = media_of(job_id)
    assert media.sha256 == hashlib.sha256((server.root / "media/big.mp4").read_bytes()).hexdigest()
    assert [p.name for p in get_settings().final_dir.iterdir()] == [f"{media.sha256}.mp4"]
    assert not (get_settings().tmp_dir / str(job_id)).exists()


async def test_worker_start_reindexes_orphan_files_and_removes_dead_tmp_dirs(server):
    from worker import recovery

    settings = get_settings()
    data = (server.root / "img/red.jpg").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (settings.final_dir / f"{digest}.jpg").write_bytes(data)
    (settings.tmp_dir / "12345").mkdir()
    (settings.tmp_dir / "12345" / "half.mp4.part").write_bytes(b"x" * 10)
    assert recovery.sweep_tmp() == 1
    assert recovery.reindex_final() == 1
    assert recovery.reindex_final() == 0
    with session_scope() as db:
        [media] = db.exec(select(Media)).all()
    assert media.sha256 == digest and media.kind == "image" and media.thumbnail_path
    assert (settings.final_dir / f"{digest}.jpg").read_bytes() == data
    assert not (settings.tmp_dir / "12345").exists()
