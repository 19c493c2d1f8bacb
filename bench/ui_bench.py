"""Web app budgets on a 100,000-media library (issue: the web app). Prints each number beside its
budget; nothing asserts. Results are recorded in bench/UI_RESULTS.md.

    .venv/bin/python -m bench.ui_bench [--count 100000]

Uses a fresh data directory with the embedded PostgreSQL/Redis (or DATABASE_URL/REDIS_URL, in a
fresh database), seeds it with bench.seed_media, then measures:
- feed first page / next page, and search: server time per request (p50, p95) through the real
  Starlette route, authentication and JSON included;
- the transfer of a page of 60 cards: its JSON plus the 60 thumbnails;
- in headless Chromium against the real app (launcher): opening the feed until the first cards'
  thumbnails are painted, and a job's progress change until the open dashboard shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ADMIN = ("bench", "bench-password-1")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def line(name: str, value: str, budget: str) -> None:
    print(f"{name:<46} {value:>22}   budget {budget}")


def report(name: str, samples_ms: list[float], budget: str) -> None:
    """p50 and p95 of a list of milliseconds, beside the budget."""
    line(name, f"{statistics.median(samples_ms):.1f} / {p95(samples_ms):.1f} ms", budget)


def prepare_environment(data_dir: Path) -> None:
    """Point this process at a fresh database in ``data_dir`` (or a fresh one on DATABASE_URL's server,
    whose name is kept in ``data_dir`` so that a rerun with --data-dir finds the seeded library)."""
    os.environ["MF_DATA_DIR"] = str(data_dir)
    os.environ["MF_ADMIN_USER"], os.environ["MF_ADMIN_PASSWORD"] = ADMIN
    if os.environ.get("DATABASE_URL"):
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(os.environ["DATABASE_URL"])
        kept = data_dir / "database"
        if kept.exists():
            name = kept.read_text().strip()
        else:
            name = f"mf_bench_{secrets.token_hex(3)}"
            admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            kept.write_text(name)
        os.environ["DATABASE_URL"] = url.set(database=name).render_as_string(False)


async def server_times(rounds: int) -> None:
    import httpx

    from mediafetcher_app.api import build_api
    from mediafetcher_app.core import auth
    from mediafetcher_app.core.db import session_scope

    with session_scope() as db:
        token = auth.create_token(db, auth.get_user(db, ADMIN[0]), "bench")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:

        async def timed(path: str) -> tuple[float, dict]:
            start = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
            response.raise_for_status()
            return elapsed, response.json()

        await timed("/api/v1/media?limit=60")  # warm the pool and caches
        first, later, deep = [], [], []
        cursor = None
        for _ in range(rounds):
            ms, page = await timed("/api/v1/media?limit=60")
            first.append(ms)
            cursor = page["next"]
        for _ in range(rounds):
            ms, page = await timed(f"/api/v1/media?limit=60&before={cursor}")
            later.append(ms)
            cursor = page["next"] or cursor
        for _ in range(rounds):
            ms, page = await timed(f"/api/v1/media?limit=60&kind=video&before={cursor}")
            deep.append(ms)
        report("feed first page, server p50 / p95", first, "p95 <= 30 ms")
        report("feed next pages, server p50 / p95", later, "p95 <= 30 ms")
        report("feed filtered next pages, server p50 / p95", deep, "p95 <= 30 ms")

        queries = [
            "cosp",
            "sunset",
            "night beach",
            "tik",
            "uploader12",
            "gui",
            "festival garden",
            "anime #9",
            "drone city",
            "mount",
        ]
        searches = []
        for n in range(rounds):
            ms, _ = await timed(f"/api/v1/media?limit=60&q={queries[n % len(queries)]}")
            searches.append(ms)
        report("search, server p50 / p95", searches, "p95 <= 50 ms")
        await filter_times(timed, rounds)

        _, page = await timed("/api/v1/media?limit=60")
        body = (await client.get("/api/v1/media?limit=60")).content
        thumbs = 0
        for item in page["items"]:
            thumbs += len((await client.get(f"/thumbs/{item['id']}")).content)
        total = (len(body) + thumbs) / 1024**2
        line(
            "page of 60 cards: JSON + thumbnails",
            f"{len(body) / 1024:.0f} KB + {thumbs / 1024**2:.2f} MB = {total:.2f} MB",
            "<= 1.5 MB",
        )


def filter_cases() -> dict[str, str]:
    """The issue-10 cases at scale: each a feed query string (first page of 60)."""
    from datetime import timedelta

    from sqlalchemy import func
    from sqlmodel import select

    from bench.seed_media import HALF_FOLDER
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import Folder, Media, utcnow

    with session_scope() as db:
        half = db.exec(select(Folder.id).where(Folder.name == HALF_FOLDER)).one()
        oldest = db.exec(select(func.min(Media.created_at))).one()
    # both ranges in the oldest tenth of the library: walking newest-first finds nothing for long
    week = (oldest + (utcnow() - oldest) / 10).date()
    return {
        "search + platform + tag (same query, one conn)": "q=cosp&platform=tiktok&tag=seed-cats",
        "search, one-letter prefix": "q=c",
        "posted date range (one week, old)": f"posted_from={week}&posted_to={week + timedelta(days=6)}",
        "downloaded date range (one week, old)": f"downloaded_from={week}&downloaded_to={week + timedelta(days=6)}",
        "folder holding half the library": f"folder_id={half}",
        "oldest first": "sort=oldest",
    }


async def filter_times(timed, rounds: int) -> None:
    """Each case ``rounds`` times in a row (psycopg prepares a statement from its 5th run)."""
    for name, query in filter_cases().items():
        samples = [(await timed(f"/api/v1/media?limit=60&{query}"))[0] for _ in range(max(rounds, 15))]
        report(name + ", p50 / p95", samples, "p95 <= 50 ms" if name.startswith("search") else "p95 <= 30 ms")


def figure_times(rounds: int) -> None:
    """The figures shown on every feed, settings and dashboard load, read as the pages read them."""
    from mediafetcher_app.core import auth, folders_tags, media_queries, overview
    from mediafetcher_app.core.db import session_scope

    with session_scope() as db:
        admin = auth.principal_for_token(db, auth.create_token(db, auth.get_user(db, ADMIN[0]), "bench figures"))
    figures = {
        "dashboard counters (admin, every job)": lambda db: overview.job_counters(db, admin),
        "storage per kind": media_queries.usage_by_kind,
        "platform list": media_queries.platform_options,
        "folder tree with counts": folders_tags.folder_tree,
        "tag counts": folders_tags.tag_summaries,
    }
    for name, figure in figures.items():
        samples = []
        with session_scope() as db:
            for _ in range(rounds):
                start = time.perf_counter()
                figure(db)
                samples.append((time.perf_counter() - start) * 1000)
        report(name + ", p50 / p95", samples, "p95 <= 50 ms")


def explain() -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the listing query of each case, as the app sends it."""
    from sqlalchemy import event

    from mediafetcher_app.core import media_queries
    from mediafetcher_app.core.db import get_engine, session_scope
    from mediafetcher_app.core.query_params import filter_from_query

    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, parameters))

    for name, query in filter_cases().items():
        params = dict(pair.split("=", 1) for pair in query.split("&"))
        seen.clear()
        event.listen(get_engine(), "before_cursor_execute", record)
        try:
            with session_scope() as db:
                media_queries.list_media(db, filter_from_query({**params, "limit": "60"}))
        finally:
            event.remove(get_engine(), "before_cursor_execute", record)
        statement, parameters = next((sql, args) for sql, args in seen if "ORDER BY" in sql)  # the listing
        with get_engine().connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
        print(f"\n### {name}: {query}\n" + "\n".join(plan))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(port: int, log: Path, **env: str) -> subprocess.Popen:
    """The real app (``cli run``: the production build and a worker) on ``port``, with ``env`` added."""
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", **env)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediafetcher_app.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return proc
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"app did not start; see {log}")


