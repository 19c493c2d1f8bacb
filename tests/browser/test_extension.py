"""The real extension in Debian's Chromium against the real app: pair, sync cookies, send a video.

The unpacked Chromium build is loaded with --load-extension into a persistent context (extensions
need one). Chromium's permission prompt is browser UI no automation can click, so the test first
does what the user's "Allow" does through chrome://extensions' own API (developerPrivate): it
grants the two hosts (the server, and the cookie site). The extension still asks for them with
permissions.request on the clicks, exactly as for a user; the answer is then yes without a prompt.

The fixture site runs on ``localhost`` while the server is on ``127.0.0.1``: cookies ignore
ports, so a shared host would mix the server's own session cookie into the synced jar.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Worker, expect

from mediafetcher_app.core.migrations import PROJECT_ROOT
from tests.fixtures.media import H264_AAC, VIDEO, ffmpeg
from tests.waiting import wait_for

from .conftest import ADMIN, ARTIFACTS, CHROMIUM, csp_violations, sign_in

CLAIM_WAIT_MS = 15_000  # the extension polls the claim every 1.5 s
PAGE_HTML = b"""<!doctype html><html><head><title>Fixture clip</title></head>
<body><h1>A clip</h1><video controls src="/clip.mp4" title="Fixture clip"></video></body></html>"""


class SiteHandler(BaseHTTPRequestHandler):
    """/page.html (a <video>), /clip.mp4, /set-cookie/<name> (a cookie valid for 30 days)."""

    server: FixtureSite

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, body: bytes, content_type: str, cookie: str | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", f"{cookie}=value-of-{cookie}; Max-Age=2592000; Path=/; HttpOnly")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/page.html":
            self._send(PAGE_HTML, "text/html; charset=utf-8")
        elif self.path == "/clip.mp4":
            self._send(self.server.clip.read_bytes(), "video/mp4")
        elif self.path.startswith("/set-cookie/"):
            self._send(b"cookie set", "text/plain", cookie=self.path.rsplit("/", 1)[1])
        else:
            self.send_error(404)


class FixtureSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, clip: Path) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.clip = clip
        self.base = f"http://localhost:{self.server_address[1]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureSite]:
    clip = tmp_path_factory.mktemp("site") / "clip.mp4"
    ffmpeg(*VIDEO, "-f", "lavfi", "-i", "sine=frequency=330:duration=3", *H264_AAC, "-shortest", str(clip))
    server = FixtureSite(clip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def unpacked_extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extension")
    subprocess.run(["node", "extension/scripts/build.mjs", "--unpacked", str(out)], cwd=PROJECT_ROOT, check=True)
    return out / "chromium"


@pytest.fixture
def extension(browser: Browser, unpacked_extension: Path, tmp_path: Path) -> Iterator[tuple[BrowserContext, str]]:
    """A Chromium profile with the extension loaded; yields the context and the extension's id."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--disable-extensions-except={unpacked_extension}",
            f"--load-extension={unpacked_extension}",
        ],
    )
    context.set_default_timeout(20_000)
    violations = csp_violations(context)
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    yield context, worker.url.split("/")[2]
    context.close()
    assert not violations, "\n".join(violations)


def background(context: BrowserContext) -> Worker:
    return context.service_workers[0]


def allow_hosts(context: BrowserContext, extension_id: str, *patterns: str) -> None:
    """What the user's "Allow" in Chromium's permission prompt records (see the module docstring)."""
    page = context.new_page()
    page.goto("chrome://extensions")
    for pattern in patterns:
        page.evaluate("([id, host]) => chrome.developerPrivate.addHostPermission(id, host)", [extension_id, pattern])
    page.close()


def open_popup(context: BrowserContext, extension_id: str, tab_id: int | None = None) -> Page:
    popup = context.new_page()
    query = f"?tab={tab_id}" if tab_id is not None else ""
    popup.goto(f"chrome-extension://{extension_id}/popup/popup.html{query}")
    return popup


def tab_id_of(context: BrowserContext, url: str) -> int:
    return background(context).evaluate(
        "async (url) => (await chrome.tabs.query({})).find((tab) => tab.url === url).id", url
    )


def cookie_jar(page: Page, base_url: str, site: str) -> dict | None:
    """The vault's status for ``site``, read through the API as the signed-in admin."""
    jars = page.request.get(base_url + "/api/v1/cookies").json()
    return next((jar for jar in jars if jar["domain"] == site), None)


def snapshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pair(context: BrowserContext, extension_id: str, server_url: str) -> Page:
    """The whole pairing as a user does it; returns the popup, now paired."""
    popup = open_popup(context, extension_id)
    expect(popup.locator("#status-pill")).to_have_text("not paired")
    popup.fill("#server-input", server_url)
    with context.expect_page() as opened:
        popup.click("#pair-button")
    approval = opened.value
    expect(approval).to_have_url(re.compile(r"/pair/?\?challenge=[0-9a-f]{64}&name="))
    expect(approval.get_by_text("to send downloads and sync cookies?")).to_be_visible()
    code = popup.locator("#confirmation").text_content()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", code or "")
    expect(approval.locator("#pair-confirmation")).to_have_text(code)
    expect(approval.locator("#pair-allow")).to_contain_text(code)  # the approve button names the code
    snapshot(approval, "extension-pair-page")
    approval.click("#pair-allow")
    expect(approval.locator("#pair-outcome")).to_contain_text("Paired")
    expect(popup.locator("#paired-as")).to_contain_text("Paired as admin (admin)", timeout=CLAIM_WAIT_MS)
    expect(popup.locator("#status-pill")).to_have_text("paired")
    return popup


