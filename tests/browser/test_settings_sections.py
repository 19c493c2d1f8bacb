"""Settings' Connections and Browser pairing sections (components/settings_{connections,pairing}.py,
shown by pages/settings.py), in headless Chromium against the real app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from mediafetcher_app.core.migrations import PROJECT_ROOT
from tests.waiting import wait_for

from .conftest import open_page, prerendered, screenshot, sign_in

SECRET = "never-shown-cookie-value"
DAY = 86400
USER = ("bob", "bob-password-1")


def chrome_cookie(domain: str, expires_in_s: float) -> dict:
    return {"name": "sid", "value": SECRET, "domain": f".{domain}", "expirationDate": time.time() + expires_in_s}


def open_settings(page: Page, base_url: str, *credentials: str) -> None:
    sign_in(page, base_url, *credentials)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, base_url + "/settings")


def test_connections_show_each_sites_cookie_status_and_never_a_value(live_server, page: Page):
    open_settings(page, live_server.url)
    cookies = [
        chrome_cookie("fresh.example", 60 * DAY),
        chrome_cookie("soon.example", 2 * DAY),
        chrome_cookie("stale.example", -DAY),
    ]
    stored = page.request.post(
        live_server.url + "/api/v1/cookies",
        data=json.dumps({"cookies": cookies}),
        headers={"Content-Type": "application/json"},
    )
    assert stored.ok, stored.text()
    section = page.locator("#settings-connections")
    section.get_by_role("button", name="Refresh cookie status").click()
    for site, state in (("fresh.example", "ok"), ("soon.example", "expiring"), ("stale.example", "expired")):
        row = section.locator(".jar-row", has_text=site)
        expect(row).to_have_attribute("data-state", state)
        expect(row).to_contain_text("1")
    expect(section.locator(".jar-row", has_text="soon.example")).to_contain_text("expires soon")
    assert SECRET not in page.content()
    screenshot(page, "settings-connections")


def test_check_queues_a_worker_check_whose_verdict_shows_after_a_refresh(live_server, page: Page):
    """youtube.com has a built-in check; offline, the worker cannot reach YouTube, so the verdict is
    "failed". A site without a check has its button disabled."""
    open_settings(page, live_server.url)
    cookies = [chrome_cookie("youtube.com", 60 * DAY), chrome_cookie("nocheck.example", 60 * DAY)]
    stored = page.request.post(
        live_server.url + "/api/v1/cookies",
        data=json.dumps({"cookies": cookies}),
        headers={"Content-Type": "application/json"},
    )
    assert stored.ok, stored.text()
    section = page.locator("#settings-connections")
    refresh = section.get_by_role("button", name="Refresh cookie status")
    refresh.click()
    expect(section.locator(".jar-row", has_text="nocheck.example").get_by_role("button", name="Check")).to_be_disabled()
    row = section.locator(".jar-row", has_text="youtube.com")
    row.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Checking…")).to_be_visible()

    def checked() -> bool:
        refresh.click()
        return "failed" in (row.text_content() or "")

    wait_for(checked, 90, interval=1, message="the check never showed its verdict")
    expect(row).to_contain_text("failed")
    assert SECRET not in page.content()
    screenshot(page, "settings-connections-checked")


@pytest.fixture(scope="module")
def plain_user(live_server) -> tuple[str, str]:
    subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", "user", "create", USER[0], "--password", USER[1]],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, DATABASE_URL=live_server.database_url),
        check=True,
    )
    return USER


def test_a_user_sees_only_their_own_cookies_and_an_admin_everyones_with_the_owner(live_server, plain_user, page: Page):
    """Each user's Connections lists their own jars (no Share button); the admin's section also
    lists every user's jars with the owner's name, never a value."""
    open_settings(page, live_server.url, *plain_user)
    stored = page.request.post(
        live_server.url + "/api/v1/cookies",
        data=json.dumps({"cookies": [chrome_cookie("bobs.example", 60 * DAY)]}),
        headers={"Content-Type": "application/json"},
    )
    assert stored.ok, stored.text()
    section = page.locator("#settings-connections")
    section.get_by_role("button", name="Refresh cookie status").click()
    expect(section.locator(".jar-row", has_text="bobs.example")).to_be_visible()
    expect(section.locator(".jar-row")).to_have_count(1)
    expect(section.get_by_role("button", name="Share")).to_have_count(0)
    expect(section.locator(".owner-jar-row")).to_have_count(0)
    assert SECRET not in page.content()

    page.context.clear_cookies()
    open_settings(page, live_server.url)
    everyone = page.locator("#connections-everyone")
    expect(everyone.locator(".owner-jar-row", has_text="bobs.example")).to_contain_text(plain_user[0])
    expect(section.locator(".jar-row", has_text="bobs.example")).to_have_count(0)
    assert SECRET not in page.content()
    screenshot(page, "settings-connections-everyone")


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(live_server, page: Page):
    open_settings(page, live_server.url)
    label = f"backup script {page.viewport_label}"  # type: ignore[attr-defined]
    section = page.locator("#settings-pairing")
    section.get_by_placeholder("Label, e.g. backup script").fill(label)
    section.get_by_role("checkbox").nth(1).click()  # "may organise the library"
    section.get_by_role("button", name="Create token").click()
    shown = section.locator("#new-api-token")
    expect(shown).to_contain_text("mft_")
    token = shown.text_content() or ""
    screenshot(page, "settings-token-created")
    bearer = {"Authorization": f"Bearer {token}"}
    assert page.request.get(live_server.url + "/api/v1/ping", headers=bearer).ok
    assert page.request.get(live_server.url + "/api/v1/folders", headers=bearer).ok  # the library choice
    assert page.request.get(live_server.url + "/api/v1/tokens", headers=bearer).status == 403  # and no more

    section.get_by_role("button", name="Done").click()
    expect(shown).to_have_count(0)
    page.reload()
    row = section.locator(".token-row", has_text=label)
    expect(row).to_have_attribute("data-revoked", "false")
    assert token not in page.content(), "shown once: not after a reload"

    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_attribute("data-revoked", "true")
    assert page.request.get(live_server.url + "/api/v1/ping", headers=bearer).status == 401


def test_a_password_typed_before_the_page_is_live_is_never_submitted_into_an_address(live_server, page: Page):
    """Before the page's script runs, a form submits natively: a GET with every field in the URL."""
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    secret = "typed-early-Secret-1"
    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(request.url))
    with prerendered(page):
        page.goto(live_server.url + "/settings")
        submit = page.locator("#change-password-submit")
        expect(submit).to_be_disabled()
        for label in ("Current password", "New password (8+)", "Repeat new password"):
            page.get_by_label(label).fill(secret)
        with pytest.raises(PlaywrightTimeout), page.expect_navigation(timeout=1_500):
            page.get_by_label("Repeat new password").press("Enter")
    assert not any(secret in address for address in addresses)
    assert "?" not in page.url

    open_page(page, live_server.url + "/settings")
    expect(page.locator("#change-password-submit")).to_be_enabled()
    expect(page.locator("#add-user-submit")).to_be_enabled()
