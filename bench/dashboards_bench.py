"""Live updates end to end (issue 10): how soon open dashboards see a job end, and what each push
costs a viewer in bytes. Prints each number beside its budget; nothing asserts.

    .venv/bin/python -m bench.dashboards_bench [--viewers 50] [--jobs 40] [--batch 5] [--browser]

Starts the real product (``python -m mediafetcher_app.cli run``: the Reflex app built for
production, its broadcaster and a worker) on embedded PostgreSQL/Redis in a temp dir. ``--viewers``
light clients sign in as the admin and each opens the dashboard as a browser tab does: Reflex's
websocket (Engine.IO 4 / Socket.IO 5 framing), the hydrate-and-load event a tab sends on connect
(the page's load handlers then run on the server). Then ``--jobs`` small-image downloads are
submitted through the API, ``--batch`` at a time, and every viewer's clock runs from the job's
``finished_at`` (the database's clock, on this machine) until a push shows that job as done. A
light client does no rendering; with ``--browser`` the viewers are Chromium tabs instead, and each
tab's clock stops when its "Succeeded" counter changes in the page (a MutationObserver: React has
applied the push).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from bench.intake_bench import admin_token, post
from bench.services import fresh_services
from bench.ui_bench import free_port, line, p95, start_app

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin", "bench admin password 1")
DASHBOARD_STATE = "dashboard____dashboard_state"  # the end of the dashboard's substate name in a delta
NAMESPACE = "/_event"  # Reflex's Socket.IO namespace: every packet names it


@dataclass
class Viewer:
    """One open dashboard: when it first showed each job as a done row, when its done counter
    moved, and the bytes of every push."""

    seen_done: dict[int, float] = field(default_factory=dict)
    done_counts: list[tuple[float, int]] = field(default_factory=list)
    push_bytes: list[int] = field(default_factory=list)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)

    def saw_end(self, ended: list[tuple[float, int]], before: int) -> dict[int, float]:
        """When this dashboard first showed each of ``ended`` (finish time, job id: in the order
        they finished) as done: as a row, or as its done counter reaching that job's rank. A burst
        of ends can push a job past the 50-row list between two pushes; the counter still shows it."""
        seen = dict(self.seen_done)
        for rank, (_, job_id) in enumerate(ended, start=before + 1):
            counted = next((at for at, done in self.done_counts if done >= rank), None)
            if counted is not None:
                seen[job_id] = min(seen.get(job_id, counted), counted)
        return seen


def done_count(delta: dict[str, dict[str, object]]) -> int | None:
    """The dashboard's done counter, when a delta carries it."""
    for name, values in delta.items():
        counters = values.get("counters_rx_state_") if name.endswith(DASHBOARD_STATE) else None
        if isinstance(counters, dict) and isinstance(counters.get("done"), int):
            return counters["done"]
    return None


def done_jobs(value: object) -> set[int]:
    """Ids of the jobs a pushed delta shows as done, wherever in the state they are."""
    found: set[int] = set()
    if isinstance(value, dict):
        if value.get("status") == "done" and isinstance(value.get("id"), int):
            found.add(value["id"])
        for item in value.values():
            found |= done_jobs(item)
    elif isinstance(value, list):
        for item in value:
            found |= done_jobs(item)
    return found


def event_frame(event: dict[str, object]) -> str:
    """A Socket.IO EVENT packet carrying one Reflex event, as the frontend sends it."""
    routed = {**event, "router_data": {"pathname": "/dashboard", "asPath": "/dashboard"}}
    return f"42{NAMESPACE}," + json.dumps(["event", routed])


async def open_dashboard(base: str, cookie: str, viewer: Viewer, hydrate: str) -> None:
    """Keep one dashboard tab open until cancelled: answer pings, echo the load events, record pushes."""
    from websockets.asyncio.client import connect

    address = base.replace("http://", "ws://") + f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
    async with connect(address, origin=base, additional_headers={"Cookie": cookie}, max_size=None) as socket:
        await socket.send(f"40{NAMESPACE},")
        async for frame in socket:
            if frame == "2":
                await socket.send("3")
            elif frame.startswith(f"40{NAMESPACE},"):
                await socket.send(event_frame({"name": hydrate, "payload": {}}))
            elif frame.startswith(f"42{NAMESPACE},"):
                kind, update = json.loads(frame[len(NAMESPACE) + 3 :])[:2]
                if kind != "event":
                    continue
                viewer.push_bytes.append(len(frame))
                for event in update.get("events") or []:
                    await socket.send(event_frame(event))
                now, delta = time.time(), update.get("delta") or {}
                for job_id in done_jobs(delta):
                    viewer.seen_done.setdefault(job_id, now)
                if (done := done_count(delta)) is not None:
                    viewer.done_counts.append((now, done))
                if any(name.endswith(DASHBOARD_STATE) for name in delta):
                    viewer.loaded.set()


