"""Intake under load (issue 10): many concurrent submits, then the worker's small-image rate.

    .venv/bin/python -m bench.intake_bench [--submits 200] [--rounds 3] [--app-workers 1]
        [--concurrency N ...] [--no-worker-rate]

Embedded PostgreSQL/Redis in a temp dir; our HTTP routes served by Granian (the ASGI server the
app ships with) on loopback; a real worker process (``arq worker.main.WorkerSettings``); tiny
distinct JPEGs on the tests' fixture server. Prints each number beside its budget; nothing asserts.

1. ``--submits`` POST /api/v1/downloads at once (one connection each), ``--rounds`` times, with
   the worker running: each answer's latency (p50, p95, max) and the requests per second; the
   CPU time per request of the API's processes and of PostgreSQL and Redis (a number other load
   on the machine hardly moves, unlike the latencies); then that every job is stored once and
   nothing was lost. ``--app-workers`` is the API's process count (GRANIAN_WORKERS, MF_APP_WORKERS).
2. For each ``--concurrency`` (MF_WORKER_CONCURRENCY): a fresh worker, ``--submits`` image URLs
   submitted at once, the jobs per second from the first submit until every job has ended.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from PIL import Image

from bench.services import fresh_services, services_cpu_seconds, tree_cpu_seconds
from bench.ui_bench import free_port, p95

ROOT = Path(__file__).resolve().parent.parent


def start_api(port: int, log: Path, workers: int = 1) -> subprocess.Popen:
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    command += ["mediafetcher_app.api:build_api"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"the API did not start; see {log}")


def start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, MF_WORKER_CONCURRENCY=str(concurrency))
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "arq", "worker.main.WorkerSettings"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(60)


def wait_for_worker() -> None:
    from mediafetcher_app.core.db import session_scope
    from worker import heartbeat

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with session_scope() as db:
            if heartbeat.live_worker_ids(db):
                return
        time.sleep(0.2)
    raise RuntimeError("no worker heartbeat")


def admin_token() -> str:
    from mediafetcher_app.core import auth
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import Role

    with session_scope() as db:
        return auth.create_token(db, auth.create_user(db, "bench", "bench password 123", Role.admin), "intake bench")


async def post(host: str, port: int, path: str, headers: dict[str, str], body: dict[str, object]) -> int:
    """One HTTP/1.1 POST on its own connection, answered status. Plain asyncio streams: a full
    client (httpx) costs the bench more CPU per request than the server spends, on the same cores."""
    payload = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write("\r\n".join(lines).encode() + payload)
        status = int((await reader.readline()).split()[1])
        await reader.read()  # headers and body, until the server closes
    finally:
        writer.close()
    return status


async def submit_all(base: str, token: str, urls: list[str]) -> tuple[list[float], float]:
    """Every URL posted at once, one connection each: (latencies in ms, wall seconds)."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    headers = {"Authorization": f"Bearer {token}"}

    async def one(url: str) -> float:
        start = time.perf_counter()
        status = await post(host, port, "/api/v1/downloads", headers, {"url": url})
        elapsed = (time.perf_counter() - start) * 1000
        if status != 202:
            raise RuntimeError(f"POST /api/v1/downloads answered {status}")
        return elapsed

    start = time.perf_counter()
    latencies = await asyncio.gather(*(one(url) for url in urls))
    return list(latencies), time.perf_counter() - start


def wait_all_ended(expected: int) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import ACTIVE_STATUSES, DownloadJob

    while True:
        with session_scope() as db:
            total = db.exec(select(func.count()).select_from(DownloadJob)).one()
            active = db.exec(
                select(func.count()).select_from(DownloadJob).where(DownloadJob.status.in_(ACTIVE_STATUSES))  # type: ignore[attr-defined]
            ).one()
        if total >= expected and active == 0:
            return
        time.sleep(0.05)


def outcome() -> dict[str, int]:
    from sqlalchemy import func
    from sqlmodel import select

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob

    with session_scope() as db:
        rows = db.exec(select(DownloadJob.status, func.count()).group_by(DownloadJob.status)).all()
    return {status.value: n for status, n in rows}


