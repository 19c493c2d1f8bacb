"""Pipeline budgets (see the issue), measured against the same local fixture server.

Run: ``.venv/bin/python -m bench.pipeline_bench [--cases CASE,...]`` (cases: batch, latency, cancel, rss,
transcode, mp4, hash, images, throughput).
Starts embedded PostgreSQL/Redis in a temporary data dir and a real worker process
(MF_WORKER_CONCURRENCY=3, or ``--concurrency``); prints each number beside its budget. Nothing here asserts: the
numbers are recorded in bench/PIPELINE_RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from PIL import Image

from bench.services import services_cpu_seconds, tree_cpu_seconds

BENCH_CACHE = Path(__file__).parent / ".cache"
ROOT = Path(__file__).resolve().parent.parent


def make_mp4(path: Path, megabytes: int, seconds: int, index: int = 0) -> Path:
    """A ~``megabytes`` MB 720p H.264/AAC faststart MP4 whose picture and tone differ by ``index``
    (cached between runs)."""
    from mediafetcher_app.core.ffmpeg import ffmpeg_exe

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = megabytes * 8 * 1000 // seconds - 128
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency={440 + 40 * index}:duration={seconds}"]
    command += ["-vf", f"hue=h={index * 50}", "-c:v", "libx264", "-preset", "ultrafast"]
    command += ["-b:v", f"{rate}k", "-minrate", f"{rate}k", "-maxrate", f"{rate}k", "-bufsize", f"{rate}k"]
    command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path)]
    subprocess.run(command, check=True)
    return path


def transcode_speed(work: Path, seconds: int = 10) -> tuple[float, int]:
    """x real time of a 720p VP9/Opus -> H.264/AAC conversion (the pipeline's own), and its threads."""
    from mediafetcher_app.core.ffmpeg import ffmpeg_exe, threads_per_job
    from worker.engines.mp4 import make_playable

    source = BENCH_CACHE / f"vp9-720p-{seconds}s.webm"
    if not source.exists():
        command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
        command += ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}"]
        command += ["-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "libvpx-vp9", "-deadline", "realtime"]
        command += ["-cpu-used", "8", "-b:v", "2M", "-pix_fmt", "yuv420p", "-c:a", "libopus", str(source)]
        subprocess.run(command, check=True)
    copy = work / "transcode.webm"
    shutil.copy(source, copy)
    started = time.perf_counter()
    make_playable(copy)
    return seconds / (time.perf_counter() - started), threads_per_job()


def setup_services(data_dir: Path, concurrency: int) -> None:
    # the fixture server is on 127.0.0.1, a private address: allow LAN sources (the egress proxy
    # still carries every connection)
    os.environ.update(
        MF_DATA_DIR=str(data_dir),
        YTDLP_NO_PLUGINS="1",
        MF_SECRET_KEY="bench",
        MF_BLOCK_PRIVATE_URLS="false",
        MF_WORKER_CONCURRENCY=str(concurrency),
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
    bootstrap.prepare(get_settings())


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_principal():  # type: ignore[no-untyped-def]
    """The admin every bench job is made by (created on first use)."""
    from sqlmodel import select

    from mediafetcher_app.core import auth
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import Role, User

    with session_scope() as db:
        user = db.exec(select(User).where(User.username == "bench")).first()
        user = user or auth.create_user(db, "bench", "bench password 123", Role.admin)
        return auth.Principal(user.id, user.username, Role.admin, frozenset(auth.Scope.ALL))


async def run_jobs(urls: list[str]) -> float:
    """Seconds from enqueueing every URL, one after the other, until every job row has ended."""
    from mediafetcher_app.core import jobs
    from mediafetcher_app.core.db import session_scope
    from worker.client import enqueue

    principal = bench_principal()
    started = time.perf_counter()
    ids = []
    for url in urls:
        with session_scope() as db:
            ids.append(jobs.create_job(db, principal, url).id)
        await enqueue(ids[-1])
    return await wait_done(ids, started)


async def wait_done(ids: list[int], started: float) -> float:
    """Seconds since ``started`` once every job row of ``ids`` has ended (failures are printed)."""
    from sqlalchemy import ARRAY, Integer, any_, bindparam, func
    from sqlmodel import col, select

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import FINAL_STATUSES, DownloadJob

    # one count a poll, the ids as one array: the bench shares the cores with the worker it times
    # (reading every row's status each poll took a third of a core at 1,500 jobs)
    ended = select(func.count()).where(
        col(DownloadJob.id) == any_(bindparam("ids", ids, type_=ARRAY(Integer))),
        col(DownloadJob.status).in_(FINAL_STATUSES),
    )
    while True:
        with session_scope() as db:
            if db.exec(ended).one() == len(set(ids)):
                break
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    with session_scope() as db:
        failed = db.exec(select(DownloadJob).where(col(DownloadJob.id).in_(ids), DownloadJob.status != "done")).all()
    if failed:
        print(f"  ! {len(failed)} job(s) did not finish: {failed[0].error_message} {failed[0].error_detail}")
    return elapsed


async def cancel_seconds(url: str) -> float:
    """Seconds from a cancel request on a downloading job until its engine's process group is gone.
    The job runs in this process, as the worker runs it, so that its group leaders are known."""
    from mediafetcher_app.core import jobs
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob, JobStatus
    from worker.engines import runner
    from worker.tasks import download

    principal = bench_principal()
    with session_scope() as db:
        job_id = jobs.create_job(db, principal, url).id
    task = asyncio.create_task(download({"worker_id": "bench-cancel"}, job_id))
    while True:
        with session_scope() as db:
            job = db.get(DownloadJob, job_id)
            if job.status == JobStatus.downloading and job.progress_bytes and runner.running_pids:
                break
        await asyncio.sleep(0.02)
    group = [psutil.Process(pid) for pid in runner.running_pids]
    with session_scope() as db:
        jobs.request_cancel(db, principal, job_id)
    started = time.perf_counter()
    await task
    psutil.wait_procs(group, timeout=60)
    return time.perf_counter() - started


def cold_clis(urls: list[str], out: Path, at_a_time: int = 3) -> float:
    """Seconds for one cold ``yt-dlp`` CLI per URL, ``at_a_time`` running at once."""
    started = time.perf_counter()
    pending = list(enumerate(urls))
    running: list[subprocess.Popen[bytes]] = []
    while pending or running:
        while pending and len(running) < at_a_time:
            index, url = pending.pop(0)
            command = [sys.executable, "-m", "yt_dlp", "-q", "--no-cache-dir", "-o", str(out / f"{index}.%(ext)s"), url]
            running.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        running[0].wait()
        running = [process for process in running if process.poll() is None]
    return time.perf_counter() - started


def cli_cpu_seconds() -> float:
    """CPU time of the bench's reaped children (the yt-dlp CLIs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def engine_rss_mb(worker: psutil.Process) -> float:
    """RSS of the worker's engine processes (warm servers or spares), idle between jobs."""
    engines = [child for child in worker.children() if "worker.engines" in " ".join(child.cmdline())]
    return sum(child.memory_info().rss for child in engines) / 1024**2


async def rss_case(
    results: list[tuple[str, str, str]], proc: psutil.Process, server, jobs: int, *, engines: bool
) -> None:  # type: ignore[no-untyped-def]
    """Worker RSS (and the engine servers') before and every quarter of ``jobs`` small image jobs:
    fetched by the worker itself, or (``engines``) through a redirect that yt-dlp probes and hands
    to gallery-dl, two forked engine children per job."""
    clear_media()
    await asyncio.sleep(2)
    samples, engine_samples = [rss_mb(proc)], [engine_rss_mb(proc)]
    urls = [server.url(f"/img/{i}.jpg") for i in range(jobs)]
    if engines:
        urls = [server.url(f"/redirect/p{i}?to={url}") for i, url in enumerate(urls)]
    step = max(1, jobs // 4)
    for start in range(0, jobs, step):
        await run_jobs(urls[start : start + step])
        samples.append(rss_mb(proc))
        engine_samples.append(engine_rss_mb(proc))
    how = "via yt-dlp + gallery-dl" if engines else "direct"
    add(results, (f"worker RSS idle ({how})", f"{samples[0]:.0f} MB (engines {engine_samples[0]:.0f} MB)", "<= 150 MB"))
    add(
        results,
        (
            f"worker / engines RSS every {step} of {jobs} jobs",
            " / ".join(f"{sample:.0f}" for sample in samples[1:])
            + " MB; "
            + " / ".join(f"{sample:.0f}" for sample in engine_samples[1:])
            + " MB",
            "no growth",
        ),
    )


async def throughput_case(
    results: list[tuple[str, str, str]], proc: psutil.Process, server, data_dir: Path, jobs: int, concurrency: int
) -> None:  # type: ignore[no-untyped-def]
    """Small-image jobs per second: ``jobs`` distinct 64x48 JPEG links (fetched by the worker
    itself), their rows stored first, then all enqueued at once, until every row is done; and the
    CPU the worker process tree (and PostgreSQL/Redis) spent per job, which the machine's other
    load does not change much."""
    from mediafetcher_app.core import jobs as job_rows
    from mediafetcher_app.core.db import session_scope
    from worker.client import enqueue

    clear_media()
    await run_jobs([server.url("/img/0.jpg")])  # warm: the clock starts on a worker that has run a job
    clear_media()
    urls = [server.url(f"/img/{i}.jpg") for i in range(jobs)]
    principal = bench_principal()
    with session_scope() as db:
        ids = [job_rows.create_job(db, principal, url).id for url in urls]
    before, services_before = tree_cpu_seconds(proc), services_cpu_seconds(data_dir)
    started = time.perf_counter()
    await asyncio.gather(*(enqueue(job_id) for job_id in ids))
    enqueued = time.perf_counter() - started
    elapsed = await wait_done(ids, started)
    worker_cpu = (tree_cpu_seconds(proc) - before) / jobs
    services_cpu = (services_cpu_seconds(data_dir) - services_before) / jobs
    rate = f"{jobs / elapsed:.1f} (all enqueued in {enqueued:.2f} s)"
    add(results, (f"{jobs} small images, concurrency {concurrency}: jobs/s", rate, ">= 30"))
    add(
        results,
        (
            "CPU ms per small-image job: worker tree / PG+Redis",
            f"{worker_cpu * 1000:.1f} / {services_cpu * 1000:.1f} ms",
            "-",
        ),
    )


def clear_media() -> None:
    from mediafetcher_app.core.db import get_engine
    from mediafetcher_app.core.settings import get_settings

    settings = get_settings()
    for path in (settings.final_dir, settings.thumbs_dir):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

    # the worker's library-view follower may still be writing the last job's rows: a deadlock is retried
    for attempt in Retrying(
        retry=retry_if_exception_type(OperationalError), stop=stop_after_attempt(5), wait=wait_fixed(0.2), reraise=True
    ):
        with attempt, get_engine().begin() as conn:
            conn.execute(text("TRUNCATE media, source, download_job, event CASCADE"))


def rss_mb(process: psutil.Process) -> float:
    """RSS of the worker process alone (engine children are separate, short-lived processes)."""
    return process.memory_info().rss / 1024**2


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="batch,latency,cancel,rss,transcode,mp4,hash,images")
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--rss-jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--throughput-jobs", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=3, help="MF_WORKER_CONCURRENCY of the worker")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    data_dir = Path(tempfile.mkdtemp(prefix="mf-bench-"))
    setup_services(data_dir, args.concurrency)
    from mediafetcher_app.core import embedded, storage
    from tests.fixtures.server import FixtureServer

    site = data_dir / "site"
    (site / "img").mkdir(parents=True)
    (site / "media").mkdir()
    big = make_mp4(BENCH_CACHE / "big-50mb.mp4", 50, 20)
    shutil.copy(big, site / "media/big.mp4")
    for index in range(6):
        shutil.copy(make_mp4(BENCH_CACHE / f"small-{index}.mp4", 8, 8, index), site / f"media/small{index}.mp4")
    for index in range(max(args.images, args.rss_jobs, args.throughput_jobs)):
        Image.new("RGB", (64, 48), (index % 256, index * 7 % 256, index * 13 % 256)).save(site / f"img/{index}.jpg")
    server = FixtureServer(site).start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "arq", "worker.main.WorkerSettings"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc = psutil.Process(worker.pid)
    try:
        await asyncio.sleep(4)
        results: list[tuple[str, str, str]] = []

        small = [server.url(f"/media/small{i}.mp4") for i in range(6)]
        if "batch" in cases:
            await run_jobs([server.url("/img/0.jpg")])  # the worker has run a job before the clock starts
            clis, ours_batch, cli_cpu, our_cpu = [], [], [], []
            for round_ in range(3):
                before = cli_cpu_seconds()
                clis.append(cold_clis(small, data_dir / f"cli{round_}"))
                cli_cpu.append((cli_cpu_seconds() - before) / len(small))
                clear_media()
                before = tree_cpu_seconds(proc)
                ours_batch.append(await run_jobs(small))
                our_cpu.append((tree_cpu_seconds(proc) - before) / len(small))
            best, cli_best = min(ours_batch), min(clis)
            add(
                results,
                (
                    "6 x 8 MB MP4, 3 at a time: ours / 3 cold CLIs",
                    f"{best:.2f} s / {cli_best:.2f} s = {best / cli_best:.2f}",
                    "<= 0.4",
                ),
            )
            add(results, ("CPU s per job: worker tree / one CLI", f"{min(our_cpu):.2f} / {min(cli_cpu):.2f}", "-"))
        if "latency" in cases:
            rounds, cpu = [], []
            for round_ in range(args.rounds):
                clear_media()
                before = tree_cpu_seconds(proc)
                rounds.append(await run_jobs([small[round_ % len(small)]]))
                cpu.append(tree_cpu_seconds(proc) - before)
            add(
                results,
                (
                    f"1 x 8 MB MP4 enqueue->done, {args.rounds} rounds",
                    f"p50 {percentile(rounds, 0.5):.2f} s, p95 {percentile(rounds, 0.95):.2f} s",
                    "<= 0.35 s",
                ),
            )
            add(results, ("  its CPU s, worker tree: p50", f"{percentile(cpu, 0.5):.2f} s", "-"))
        if "cancel" in cases:
            waits = []
            for _ in range(args.rounds):
                clear_media()
                waits.append(await cancel_seconds(server.url("/throttle/media/big.mp4?rate=1000000")))
            add(results, ("cancel -> engine group gone", f"max {max(waits):.2f} s of {args.rounds}", "<= 3 s"))
        if "mp4" in cases:
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
            add(
                results,
                (
                    "50 MB MP4 enqueue->done / plain yt-dlp",
                    f"{min(e2e):.2f} s / {plain:.2f} s = {ratio:.2f}",
                    "<= 1.15",
                ),
            )

        if "hash" in cases:
            sample = data_dir / "hash.bin"
            with sample.open("wb") as handle:
                for _ in range(8):
                    handle.write(big.read_bytes())
            ours = min(timed_call(storage.sha256_file, sample) for _ in range(3))
            theirs = min(timed(["sha256sum", str(sample)]) for _ in range(3))
            size_mb = sample.stat().st_size / 1024**2
            add(
                results,
                (
                    "SHA-256 MB/s: ours vs sha256sum",
                    f"{size_mb / ours:.0f} vs {size_mb / theirs:.0f} = {theirs / ours:.0%}",
                    ">= 80%",
                ),
            )

        if "images" in cases:
            urls = [server.url(f"/img/{i}.jpg") for i in range(args.images)]
            listing = data_dir / "urls.txt"
            listing.write_text("\n".join(urls) + "\n")
            gdl = timed([sys.executable, "-m", "gallery_dl", "-q", "-d", str(data_dir / "gdl"), "-i", str(listing)])
            clear_media()
            ours_images = await run_jobs(urls)
            add(
                results,
                (
                    f"{args.images} image URLs: worker vs one gallery-dl",
                    f"{ours_images:.2f} s / {gdl:.2f} s = {ours_images / gdl:.2f}",
                    "<= 1.5",
                ),
            )

        if "throughput" in cases:
            await throughput_case(results, proc, server, data_dir, args.throughput_jobs, args.concurrency)

        if "transcode" in cases:
            speed, threads = transcode_speed(data_dir)
            add(results, ("720p VP9 -> H.264 transcode speed", f"{speed:.2f}x real time ({threads} threads)", "-"))
        for case, engines in (("rss", False), ("rss-engines", True)):
            if case in cases:
                await rss_case(results, proc, server, args.rss_jobs, engines=engines)
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


def add(results: list[tuple[str, str, str]], row: tuple[str, str, str]) -> None:
    """Keep ``row`` for the summary and print it now (a long run shows its numbers as they come)."""
    results.append(row)
    print(f"{row[0]:<45} {row[1]:<32} budget {row[2]}", flush=True)


def timed_call(function, *args) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


if __name__ == "__main__":
    asyncio.run(main())
