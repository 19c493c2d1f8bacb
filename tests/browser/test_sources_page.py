"""The Sources page in headless Chromium against the real app and worker: follow a fixture feed,
see its check's counts, pause it, delete it (desktop and phone widths)."""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, expect

from tests.fixtures.server import FeedItem
from tests.waiting import wait_for

from .conftest import open_page, screenshot, sign_in

CHECK_TIMEOUT_S = 90


def refresh_until(page: Page, card: Locator, status: str) -> None:
    """The list is read on load and on Refresh: refresh until the worker's check shows."""

    def shows() -> bool:
        page.get_by_role("button", name="Refresh").click()
        try:
            expect(card).to_have_attribute("data-status", status, timeout=2_000)
        except AssertionError:
            return False
        return True

    wait_for(shows, CHECK_TIMEOUT_S, interval=0, message=f"the source never showed {status}")


def test_follow_a_feed_see_its_check_pause_and_delete_it(live_server, page: Page, fixture_server):
    label = page.viewport_label  # type: ignore[attr-defined]
    now = int(time.time())
    fixture_server.feeds[label] = [
        FeedItem(f"/mirror/media/clip.mp4?ui={label}&n={n}", f"Item {n}", now - 60 * n) for n in range(3)
    ]
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/sources")
    feed_url = fixture_server.url(f"/feed/{label}.rss")
    page.fill("#source-url", feed_url)
    page.get_by_label("Newest items to take now").fill("1")
    page.click("#source-follow")
    card = page.locator(".source-row", has_text=feed_url)
    expect(card).to_be_visible()
    refresh_until(page, card, "ok")
    expect(card).to_contain_text("1 new of 3")
    expect(card).to_contain_text(f"Feed {label}")  # named after the feed's title
    screenshot(page, "sources-checked")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "wider than the screen"

    card.get_by_role("button", name="Pause").click()
    expect(card).to_have_attribute("data-status", "paused")
    card.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
