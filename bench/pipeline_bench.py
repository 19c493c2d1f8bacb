"""Pipeline budgets (see the issue), measured against the same local fixture server.

Run: ``.venv/bin/python -m bench.pipeline_bench [--images 100] [--jobs 200]``. Starts embedded
PostgreSQL/Redis in a temporary data dir and a real worker process; prints each number beside its
budget. Nothing here asserts: the numbers are recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from PIL import Image

BENCH_CACHE = Path(__file__).parent / ".cache"
ROOT = Path(__file__).resolve().parent.parent


def make_big_mp4(path: Path, megabytes: int = 50) -> Path:
    """A ~50 MB H.264/AAC faststart MP4 (cached between runs)."""
    from mediafetcher_app.core.ffmpeg import ffmpeg_exe

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds = 20
    rate = megabytes * 8 * 1000 // seconds - 128
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast"]
    command += ["-b:v", f"{rate}k", "-minrate", f"{rate}k", "-maxrate", f"{rate}k", "-bufsize", f"{rate}k"]
    command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path)]
    subprocess.run(command, check=True)
    return path


def setup_services(data_dir: Path) -> None:
    # the fixture server is on 127.0.0.1, a private address: allow LAN sources (the egress proxy
    # still carries every connection)
    os.environ.update(
        MF_DATA_DIR=str(data_dir), YTDLP_NO_PLUGINS="1", MF_SECRET_KEY="bench", MF_BLOCK_PRIVATE_URLS="false"
    )
    for name in ("DATABASE_URL", "REDIS_URL", "MF_MEDIA_ROOT"):
        os.environ.pop(name, None)
    from mediafetcher_app.core import bootstrap
    from mediafetcher_app.core.db import database_url
    from mediafetcher_app.core.queue import redis_url
    from mediafetcher_app.core.settings import get_settings

    get_settings.cache_clear()
    os.environ["DATABASE_URL"] = database_url()
    os.environ["REDIS_URL"] = redis_url()
    get_settings.cache_clear()
    bootstrap.ensure_directories(get_settings())
    bootstrap.upgrade_to_head()


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


async def run_jobs(urls: list[str]) -> float:
    """Seconds from enqueueing every URL until every job row has ended."""
    from sqlmodel import col, select

    from mediafetcher_app.core import auth, jobs
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob, Role, User
    from worker.client import enqueue

    with session_scope() as db:
        user = db.exec(select(User).where(User.username == "bench")).first()
        user = user or auth.create_user(db, "bench", "bench password 123", Role.admin)
        principal = auth.Principal(user.id, user.username, Role.admin, frozenset(auth.Scope.ALL))
    started = time.perf_counter()
    ids = []
    for url in urls:
        with session_scope() as db:
            ids.append(jobs.create_job(db, principal, url).id)
        await enqueue(ids[-1])
    while True:
        with session_scope() as db:
            rows = db.exec(select(DownloadJob.status).where(col(DownloadJob.id).in_(ids))).all()
        if all(status.is_final for status in rows):
            break
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    with session_scope() as db:
        failed = db.exec(select(DownloadJob).where(col(DownloadJob.id).in_(ids), DownloadJob.status != "done")).all()
    if failed:
        print(f"  ! {len(failed)} job(s) did not finish: {failed[0].error_message} {failed[0].error_detail}")
    return elapsed


def clear_media() -> None:
    from mediafetcher_app.core.db import get_engine
    from mediafetcher_app.core.settings import get_settings

    settings = get_settings()
    for path in (settings.final_dir, settings.thumbs_dir):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    with get_engine().begin() as conn:
        from sqlalchemy import text

        conn.execute(text("TRUNCATE media, source, download_job, event CASCADE"))


def rss_mb(process: psutil.Process) -> float:
    """RSS of the worker process alone (engine children are separate, short-lived processes)."""
    return process.memory_info().rss / 1024**2


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="mf-bench-"))
    setup_services(data_dir)
    from mediafetcher_app.core import embedded, storage
    from tests.fixtures.server import FixtureServer

    site = data_dir / "site"
    (site / "img").mkdir(parents=True)
    (site / "media").mkdir()
    big = make_big_mp4(BENCH_CACHE / "big-50mb.mp4")
    shutil.copy(big, site / "media/big.mp4")
    for index in range(max(args.images, args.jobs)):
        Image.new("RGB", (64, 48), (index % 256, index * 7 % 256, index * 13 % 256)).save(site / f"img/{index}.jpg")
    server = FixtureServer(site).start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "arq", "worker.settings.WorkerSettings"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc = psutil.Process(worker.pid)
    try:
        await asyncio.sleep(4)
        results: list[tuple[str, str, str]] = []

        # 1. end-to-end MP4 vs plain yt-dlp
        url = server.url("/media/big.mp4")
        out = data_dir / "plain"
        plain = min(
            timed([sys.executable, "-m", "yt_dlp", "-q", "--no-cache-dir", "-o", str(out / f"{i}.%(ext)s"), url])
            for i in range(3)
        )
        e2e = []
        for _ in range(3):
            clear_media()
            e2e.append(await run_jobs([url]))
        ratio = min(e2e) / plain
        results.append(
            ("50 MB MP4 enqueue->done / plain yt-dlp", f"{min(e2e):.2f} s / {plain:.2f} s = {ratio:.2f}", "<= 1.15")
        )

        # 2. SHA-256 throughput vs sha256sum
        sample = data_dir / "hash.bin"
        with sample.open("wb") as handle:
            for _ in range(8):
                handle.write(big.read_bytes())
        ours = min(timed_call(storage.sha256_file, sample) for _ in range(3))
        theirs = min(timed(["sha256sum", str(sample)]) for _ in range(3))
        size_mb = sample.stat().st_size / 1024**2
        results.append(
            (
                "SHA-256 MB/s: ours vs sha256sum",
                f"{size_mb / ours:.0f} vs {size_mb / theirs:.0f} = {theirs / ours:.0%}",
                ">= 80%",
            )
        )

        # 3. 100 direct image URLs vs one gallery-dl process
        urls = [server.url(f"/img/{i}.jpg") for i in range(args.images)]
        listing = data_dir / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        gdl = timed([sys.executable, "-m", "gallery_dl", "-q", "-d", str(data_dir / "gdl"), "-i", str(listing)])
        clear_media()
        ours_images = await run_jobs(urls)
        results.append(
            (
                f"{args.images} image URLs: worker vs one gallery-dl",
                f"{ours_images:.2f} s / {gdl:.2f} s = {ours_images / gdl:.2f}",
                "<= 1.5",
            )
        )

        # 4. worker RSS idle and after many jobs
        clear_media()
        await asyncio.sleep(2)
        idle = rss_mb(proc)
        jobs_urls = [server.url(f"/img/{i}.jpg") for i in range(args.jobs)]
        await run_jobs(jobs_urls[: args.jobs // 2])
        middle = rss_mb(proc)
        clear_media()
        await run_jobs(jobs_urls[args.jobs // 2 :])
        await asyncio.sleep(2)
        after = rss_mb(proc)
        results.append(("worker RSS idle", f"{idle:.0f} MB", "<= 150 MB"))
        results.append(
            (f"worker RSS after {args.jobs // 2} / {args.jobs} jobs", f"{middle:.0f} MB / {after:.0f} MB", "no growth")
        )
        print()
        for name, value, budget in results:
            print(f"{name:<45} {value:<32} budget {budget}")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        server.stop()
        embedded.stop_redis(data_dir)
        embedded.stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def timed_call(function, *args) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


if __name__ == "__main__":
    asyncio.run(main())
