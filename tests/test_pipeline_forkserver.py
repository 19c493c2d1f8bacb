"""Jobs run in children forked from a warm engine server (worker/engines/runner.py): cancel still
kills the job's whole process group (ffmpeg included), a crashing child fails only its own job, a
server that died is started again, an engine update reaches the next job, and a transcode shows
its percentage on the job row."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import psutil
import pytest

from mediafetcher_app.core import engine_updates, jobs
from mediafetcher_app.core.auth import principal_for_token
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.ffmpeg import threads_per_job
from mediafetcher_app.core.models import JobStatus
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_token
from tests.fixtures.media import ffmpeg
from tests.fixtures.pipeline import assert_done, job_row, media_of, new_job, probe
from tests.test_engine_updates import PINNED
from tests.test_pipeline_control import downloading
from tests.waiting import wait_for_async
from worker.engines import runner
from worker.engines.mp4 import _codec_args
from worker.engines.protocol import Stage
from worker.tasks import download

SLOW = "/throttle/media/big.mp4?rate=60000"  # ~6 s for the whole file
YTDLP = "worker.engines.child_ytdlp"


@pytest.fixture(scope="module")
def long_vp9(fixture_server) -> str:
    """A 40 s VP9/Opus WebM on the fixture server: its conversion to H.264 takes a few seconds."""
    path = fixture_server.root / "media/long-vp9.webm"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=40",
            "-f", "lavfi", "-i", "sine=frequency=330:duration=40",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
            "-pix_fmt", "yuv420p", "-c:a", "libopus", str(path),
        )  # fmt: skip
    return "/media/long-vp9.webm"


def cancel(job_id: int) -> None:
    with session_scope() as db:
        jobs.request_cancel(db, principal_for_token(db, make_token("alice")), job_id)


def group_of(leader: int) -> list[psutil.Process]:
    """Every process in the session ``leader`` leads (the forked child and what it started)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == leader:
                found.append(process)
        except ProcessLookupError:
            continue
    return found


def converting(job_id: int):
    job = job_row(job_id)
    return job if job.stage == Stage.CONVERTING and job.progress_total else None


def test_concurrent_transcodes_share_the_cores(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    try:
        monkeypatch.setenv("MF_WORKER_CONCURRENCY", str(cores))
        get_settings.cache_clear()
        assert threads_per_job() == 1
        assert _codec_args({"video": "h264"})[4:6] == ["-threads", "1"]
        monkeypatch.setenv("MF_WORKER_CONCURRENCY", "1")
        get_settings.cache_clear()
        assert threads_per_job() == cores
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_transcode_shows_its_percentage_on_the_job_row(server, long_vp9):
    job_id = new_job(server.url(long_vp9))
    task = asyncio.create_task(download({"worker_id": "test-worker"}, job_id))
    size = (server.root / long_vp9.lstrip("/")).stat().st_size
    seen: set[float] = set()
    while not task.done():
        if (job := converting(job_id)) is not None:
            assert job.status == JobStatus.processing and job.progress_total == size
            seen.add(jobs.view(job, []).percent or 0.0)
        await asyncio.sleep(0.05)  # the sampling rate of the percentages seen, not a wait for a condition
    assert await task == "done"
    assert any(0 < percent < 100 for percent in seen), seen
    assert max(seen) <= 100
    [media] = media_of(job_id)
    info = probe(media)
    assert info.video is not None and info.video.codec == "h264"


async def test_cancel_during_a_transcode_kills_the_forked_childs_group_with_ffmpeg(server, long_vp9):
    job_id = new_job(server.url(long_vp9))
    task = asyncio.create_task(download({"worker_id": "test-worker"}, job_id))
    await wait_for_async(lambda: converting(job_id))
    [leader] = runner.running_pids
    assert os.getpgid(leader) == leader and os.getsid(leader) == leader, "the child leads its own session"
    group = await wait_for_async(lambda: (g := group_of(leader)) and any("ffmpeg" in p.name() for p in g) and g)
    server_pid = runner.servers.pids()[YTDLP]
    assert all(p.pid != server_pid for p in group), "the warm server is not in the job's group"

    cancel(job_id)
    assert await asyncio.wait_for(task, timeout=60) == "cancelled"
    _, alive = psutil.wait_procs(group, timeout=30)
    assert alive == [], "ffmpeg and the child died with the group"
    assert psutil.pid_exists(server_pid) and runner.servers.pids()[YTDLP] == server_pid
    assert job_row(job_id).status == JobStatus.cancelled
    assert list(get_settings().final_dir.iterdir()) == []


async def test_a_killed_child_fails_only_its_own_job(server):
    doomed = new_job(server.url(SLOW), audio_only=True)  # only yt-dlp makes MP3: no engine takes over
    first = asyncio.create_task(download({"worker_id": "test-worker"}, doomed))
    await wait_for_async(lambda: downloading(doomed))
    [victim] = runner.running_pids
    server_pid = runner.servers.pids()[YTDLP]
    other = new_job(server.url("/throttle/media/big.mp4?rate=400000"))
    second = asyncio.create_task(download({"worker_id": "test-worker"}, other))
    await wait_for_async(lambda: len(runner.running_pids) == 2)

    os.kill(victim, signal.SIGKILL)
    assert await asyncio.wait_for(first, timeout=30) == "failed"
    assert await asyncio.wait_for(second, timeout=60) == "done"
    failed = job_row(doomed)
    assert failed.error_message == "The download failed."
    assert "killed (signal 9)" in failed.error_detail
    assert_done(job_row(other))
    assert len(media_of(other)) == 1
    assert runner.servers.pids()[YTDLP] == server_pid, "the warm server outlived its child"


async def test_a_dead_fork_server_is_started_again_for_the_next_job(server):
    assert await download({"worker_id": "test-worker"}, new_job(server.url("/media/h264.mp4"))) == "done"
    dead = runner.servers.pids()[YTDLP]
    os.kill(dead, signal.SIGKILL)
    await wait_for_async(lambda: not psutil.pid_exists(dead) or psutil.Process(dead).status() == psutil.STATUS_ZOMBIE)

    job_id = new_job(server.url("/media/clip.mp4"))
    assert await download({"worker_id": "test-worker"}, job_id) == "done"
    assert_done(job_row(job_id))
    assert runner.servers.pids()[YTDLP] != dead


def ytdlp_versions(job_id: int) -> list[str]:
    return [entry["version"] for entry in job_row(job_id).attempt_log if entry.get("engine") == "yt-dlp"]


async def test_after_an_engine_update_the_next_job_runs_the_new_version(server, wheels: Path):
    before = new_job(server.url("/media/h264.mp4"))
    assert await download({"worker_id": "test-worker"}, before) == "done"
    assert ytdlp_versions(before) == [PINNED]
    old_server = runner.servers.pids()[YTDLP]

    engine_updates.update(["yt-dlp"], "2099.1.1")
    after = new_job(server.url("/media/clip.mp4"))
    assert await download({"worker_id": "test-worker"}, after) == "done"
    assert ytdlp_versions(after) == ["2099.1.1"]
    assert runner.servers.pids()[YTDLP] != old_server
    assert not psutil.pid_exists(old_server) or psutil.Process(old_server).status() == psutil.STATUS_ZOMBIE
