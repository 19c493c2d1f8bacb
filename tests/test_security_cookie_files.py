"""Issue 8 item 11: cookies at rest and in flight.

A job's decrypted cookies live in ``MF_DATA_DIR/private/cookies/<worker>/<job>/cookies.txt``
(0600, every directory 0700 whatever the umask), never on the media share, and go when the job
ends or, left by a stopped worker, at the next worker start. Downloads that yt-dlp would give
to ffmpeg (a live HLS stream) use yt-dlp's own downloader, so no ffmpeg command line ever holds
a cookie.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq import create_pool
from sqlalchemy import update

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.ffmpeg import ffmpeg_exe
from mediafetcher_app.core.models import DownloadJob, JobStatus
from mediafetcher_app.core.settings import get_settings
from mediafetcher_app.core.vault import parse_netscape, save_cookies
from tests.factories import make_user
from tests.fixtures.pipeline import assert_done, media_of, new_job, run
from tests.fixtures.server import COOKIE, FixtureServer, Handler
from worker import cookie_dirs, heartbeat
from worker.client import redis_settings
from worker.main import reconcile_cron

WORKER = "test-worker"  # the worker id tests.fixtures.pipeline.run claims jobs with
LIVE, DEAD = "live-host:1:aaaaaa", "dead-host:2:bbbbbb"


def store_cookies() -> None:
    """The cookies of alice, the user ``run`` submits jobs as (a job uses its submitter's jar)."""
    owner = make_user("alice")
    jar = f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t4102444800\t{COOKIE[0]}\t{COOKIE[1]}\n"
    with session_scope() as db:
        save_cookies(db, parse_netscape(jar), owner_id=owner)


def cookie_files_on_disk() -> dict[Path, int]:
    """Every path under the private dir and every cookies.txt on the media share, with its mode."""
    settings = get_settings()
    private = settings.data_dir / "private"
    paths = [private, *private.rglob("*"), *settings.media_root.rglob("cookies.txt")]
    return {path: stat.S_IMODE(path.stat().st_mode) for path in paths if path.exists()}


@pytest.fixture
def observed(fixture_server: FixtureServer) -> Iterator[FixtureServer]:
    """A fixture server that notes, at each request, the cookie files on disk and their modes."""
    observer = FixtureServer(fixture_server.root)
    seen: list[dict[Path, int]] = []

    class Observing(Handler):
        def do_GET(self, head: bool = False) -> None:
            seen.append(cookie_files_on_disk())
            super().do_GET(head)

    observer.RequestHandlerClass = Observing
    observer.seen = seen  # type: ignore[attr-defined]
    yield observer.start()
    observer.stop()


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.mark.parametrize(
    ("path", "status"), [("/protected/media/h264.mp4", "done"), ("/protected/media/none.mp4", "failed")]
)
async def test_job_cookies_are_a_0600_file_in_a_0700_dir_outside_the_media_share_and_gone_after(
    server, observed, loose_umask, path, status
):
    store_cookies()
    job = await run(observed.url(path))
    assert job.status == status, (job.error_message, job.error_detail)
    root = get_settings().data_dir / "private"
    job_dir = root / "cookies" / WORKER / str(job.id)
    during = observed.seen[0]
    assert during[job_dir / "cookies.txt"] == 0o600
    for directory in (root, root / "cookies", root / "cookies" / WORKER, job_dir):
        assert during[directory] == 0o700, directory
    assert not any(p.is_relative_to(get_settings().media_root) for seen in observed.seen for p in seen)
    assert not job_dir.exists()


def make_cookie_dir(worker_id: str, name: str) -> Path:
    directory = cookie_dirs.fresh(worker_id, name)
    (directory / "cookies.txt").write_text("# Netscape HTTP Cookie File\n")
    return directory


def job_on(worker_id: str, status: JobStatus) -> str:
    job_id = new_job("http://127.0.0.1:9/x.mp4")
    with session_scope() as db:
        db.exec(update(DownloadJob).where(DownloadJob.id == job_id).values(status=status, worker_id=worker_id))
    return str(job_id)


def stale_and_live_cookie_dirs() -> tuple[list[Path], list[Path]]:
    """(dirs no live worker uses, dirs a live worker's running job or check uses)."""
    with session_scope() as db:
        heartbeat.beat(db, LIVE)
    running, ended = job_on(LIVE, JobStatus.downloading), job_on(LIVE, JobStatus.done)
    stale = [make_cookie_dir(DEAD, "5"), make_cookie_dir(LIVE, ended), make_cookie_dir(cookie_dirs.NO_WORKER, "6")]
    return stale, [make_cookie_dir(LIVE, running), make_cookie_dir(LIVE, "check-x")]


async def test_cookie_dirs_no_live_worker_uses_are_swept_at_worker_start(burst_worker):
    stale, in_use = stale_and_live_cookie_dirs()
    async with burst_worker() as worker:
        await worker.main()
    assert [d for d in stale if d.exists()] == []
    assert not (cookie_dirs.root() / DEAD).exists()
    assert all((d / "cookies.txt").is_file() for d in in_use)


async def test_cookie_dirs_no_live_worker_uses_are_swept_by_the_reconcile_cron():
    stale, in_use = stale_and_live_cookie_dirs()
    pool = await create_pool(redis_settings())
    try:
        await reconcile_cron({"redis": pool})
    finally:
        await pool.aclose()
    assert [d for d in stale if d.exists()] == []
    assert all((d / "cookies.txt").is_file() for d in in_use)


@pytest.fixture
def ffmpeg_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FFMPEG is a wrapper that logs each command line, then runs the real ffmpeg."""
    log, wrapper = tmp_path / "ffmpeg-argv.log", tmp_path / "bin" / "ffmpeg"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" ---- >> "{log}"\nexec "{ffmpeg_exe()}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("FFMPEG", str(wrapper))
    ffmpeg_exe.cache_clear()
    yield log
    ffmpeg_exe.cache_clear()


async def test_a_cookie_protected_live_hls_downloads_natively_and_no_ffmpeg_sees_the_cookie(server, ffmpeg_log):
    """A playlist without #EXT-X-ENDLIST is live: yt-dlp gives live HLS to ffmpeg, cookies on its
    command line (``-cookies``). Here yt-dlp's own downloader fetches it, with the cookies."""
    vod = (server.root / "hls/index.m3u8").read_text().splitlines()
    live = [line for line in vod if line not in ("#EXT-X-ENDLIST", "#EXT-X-PLAYLIST-TYPE:VOD")]
    (server.root / "hls/live.m3u8").write_text("\n".join(live) + "\n")
    store_cookies()
    job = await run(server.url("/protected/hls/live.m3u8"))
    assert_done(job)
    assert [m.kind for m in media_of(job.id)] == ["video"]
    assert any(path.startswith("/protected/hls/index") and path.endswith(".ts") for path in server.requests)
    argv = ffmpeg_log.read_text()
    assert "-i" in argv.splitlines()  # ffmpeg did run (converting local files)
    assert COOKIE[0] not in argv and COOKIE[1] not in argv
    assert "http://" not in argv  # and never downloaded anything
