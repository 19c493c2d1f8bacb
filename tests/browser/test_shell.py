"""Headless Chromium against the real app: sign in, add a URL, watch the job change live."""

from __future__ import annotations

import re

from playwright.sync_api import Page, WebSocketRoute, expect

from .conftest import ADMIN, open_page, prerendered, screenshot, sign_in, wait_live


def test_signed_out_visitor_is_sent_to_login(live_server, page: Page):
    page.goto(live_server.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=(%2F|/)dashboard"))
    expect(page.locator("#login-submit")).to_be_visible()
    screenshot(page, "login")


def test_signing_in_before_the_login_page_hears_from_the_server_still_goes_where_it_was_asked(live_server, page: Page):
    """A quick hand (or a password manager) can submit before the page's load event answers."""

    def hold_the_login_pages_state(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        on_login_page = "/login" in page.url

        def to_page(message: str | bytes) -> None:
            if not (on_login_page and "login_state" in str(message)):
                socket.send(message)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/_event"), hold_the_login_pages_state)
    page.goto(live_server.url + "/login?next=%2Fdashboard")
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("#login-submit")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_wrong_password_shows_the_reason(live_server, page: Page):
    sign_in(page, live_server.url, ADMIN[0], "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "mf_session" not in cookies


def test_sign_in_add_a_url_and_see_its_job_live(live_server, page: Page):
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    session = next(c for c in page.context.cookies() if c["name"] == "mf_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("mf_session") == -1, "the session is invisible to scripts"

    open_page(page, live_server.url + "/dashboard")  # typing before the page is live submits natively
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    url = f"http://127.0.0.1:9/{page.viewport_label}/missing.mp4"  # type: ignore[attr-defined]
    page.fill("#add-url-input", url)
    page.press("#add-url-input", "Enter")
    expect(page.get_by_text("Added to the queue")).to_be_visible()
    row = page.locator(".job-row", has_text=url)
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", re.compile("failed|done"), timeout=60_000)
    screenshot(page, "dashboard")


def test_malformed_url_is_refused_with_a_clear_message(live_server, page: Page):
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    wait_live(page)
    page.fill("#add-url-input", "ftp://example.com/file")
    page.press("#add-url-input", "Enter")
    expect(page.get_by_text("Only http:// and https:// links")).to_be_visible()


def test_a_link_entered_before_the_page_is_live_waits_on_the_share_page(live_server, page: Page):
    """Enter pressed before the page's script runs submits the form natively: the link must not be lost."""
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    url = f"http://127.0.0.1:9/{page.viewport_label}/typed-early.mp4"  # type: ignore[attr-defined]
    with prerendered(page):
        page.goto(live_server.url + "/")
        page.fill("#add-url-input", url)
    page.press("#add-url-input", "Enter")
    expect(page).to_have_url(re.compile(r"/share/?\?url="))
    expect(page.locator("#share-link")).to_have_text(url)
    page.click("#share-download")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator(".job-row", has_text=url)).to_be_visible()


def test_sign_out_ends_the_session(live_server, page: Page):
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    page.goto(live_server.url + "/settings")
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(live_server.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login"))