def test_pair_sync_cookies_send_a_video_and_see_a_revoked_pairing(live_server, site, extension):
    context, extension_id = extension
    allow_hosts(context, extension_id, "http://127.0.0.1/*", "*://localhost/*")
    signed_in = context.new_page()
    sign_in(signed_in, live_server.url)
    expect(signed_in.get_by_role("heading", name="Feed")).to_be_visible()

    popup = pair(context, extension_id, live_server.url)
    token = background(context).evaluate("chrome.storage.local.get('token').then((s) => s.token)")
    assert token.startswith("mft_")

    # cookie sync: the site sets two cookies, the user adds it and presses "Sync now"
    site_tab = context.new_page()
    for name in ("fixture_session", "fixture_pref"):
        site_tab.goto(f"{site.base}/set-cookie/{name}")
    popup.fill("#custom-site-input", "localhost")
    popup.click("#add-site-button")
    expect(popup.locator("input[data-site=localhost]")).to_be_checked()
    popup.click("#sync-now")
    expect(popup.locator("#last-sync")).to_contain_text("2 cookies from 1 site")
    jar = cookie_jar(signed_in, live_server.url, "localhost")
    assert jar is not None and jar["cookie_count"] == 2 and jar["state"] == "ok"
    assert "value-of" not in signed_in.request.get(live_server.url + "/api/v1/cookies").text()

    # a changed cookie is synced on its own (cookies.onChanged, throttled)
    site_tab.goto(f"{site.base}/set-cookie/fixture_new")
    wait_for(lambda: (cookie_jar(signed_in, live_server.url, "localhost") or {}).get("cookie_count") == 3, interval=0.5)

    # media detection on the page, "Send to NAS", and the job's progress in the popup
    site_tab.goto(f"{site.base}/page.html")
    media_popup = open_popup(context, extension_id, tab_id_of(context, f"{site.base}/page.html"))
    video = media_popup.locator("li.media-item[data-kind=video]")
    expect(video).to_have_attribute("data-url", f"{site.base}/clip.mp4")
    video.get_by_role("button", name="Send to NAS").click()
    job = media_popup.locator("#job-list li.job").first
    expect(job).to_have_attribute("data-status", re.compile("done|failed|cancelled"), timeout=120_000)
    assert job.get_attribute("data-status") == "done", job.inner_text()
    expect(job).to_contain_text(f"{site.base}/clip.mp4")
    snapshot(media_popup, "extension-popup")

    # the token is revoked on the server: the next action says so and offers pairing again
    with psycopg.connect(live_server.database_url.replace("+psycopg", "")) as db:
        db.execute("UPDATE api_token SET revoked_at = now() WHERE revoked_at IS NULL")
    media_popup.click("#sync-now")
    expect(media_popup.locator("#problem")).to_contain_text("revoked. Pair again")
    expect(media_popup.locator("#pair-section")).to_be_visible()
    expect(media_popup.locator("#server-input")).to_have_value(live_server.url)


def test_signing_in_first_a_refusal_and_an_unreachable_server_are_explained(live_server, extension):
    context, extension_id = extension
    allow_hosts(context, extension_id, "http://127.0.0.1/*")
    popup = open_popup(context, extension_id)
    popup.fill("#server-input", live_server.url)
    with context.expect_page() as opened:
        popup.click("#pair-button")
    approval = opened.value
    expect(approval).to_have_url(re.compile(r"/login/?\?next=(%2F|/)pair%3Fchallenge%3D[0-9a-f]{64}"))
    approval.fill("#username", ADMIN[0])
    approval.fill("#password", ADMIN[1])
    approval.click("#login-submit")
    expect(approval).to_have_url(re.compile(r"/pair/?\?challenge=[0-9a-f]{64}"))
    approval.get_by_role("button", name="Deny").click()
    expect(approval.locator("#pair-outcome")).to_contain_text("Refused")
    expect(popup.locator("#problem")).to_contain_text("Pairing was refused", timeout=CLAIM_WAIT_MS)
    expect(popup.locator("#pair-section")).to_be_visible()

    popup = pair(context, extension_id, live_server.url)
    background(context).evaluate("chrome.storage.local.set({server: 'http://127.0.0.1:9'})")
    popup.reload()
    expect(popup.locator("#problem")).to_contain_text("Cannot reach MediaFetcher at http://127.0.0.1:9")
    expect(popup.locator("#status-pill")).to_have_text("unreachable")


def test_the_popup_refuses_a_public_http_server_and_asks_before_a_public_https_one(extension):
    context, extension_id = extension
    popup = open_popup(context, extension_id)
    popup.fill("#server-input", "http://public-host.example:3000")
    popup.click("#pair-button")
    expect(popup.locator("#problem")).to_contain_text("is not on your own network, and http:// would send")
    expect(popup.locator("#public-warning")).to_be_hidden()

    popup.fill("#server-input", "https://media.example.org")
    popup.click("#pair-button")
    expect(popup.locator("#public-warning")).to_be_visible()
    expect(popup.locator("#public-warning-text")).to_contain_text("media.example.org is on the public internet")
    expect(popup.locator("#problem")).to_be_hidden()
    snapshot(popup, "extension-public-server-warning")
    assert not any("/pair" in tab.url for tab in context.pages)  # nothing was opened before the confirmation
    assert background(context).evaluate("chrome.storage.local.get('pairing').then((s) => s.pairing)") is None