def clear_jobs() -> None:
    from sqlalchemy import text

    from mediafetcher_app.core.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("TRUNCATE media, source, download_job, event CASCADE"))


def line(name: str, value: str, budget: str) -> None:
    print(f"{name:<52} {value:>26}   budget {budget}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--app-workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[os.cpu_count() or 2])
    parser.add_argument("--no-worker-rate", action="store_true", help="skip part 2")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="mf-intake-bench-"))
    from mediafetcher_app.core import embedded
    from tests.fixtures.server import FixtureServer

    site = data_dir / "site"
    (site / "img").mkdir(parents=True)
    count = args.submits * args.rounds
    for index in range(count):
        Image.new("RGB", (64, 48), (index % 256, index * 7 % 256, index * 13 % 256)).save(site / f"img/{index}.jpg")
    server = FixtureServer(site).start()
    api = worker = None
    try:
        fresh_services(data_dir, YTDLP_NO_PLUGINS="1", MF_BLOCK_PRIVATE_URLS="false")
        port = free_port()
        token = admin_token()
        base = f"http://127.0.0.1:{port}"
        api = start_api(port, data_dir / "api.log", args.app_workers)
        api_process = psutil.Process(api.pid)
        print(f"cores: {os.cpu_count()}; {args.submits} submits at once, {args.rounds} rounds", flush=True)
        print(f"API processes: {args.app_workers}; load average: {os.getloadavg()}", flush=True)
        worker = start_worker(args.concurrency[0], data_dir / "worker.log")
        wait_for_worker()
        latencies: list[float] = []
        rates = []
        api_cpu = services_cpu = client_cpu = 0.0
        for round_no in range(args.rounds):
            urls = [server.url(f"/img/{i}.jpg") for i in range(round_no * args.submits, (round_no + 1) * args.submits)]
            before = tree_cpu_seconds(api_process), services_cpu_seconds(data_dir), time.process_time()
            samples, wall = asyncio.run(submit_all(base, token, urls))
            client_cpu += time.process_time() - before[2]
            api_cpu += tree_cpu_seconds(api_process) - before[0]
            services_cpu += services_cpu_seconds(data_dir) - before[1]
            latencies += samples
            rates.append(len(samples) / wall)
        line(
            f"POST /api/v1/downloads x{args.submits} at once, p50 / p95",
            f"{statistics.median(latencies):.0f} / {p95(latencies):.0f} ms",
            "p95 <= 200 ms",
        )
        line("  max; requests per second", f"{max(latencies):.0f} ms; {statistics.median(rates):.0f}/s", "")
        line(
            "  CPU per request: API / PostgreSQL+Redis / this client",
            f"{api_cpu / count * 1000:.1f} / {services_cpu / count * 1000:.1f} / {client_cpu / count * 1000:.1f} ms",
            "",
        )
        wait_all_ended(count)
        done = outcome()
        line("  jobs stored / ended", f"{sum(done.values())} of {count}: {done}", "all, each once")
        stop(worker)
        worker = None

        for concurrency in [] if args.no_worker_rate else args.concurrency:
            clear_jobs()
            worker = start_worker(concurrency, data_dir / "worker.log")
            wait_for_worker()
            urls = [server.url(f"/img/{i}.jpg") for i in range(args.submits)]
            start = time.perf_counter()
            asyncio.run(submit_all(base, token, urls))
            wait_all_ended(args.submits)
            elapsed = time.perf_counter() - start
            stop(worker)
            worker = None
            done = outcome()
            line(
                f"small-image jobs/s, MF_WORKER_CONCURRENCY={concurrency}",
                f"{args.submits / elapsed:.1f}/s ({done.get('done', 0)} done)",
                ">= 30/s",
            )
    finally:
        if worker is not None:
            stop(worker)
        if api is not None:
            stop(api)
        server.stop()
        embedded.stop_redis(data_dir)
        embedded.stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
