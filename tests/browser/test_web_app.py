"""The web app in headless Chromium against the real app, worker and pipeline.

Media come from the pipeline fetching the fixture server, so the feed, viewer and seeking work
on real ffmpeg-made files. Each test runs at 1280x800 and 390x844 and saves screenshots.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from mediafetcher_app.core.auth import TOKEN_PREFIX

from .conftest import open_page, run_cli, screenshot, sign_in

DONE_TIMEOUT = 90_000


def fetch(page: Page, url: str) -> None:
    """Paste a link into the add box and wait until its job is done on the dashboard."""
    open_page(page, page.base_url + "/dashboard")  # type: ignore[attr-defined]
    page.fill("#add-url-input", url)
    page.press("#add-url-input", "Enter")
    row = page.locator(".job-row", has_text=url).first
    expect(row).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)


@pytest.fixture
def app(live_server, page: Page, fixture_server):
    page.base_url = live_server.url  # type: ignore[attr-defined]
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    return page


def test_add_url_and_watch_progress_reach_done(app: Page, fixture_server):
    url = fixture_server.url("/media/h264.mp4")
    open_page(app, app.base_url + "/dashboard")  # type: ignore[attr-defined]
    app.fill("#add-url-input", url)
    app.press("#add-url-input", "Enter")
    row = app.locator(".job-row", has_text=url).first
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)
    expect(app.locator("#system-status")).to_contain_text("Workers")
    expect(app.locator("#event-log")).to_contain_text("Added")
    screenshot(app, "dashboard-done")


def test_audio_only_toggle_saves_a_video_link_as_mp3(app: Page, fixture_server):
    open_page(app, app.base_url + "/dashboard")  # type: ignore[attr-defined]
    app.click("#add-url-audio")
    expect(app.locator("#add-url-audio")).to_have_attribute("aria-pressed", "true")
    # a link of this test's own: an earlier test's finished job for the plain clip link would
    # otherwise be the row found done, before this job has made its MP3
    url = fixture_server.url(f"/media/clip.mp4?audio-only={app.viewport_label}")  # type: ignore[attr-defined]
    app.fill("#add-url-input", url)
    app.press("#add-url-input", "Enter")
    expect(app.get_by_text("Added to the queue (audio only)")).to_be_visible()
    expect(app.locator(".job-row", has_text=url).first).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)
    open_page(app, app.base_url + "/?kind=audio")  # type: ignore[attr-defined]
    expect(app.locator('.mf-card[data-kind="audio"]').first).to_be_visible()


def test_open_the_viewer_and_seek_the_video(app: Page, fixture_server):
    fetch(app, fixture_server.url("/media/h264.mp4"))
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    app.locator('.mf-card[data-kind="video"]').first.click()
    video = app.locator("#viewer-video")
    expect(video).to_be_visible()
    app.wait_for_function("document.querySelector('#viewer-video').readyState >= 1", timeout=20_000)
    app.evaluate("document.querySelector('#viewer-video').pause()")
    position = app.evaluate(
        """() => new Promise((resolve) => {
            const v = document.querySelector('#viewer-video');
            v.addEventListener('seeked', () => resolve(v.currentTime), {once: true});
            v.currentTime = 2.0;
        })"""
    )
    assert 1.9 <= position <= 2.1
    screenshot(app, "viewer")


def test_feed_filters_by_kind(app: Page, fixture_server):
    fetch(app, fixture_server.url("/media/h264.mp4"))
    fetch(app, fixture_server.url("/img/red.jpg"))
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    expect(app.locator('.mf-card[data-kind="image"]').first).to_be_visible()
    app.get_by_role("radio", name="Video").click()
    expect(app.locator('.mf-card[data-kind="image"]')).to_have_count(0)
    expect(app.locator('.mf-card[data-kind="video"]').first).to_be_visible()
    app.get_by_role("radio", name="Images").click()
    expect(app.locator('.mf-card[data-kind="video"]')).to_have_count(0)
    expect(app.locator('.mf-card[data-kind="image"]').first).to_be_visible()
    screenshot(app, "feed-images")


def test_create_folders_and_put_one_media_in_two(app: Page, fixture_server):
    fetch(app, fixture_server.url("/img/red.jpg"))
    suffix = app.viewport_label  # type: ignore[attr-defined]
    open_page(app, app.base_url + "/library")  # type: ignore[attr-defined]
    for name in (f"Trips {suffix}", f"Best {suffix}"):
        app.fill("#new-folder-name", name)
        app.click("#create-folder")
        expect(app.locator(".folder-row", has_text=name)).to_be_visible()
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    app.locator('.mf-card[data-kind="image"]').first.click()
    image = app.locator("#viewer-image")
    expect(image).to_have_css("cursor", "zoom-in")
    image.click()
    expect(image).to_have_css("cursor", "zoom-out")
    # zoomed, the picture is shown at its own size (once it has loaded and been laid out)
    app.wait_for_function("img => img.getBoundingClientRect().width === img.naturalWidth", arg=image.element_handle())
    for name in (f"Trips {suffix}", f"Best {suffix}"):
        app.get_by_text("Add to folder…").click()
        app.get_by_role("option", name=name).click()
        expect(app.locator("#viewer")).to_contain_text(name)
    app.keyboard.press("Escape")
    open_page(app, app.base_url + "/library")  # type: ignore[attr-defined]
    for name in (f"Trips {suffix}", f"Best {suffix}"):
        expect(app.locator(f'.folder-row[data-name="{name}"]')).to_contain_text("1")
    screenshot(app, "library")


def test_search_finds_by_prefix_and_latest_query_wins(app: Page, fixture_server):
    fetch(app, fixture_server.url("/media/h264.mp4"))
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    expect(app.locator(".mf-card").first).to_be_visible()
    app.fill("#search-input", "zzzz-no-such-thing")
    expect(app.locator(".mf-empty")).to_contain_text("Nothing matches")
    app.fill("#search-input", "h264")
    expect(app.locator(".mf-card").first).to_be_visible()
    expect(app.locator(".mf-empty")).to_have_count(0)
    screenshot(app, "search")


@pytest.fixture(scope="session")
def seeded(live_server):
    """150 more media (with thumbnails) in the live library: more than two pages of 60."""
    run_cli(live_server, "bench.seed_media", "--count", "150")


def test_infinite_scroll_loads_the_next_page(app: Page, seeded):
    pages: list[str] = []
    app.on("request", lambda request: pages.append(request.url) if "/api/v1/media?" in request.url else None)
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    feed = app.locator(".mf-feed")
    expect(feed).to_have_attribute("data-count", "60")
    app.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(feed).to_have_attribute("data-count", "120")
    assert "before=" not in pages[0] and "before=" in pages[-1], "the next page is asked for by cursor"
    screenshot(app, "feed-scrolled")


def test_settings_by_role(app: Page, live_server):
    open_page(app, live_server.url + "/settings")
    expect(app.locator("#settings-users")).to_be_visible()
    expect(app.locator("#settings-storage")).to_contain_text("free")
    screenshot(app, "settings-admin")
    name = f"viewer{app.viewport_label.replace('x', '')}"  # type: ignore[attr-defined]
    run_cli(live_server, "mediafetcher_app.cli", "user", "create", name, "--password", "viewer-password-1")
    app.context.clear_cookies()
    sign_in(app, live_server.url, name, "viewer-password-1")
    expect(app.get_by_role("heading", name="Feed")).to_be_visible()
    open_page(app, live_server.url + "/settings")
    expect(app.locator("#settings-account")).to_be_visible()
    expect(app.locator("#settings-users")).to_have_count(0)
    expect(app.locator("#settings-connections")).to_be_visible()  # their own cookies (issue 8 item 6)
    expect(app.locator("#connections-everyone")).to_have_count(0)
    screenshot(app, "settings-user")
    assert TOKEN_PREFIX not in app.content()


def _as_if_from_youtube(live_server, url: str) -> int:
    """Give the media the job for ``url`` produced the identity and tags a YouTube replay gives
    (tests/test_platform_replay.py proves the pipeline part): the UI part is what this test looks
    at. Returns that media's id. Found through the job, not the source's link: an earlier test may
    have archived the same bytes under another link."""
    dsn = make_url(live_server.database_url).render_as_string(False).replace("+psycopg", "")
    with psycopg.connect(dsn) as conn:
        [media_id] = conn.execute(
            "SELECT jm.media_id FROM job_media jm JOIN download_job j ON j.id = jm.job_id"
            " WHERE j.url = %s ORDER BY j.id DESC LIMIT 1",
            (url,),
        ).fetchone()
        conn.execute(
            "UPDATE source SET platform = 'youtube'"
            " WHERE id IN (SELECT source_id FROM media_source WHERE media_id = %s)",
            (media_id,),
        )
        # newest of all, as if just fetched: the same bytes may have been stored by an earlier test,
        # and the seeded library (test_infinite_scroll...) stamps its media after "now"
        conn.execute(
            "UPDATE media SET created_at = (SELECT max(created_at) FROM media) + interval '1 second' WHERE id = %s",
            (media_id,),
        )
        conn.execute("INSERT INTO tag (name) VALUES ('from the site') ON CONFLICT DO NOTHING")
        conn.execute(
            "INSERT INTO media_tag (media_id, tag_id, from_source) SELECT %s, t.id, true"
            " FROM tag t WHERE t.name = 'from the site' ON CONFLICT DO NOTHING",
            (media_id,),
        )
    return media_id


def test_cards_filter_and_viewer_show_the_platform_icon_and_source_tags(app: Page, fixture_server, live_server):
    # a link per viewport: the other run's source for the same link is YouTube's already, and
    # two YouTube sources may not share one id
    url = fixture_server.url(f"/img/green.png?platform={app.viewport_label}")  # type: ignore[attr-defined]
    fetch(app, url)
    media_id = _as_if_from_youtube(live_server, url)
    open_page(app, app.base_url + "/")  # type: ignore[attr-defined]
    icon = app.locator('.mf-card-platform img[src="/platforms/youtube.svg"]').first
    expect(icon).to_be_visible()
    expect(app.locator(".mf-card-platform", has_text="YouTube").first).to_be_visible()
    assert app.evaluate("(img) => img.naturalWidth > 0", icon.element_handle()), "the icon's SVG is served"
    app.get_by_role("combobox", name="Platform").click()
    option = app.get_by_role("option", name="YouTube")
    expect(option.locator('img[src="/platforms/youtube.svg"]')).to_be_visible()
    option.click()
    # the grid refetches: YouTube cards only (earlier tests leave other YouTube media too)
    expect(app.locator('.mf-card:not(:has(img[src="/platforms/youtube.svg"]))')).to_have_count(0)
    # and the source tag filters too: this test's media alone is left
    app.get_by_role("combobox", name="Tag").click()
    app.get_by_role("option", name=re.compile("from the site")).click()
    expect(app.locator(".mf-card")).to_have_count(1)
    app.locator(f'.mf-card[data-media-id="{media_id}"]').click()
    expect(app.locator(".mf-source-tag", has_text="from the site")).to_be_visible()
    screenshot(app, "viewer-platform")


def test_a_failed_download_links_the_page_that_fixes_it(app: Page, fixture_server):
    """A site that refuses access (403) asks for cookies; the job's row links Connections."""
    url = fixture_server.url(f"/status/403?{app.viewport_label}")  # type: ignore[attr-defined]
    open_page(app, app.base_url + "/dashboard")  # type: ignore[attr-defined]
    app.fill("#add-url-input", url)
    app.press("#add-url-input", "Enter")
    row = app.locator(".job-row", has_text=url).first
    expect(row).to_have_attribute("data-status", "failed", timeout=DONE_TIMEOUT)
    expect(row).to_contain_text("add cookies for 127.0.0.1 under Connections")
    link = row.locator(".job-fix-link")
    expect(link).to_have_text("Open Connections")
    link.click()
    expect(app).to_have_url(app.base_url + "/settings#settings-connections")  # type: ignore[attr-defined]
    expect(app.locator("#settings-connections")).to_be_visible()
    screenshot(app, "failed-job-link")
