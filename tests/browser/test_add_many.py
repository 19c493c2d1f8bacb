"""Many links at once, a playlist pasted as a one-off, following from the add box, and the
default download choice, in headless Chromium against the real app and worker."""

from __future__ import annotations

import time

import psycopg
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from tests.fixtures.server import FeedItem

from .conftest import open_page, screenshot, sign_in

DONE_TIMEOUT = 90_000


def test_a_list_of_links_is_queued_as_one_batch_and_a_refused_line_says_why(
    live_server,
    page: Page,
    fixture_server,
    tmp_path,
):
    label = page.viewport_label  # type: ignore[attr-defined]
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/dashboard")
    page.click("#add-url-many")
    listing = tmp_path / "links.txt"
    good = [fixture_server.url(f"/mirror/media/clip.mp4?many={label}&n={n}") for n in range(2)]
    listing.write_text("\n".join([*good, "# a comment", "ftp://example.com/nope"]))
    page.set_input_files("#batch-file", str(listing))
    expect(page.locator("#batch-links")).to_have_value(listing.read_text())
    page.click("#batch-submit")
    expect(page.locator("#batch-refused")).to_contain_text("ftp://example.com/nope: Only http:// and https://")
    page.keyboard.press("Escape")
    batch = page.locator(".batch-row", has_text="3 links").first
    expect(batch).to_contain_text("3 found · 2 queued · 1 skipped")
    expect(batch).to_contain_text("2 done", timeout=DONE_TIMEOUT)
    screenshot(page, "dashboard-batch")


def test_a_playlist_link_asks_how_many_to_take_or_is_followed(live_server, page: Page, fixture_server):
    label = page.viewport_label  # type: ignore[attr-defined]
    fixture_server.feeds[f"box-{label}"] = [FeedItem("/media/clip.mp4", "One", int(time.time()))]
    feed = fixture_server.url(f"/feed/box-{label}.rss")
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/dashboard")
    page.fill("#add-url-input", fixture_server.url("/media/clip.mp4"))
    expect(page.locator("#add-url-collection")).to_have_count(0)  # one video: nothing to ask
    page.fill("#add-url-input", feed)
    expect(page.locator("#add-url-take")).to_have_value("20")
    page.click("#add-url-follow")
    expect(page.locator("#add-url-input")).to_have_value("")
    open_page(page, live_server.url + "/sources")
    expect(page.locator(".source-row", has_text=feed)).to_be_visible()


def test_the_default_download_choice_is_kept_in_settings(live_server, page: Page):
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/settings")
    section = page.locator("#settings-downloads")
    section.get_by_text("Up to 720p").click()
    expect(section.get_by_role("radio", name="Up to 720p")).to_be_checked()
    open_page(page, live_server.url + "/settings")
    expect(page.locator("#settings-downloads").get_by_role("radio", name="Up to 720p")).to_be_checked()
    section = page.locator("#settings-downloads")
    section.get_by_text("Compatible (H.264/AAC MP4, up to 1080p)").click()  # as the other tests expect
    expect(section.get_by_role("radio", name="Compatible (H.264/AAC MP4, up to 1080p)")).to_be_checked()


def test_a_download_can_ask_for_another_choice_than_the_default(live_server, page: Page):
    label = page.viewport_label  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:9/choice/{label}.mp4"  # nothing listens: only the stored choice matters
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(page, live_server.url + "/dashboard")
    page.fill("#add-url-input", url)
    page.select_option("#add-url-preset", "720p")
    page.press("#add-url-input", "Enter")
    expect(page.locator(".job-row", has_text=url).first).to_be_visible()
    dsn = make_url(live_server.database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT preset FROM download_job WHERE url = %s", (url,)).fetchone() == ("720p",)