def done_before(viewers: list[Viewer]) -> int:
    """The done counter every dashboard showed before the measured jobs (the same for all)."""
    counts = {viewer.done_counts[-1][1] if viewer.done_counts else 0 for viewer in viewers}
    if len(counts) != 1:
        raise RuntimeError(f"the dashboards disagree on the done counter before the run: {counts}")
    return counts.pop()


def sign_in(base: str) -> str:
    """The admin's session cookie, as the sign-in form's POST sets it."""
    from mediafetcher_app.core import auth

    request = urllib.request.Request(
        base + "/auth/login",
        data=json.dumps({"username": ADMIN[0], "password": ADMIN[1]}).encode(),
        headers={"Content-Type": "application/json", "Origin": base},
    )
    with urllib.request.urlopen(request) as answer:
        cookies = [value.split(";")[0] for name, value in answer.headers.items() if name.lower() == "set-cookie"]
    return next(cookie for cookie in cookies if cookie.startswith(auth.SESSION_COOKIE + "="))


def finished_at(job_ids: list[int]) -> dict[int, float]:
    from sqlmodel import col, select

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob, JobStatus

    with session_scope() as db:
        rows = db.exec(select(DownloadJob).where(col(DownloadJob.id).in_(job_ids))).all()
    return {job.id: job.finished_at.timestamp() for job in rows if job.status == JobStatus.done and job.finished_at}


