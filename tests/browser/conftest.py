"""A real MediaFetcher (launcher -> worker + Reflex prod build) and headless Chromium.

The live server gets its own database, Redis db and data directory, so the per-test cleanup of
the other tests never touches it and its worker never sees their jobs.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy.engine import make_url

from mediafetcher_app.core.migrations import PROJECT_ROOT
from tests.fixtures.wheels import wrapped_ytdlp
from tests.waiting import wait_for

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LIVE_REDIS_DB = 10
ADMIN = ("admin", "admin-password-1")
STARTUP_TIMEOUT_S = 600
# Assertions wait for their condition this long: a page is live in well under a second on an idle
# machine, but a loaded CI host (several suites at once) has needed more than Playwright's 5 s.
expect.set_options(timeout=20_000)
# What a reverse proxy in front of the live server would be called (MF_ALLOWED_ORIGINS).
PROXY_ORIGIN = "https://proxy.mf.test"


@dataclass
class LiveServer:
    url: str
    database_url: str
    log: Path
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    def serving() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with (
                urllib.request.urlopen(url + "/login/", timeout=2) as login,
                urllib.request.urlopen(url + "/", timeout=2) as home,
            ):
                return login.status == home.status == 200
        except OSError:
            return False

    try:
        wait_for(serving, STARTUP_TIMEOUT_S, interval=1)
    except AssertionError:
        raise RuntimeError(f"the app did not serve within {STARTUP_TIMEOUT_S}s:\n{log.read_text()[-4000:]}") from None


@pytest.fixture(scope="session")
def live_server(services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = make_url(services.database_url)
    name = f"mf_live_{secrets.token_hex(3)}"
    admin_dsn = server.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = server.set(database=name).render_as_string(False)
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("live")
    log = data_dir / "app.log"
    # The frontend is built into a folder of this session's own (about 10 s with bun's cache), so
    # test runs in one checkout at the same time (.ci/run's two modes) never share Reflex's `.web`.
    web_dir = Path(tempfile.mkdtemp(prefix="mf-live-web-"))
    engine_wheels = tmp_path_factory.mktemp("engine-wheels")
    wrapped_ytdlp(engine_wheels, "2099.1.1")
    env = dict(
        os.environ,
        PORT=str(port),
        HOST="127.0.0.1",
        MF_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        REDIS_URL=urlsplit(services.redis_url)._replace(path=f"/{LIVE_REDIS_DB}").geturl(),
        MF_ADMIN_USER=ADMIN[0],
        MF_ADMIN_PASSWORD=ADMIN[1],
        # Unreachable test links are transient errors: retry them quickly, as the pipeline tests
        # do, so a job reaches "failed" in seconds rather than after the production backoff.
        MF_RETRY_BACKOFF="0.2",
        # Test links point at 127.0.0.1, a private address: allow LAN sources (the security tests
        # turn the block on per test, in-process).
        MF_BLOCK_PRIVATE_URLS="false",
        MF_ALLOWED_ORIGINS=PROXY_ORIGIN,
        # Engine updates come from a folder holding a "yt-dlp 2099.1.1" that wraps the pinned one.
        MF_ENGINE_INDEX=str(engine_wheels),
        REFLEX_WEB_WORKDIR=str(web_dir),
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediafetcher_app.cli", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, proc, log)
        yield LiveServer(url, database_url, log, data_dir)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(web_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


def csp_violations(context: BrowserContext) -> list[str]:
    """Every Content-Security-Policy violation Chromium reports in ``context``, as it happens.

    Each browser test fails on one: our pages must run whole under the CSP of api/security.py.
    """
    found: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", note)
    return found


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
    context.set_default_timeout(20_000)
    violations = csp_violations(context)
    tab = context.new_page()
    tab.viewport_label = f"{width}x{height}"  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert not violations, "\n".join(violations)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.viewport_label}.png"), full_page=True)  # type: ignore[attr-defined]


def sign_in(page: Page, base_url: str, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def open_page(page: Page, url: str) -> None:
    """Navigate and wait until the page is live."""
    page.goto(url)
    wait_live(page)


SCRIPTS = re.compile(r"\.js(\?.*)?$")


@contextmanager
def prerendered(page: Page) -> Iterator[None]:
    """Pages loaded inside stay as the server prerendered them, never live (their scripts are
    refused): what a visitor can do before a page's script runs."""
    page.route(SCRIPTS, lambda route: route.abort())
    try:
        yield
    finally:
        page.unroute(SCRIPTS)


def wait_live(page: Page) -> None:
    """Wait until the page is live: its sign-in check answered over the websocket (typing sooner
    can submit a form natively, before its script runs)."""
    page.wait_for_selector('.mf-shell:not([data-user=""])')


def run_cli(live: LiveServer, *args: str) -> str:
    """The project's CLI against the live server's database (users, tokens, seeding)."""
    env = dict(os.environ, DATABASE_URL=live.database_url, MF_DATA_DIR=str(live.data_dir))
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
