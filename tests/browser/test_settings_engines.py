"""Settings > Engines (components/settings_engines.py) in headless Chromium against the real app:
the doctor's facts, an update from the live server's wheel folder, and the one-click rollback."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import open_page, run_cli, screenshot, sign_in

USER = ("erin", "erin-password-1")


def test_admins_see_the_engine_facts_update_and_roll_back(live_server, page: Page):
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/settings#engines")
    section = page.locator("#engines")
    facts = section.locator(".engine-fact")
    expect(facts).to_have_count(6)
    expect(section.locator('.engine-fact[data-ok="false"]')).to_have_count(0)
    expect(section.locator('.engine-fact[data-name="JS runtime"]')).to_contain_text("deno-")
    expect(section.locator('.engine-fact[data-name="yt-dlp-ejs"]')).to_contain_text("0.8.0")

    section.get_by_role("button", name="Check for updates").click()
    expect(section.locator('.engine-version[data-package="yt-dlp"]')).to_contain_text("2099.1.1")

    section.get_by_role("button", name="Update engines").click()
    expect(page.get_by_text("Engines updated: yt-dlp 2099.1.1")).to_be_visible(timeout=180_000)
    expect(section.locator('.engine-fact[data-name="yt-dlp"]')).to_contain_text("2099.1.1 (update ")
    screenshot(page, "settings-engines")

    section.get_by_role("button", name="Roll back").click()
    expect(page.get_by_text("Engines rolled back to the pinned versions")).to_be_visible(timeout=60_000)
    expect(section.locator('.engine-fact[data-name="yt-dlp"]')).to_contain_text("(pinned)")
    expect(page.get_by_text("An error occurred")).to_have_count(0)  # minutes of work never hold the state lock

    open_page(page, live_server.url + "/dashboard")
    expect(page.locator("#system-status")).to_contain_text("Engines")
    expect(page.locator("#engines-warning")).to_have_count(0)  # equipped: no warning


@pytest.fixture(scope="module")
def plain_user(live_server) -> tuple[str, str]:
    run_cli(live_server, "mediafetcher_app.cli", "user", "create", USER[0], "--password", USER[1])
    return USER


def test_the_engines_section_is_for_admins_only(live_server, plain_user, page: Page):
    sign_in(page, live_server.url, *plain_user)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/settings")
    expect(page.locator("#settings-account")).to_be_visible()
    expect(page.locator("#engines")).to_have_count(0)