async def submit(base: str, token: str, url: str) -> int:
    """POST one download; its job id (the API answers 202 with the job)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    status = await post(
        parts.hostname or "", parts.port or 80, "/api/v1/downloads", {"Authorization": f"Bearer {token}"}, {"url": url}
    )
    if status != 202:
        raise RuntimeError(f"POST /api/v1/downloads answered {status}")
    from sqlalchemy import func
    from sqlmodel import select

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob

    with session_scope() as db:
        return int(db.exec(select(func.max(DownloadJob.id)).where(DownloadJob.url == url)).one())


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# In each tab: record (ms since the epoch, value) whenever the "Succeeded" counter's number changes.
WATCH_DONE_COUNTER = """() => {
  const label = [...document.querySelectorAll("p, span")].find((e) => e.textContent.trim() === "Succeeded");
  const value = label.parentElement.querySelector("h1, h2, h3, h4, h5, h6");
  window.__doneCounts = [[Date.now(), Number(value.textContent)]];
  new MutationObserver(() => window.__doneCounts.push([Date.now(), Number(value.textContent)])).observe(
    value, {childList: true, characterData: true, subtree: true});
}"""


async def open_browser_tabs(playwright, base: str, count: int):  # type: ignore[no-untyped-def]
    """``count`` Chromium tabs signed in as the admin, each on the dashboard with its counter watched."""
    browser = await playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling"]
    )
    context = await browser.new_context()
    answer = await context.request.post(
        base + "/auth/login", data={"username": ADMIN[0], "password": ADMIN[1]}, headers={"Origin": base}
    )
    if not answer.ok:
        raise RuntimeError(f"sign-in answered {answer.status}")
    tabs = []
    for _ in range(count):
        tab = await context.new_page()
        await tab.goto(base + "/dashboard")
        await tab.get_by_text("Succeeded").wait_for(timeout=120_000)
        await tab.evaluate(WATCH_DONE_COUNTER)
        tabs.append(tab)
    return browser, tabs


async def read_tabs(tabs, viewers: list[Viewer]) -> None:  # type: ignore[no-untyped-def]
    """Move what each tab recorded since the last read into its viewer."""
    for tab, viewer in zip(tabs, viewers, strict=True):
        for at_ms, done in await tab.evaluate("() => window.__doneCounts.splice(0)"):
            viewer.done_counts.append((at_ms / 1000, int(done)))


async def open_light_tabs(base: str, viewers: list[Viewer]) -> list[asyncio.Task[None]]:
    """One light client per viewer, each once its dashboard has loaded (a tab that fails raises)."""
    from reflex.state import State
    from reflex_base.constants import CompileVars

    cookie = sign_in(base)
    hydrate = f"{State.get_full_name()}.{CompileVars.HYDRATE_AND_LOAD}"  # what a tab sends on connect
    tabs = [asyncio.create_task(open_dashboard(base, cookie, viewer, hydrate)) for viewer in viewers]
    all_loaded = asyncio.ensure_future(asyncio.gather(*(viewer.loaded.wait() for viewer in viewers)))
    await asyncio.wait([all_loaded, *tabs], timeout=120, return_when=asyncio.FIRST_COMPLETED)
    for tab in tabs:
        if tab.done():
            tab.result()  # a tab that ended before the measure raises here, with its reason
    if not all_loaded.done():
        raise RuntimeError("not every dashboard loaded within 120 s")
    return tabs


async def run_jobs(args: argparse.Namespace, base: str, site_url: str) -> list[int]:
    """Submit ``--jobs`` image downloads through the API, ``--batch`` at once; their job ids."""
    token = admin_token()
    job_ids: list[int] = []
    for first in range(0, args.jobs, args.batch):
        urls = [f"{site_url}/img/{index}.jpg" for index in range(first, min(first + args.batch, args.jobs))]
        job_ids += await asyncio.gather(*(submit(base, token, url) for url in urls))
        await asyncio.sleep(args.pause)
    return job_ids


async def measure(args: argparse.Namespace, base: str, site_url: str) -> None:
    from playwright.async_api import async_playwright

    viewers = [Viewer() for _ in range(args.viewers)]
    async with async_playwright() as playwright:
        browser, pages, tabs = None, [], []
        try:
            if args.browser:
                browser, pages = await open_browser_tabs(playwright, base, args.viewers)
                await read_tabs(pages, viewers)
            else:
                tabs = await open_light_tabs(base, viewers)
            loaded_bytes = sum(sum(viewer.push_bytes) for viewer in viewers) / len(viewers)
            before = done_before(viewers)
            for viewer in viewers:
                viewer.push_bytes.clear()
            job_ids = await run_jobs(args, base, site_url)
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                await asyncio.sleep(2 if args.browser else 0.2)
                if pages:
                    await read_tabs(pages, viewers)
                ended = sorted((at, job) for job, at in finished_at(job_ids).items())
                seen = [viewer.saw_end(ended, before) for viewer in viewers]
                if len(ended) == len(job_ids) and all(len(each) >= len(job_ids) for each in seen):
                    break
        finally:
            for tab in tabs:
                tab.cancel()
            await asyncio.gather(*tabs, return_exceptions=True)
            if browser is not None:
                await browser.close()
    delays = [each[job] - at for each in seen for at, job in ended if job in each]
    missed = sum(1 for each in seen for _, job in ended if job not in each)
    kind = "Chromium tabs" if args.browser else "light clients"
    line(
        f"{args.viewers} dashboards ({kind}) see a job end: p50 / p95",
        f"{statistics.median(delays):.2f} / {p95(delays):.2f} s",
        "p95 <= 1 s",
    )
    line(
        "  max; jobs done; (viewer, job) pairs missed",
        f"{max(delays):.2f} s; {len(ended)} of {len(job_ids)}; {missed}",
        "0 missed",
    )
    if args.browser:
        return  # what crossed a tab's websocket is only seen by the light clients
    as_rows = sum(1 for viewer in viewers for _, job in ended if job in viewer.seen_done)
    pushes = [size for viewer in viewers for size in viewer.push_bytes]
    line("  pairs seen as a done row (the rest by the counter)", f"{as_rows} of {len(delays)}", "-")
    line(
        "  bytes per push per viewer: p50 / max",
        f"{statistics.median(pushes):.0f} / {max(pushes)} B ({len(pushes)} pushes)",
        "bytes, not kB",
    )
    line("  first load per viewer", f"{loaded_bytes / 1024:.1f} kB", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=5, help="jobs submitted at once")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between batches")
    parser.add_argument("--browser", action="store_true", help="real Chromium tabs instead of light clients")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="mf-dashboards-bench-"))
    from mediafetcher_app.core import embedded
    from tests.fixtures.server import FixtureServer

    site = data_dir / "site"
    (site / "img").mkdir(parents=True)
    for index in range(args.jobs):
        Image.new("RGB", (64, 48), (index % 256, index * 7 % 256, index * 13 % 256)).save(site / f"img/{index}.jpg")
    server = FixtureServer(site).start()
    app = None
    try:
        fresh_services(data_dir, YTDLP_NO_PLUGINS="1", MF_BLOCK_PRIVATE_URLS="false")
        port = free_port()
        app = start_app(
            port,
            data_dir / "app.log",
            MF_ADMIN_USER=ADMIN[0],
            MF_ADMIN_PASSWORD=ADMIN[1],
            REFLEX_WEB_WORKDIR=str(data_dir / "web"),
        )
        print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()}", flush=True)
        asyncio.run(measure(args, f"http://127.0.0.1:{port}", server.url("").rstrip("/")))
    finally:
        if app is not None:
            os.killpg(app.pid, signal.SIGINT)
            try:
                app.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
        server.shutdown()
        embedded.stop_redis(data_dir)
        embedded.stop_postgres(data_dir)


if __name__ == "__main__":
    main()