def browser_times(port: int, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    from mediafetcher_app.core import jobs
    from mediafetcher_app.core.auth import create_session, get_user, principal_for_session
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import JobStatus

    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#username", ADMIN[0])
        page.fill("#password", ADMIN[1])
        page.click("#login-submit")
        page.wait_for_selector(".mf-card img")
        paints = []
        for _ in range(rounds):
            page.goto(base + "/dashboard")
            page.wait_for_selector('.mf-shell:not([data-user=""])')
            start = time.perf_counter()
            page.goto(base + "/")
            page.wait_for_function(
                "() => { const img = document.querySelector('.mf-card img'); return img && img.complete; }"
            )
            paints.append((time.perf_counter() - start) * 1000)
        line(
            "open feed -> first cards painted, p50 / max",
            f"{statistics.median(paints):.0f} / {max(paints):.0f} ms",
            "<= 1500 ms",
        )

        with session_scope() as db:
            who = principal_for_session(db, create_session(db, get_user(db, ADMIN[0])))
            job_id = jobs.create_job(db, who, "https://example.com/bench.mp4").id
            jobs.claim(db, job_id, "bench")  # running, so the worker's reconcile leaves it alone
        page.goto(base + "/dashboard")
        page.wait_for_selector(".job-row")
        delays = []
        for step in range(1, rounds + 1):
            with session_scope() as db:
                jobs.transition(
                    db,
                    job_id,
                    JobStatus.downloading,
                    progress_bytes=step * 10_000,
                    progress_total=(rounds + 1) * 10_000,
                    stage="downloading",
                )
            start = time.perf_counter()
            page.wait_for_function(
                "(text) => [...document.querySelectorAll('.job-row')].some(r => r.textContent.includes(text))",
                arg=f"{step * 10_000 / 1024:.1f} KB",
            )
            delays.append((time.perf_counter() - start) * 1000)
            time.sleep(0.3)
        line(
            "progress change -> dashboard, p50 / max",
            f"{statistics.median(delays):.0f} / {max(delays):.0f} ms",
            "<= 1500 ms",
        )
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-browser", action="store_true", help="server times only")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each filter case")
    parser.add_argument("--data-dir", type=Path, help="keep the seeded library here and reuse it on the next run")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mf-ui-bench-"))
    reuse = (data_dir / "seeded").exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    prepare_environment(data_dir)
    from bench.seed_media import seed
    from mediafetcher_app.core.db import database_url
    from mediafetcher_app.core.queue import redis_url

    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url(), redis_url()
    if reuse:
        from mediafetcher_app.core.bootstrap import prepare

        prepare()  # migrations of this checkout over the kept library
    else:
        seed(args.count)
        (data_dir / "seeded").write_text(str(args.count))
    asyncio.run(server_times(args.rounds))
    figure_times(args.rounds)
    if args.explain:
        explain()
    if args.no_browser:
        return
    port = free_port()
    app = start_app(port, data_dir / "app.log")
    try:
        browser_times(port, min(args.rounds, 10))
    finally:
        os.killpg(app.pid, signal.SIGINT)
        app.wait(60)


if __name__ == "__main__":
    main()
