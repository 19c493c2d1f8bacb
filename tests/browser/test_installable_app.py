"""Issue 13 items 1 and 4 in headless Chromium at a phone's 360 px, against the real app and worker:
the manifest and its share target as Chromium parses them, sharing a link (signed in, and signed
out then signed in), the uploader and posted date on cards and in the viewer, and the dashboard's
health row keeping room between its items.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import ADMIN, csp_violations, open_page, screenshot, sign_in

DONE_TIMEOUT = 90_000
MIN_GAP_PX = 8
DASHBOARD = re.compile(r"/dashboard/?$")
# The service worker's scope once it is active, or a sentence when it never registers (no hang).
READY_SCOPE = """Promise.race([
  navigator.serviceWorker.ready.then((registration) => registration.scope),
  new Promise((resolve) => setTimeout(() => resolve("no service worker became ready"), 20000)),
])"""

# What the phone's share sheet does: a top-level form POST to the manifest's share_target.
SHARE = """([action, fields]) => {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = action;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    context.set_default_timeout(20_000)
    violations = csp_violations(context)
    tab = context.new_page()
    tab.viewport_label = "360x740"  # type: ignore[attr-defined]
    tab.base_url = live_server.url  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert not violations, "\n".join(violations)


def signed_in(page: Page) -> None:
    sign_in(page, page.base_url)  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()


def share(page: Page, fields: dict[str, str]) -> None:
    manifest = json.loads(page.evaluate("fetch('/manifest.webmanifest').then((r) => r.text())"))
    page.evaluate(SHARE, [manifest["share_target"]["action"], fields])


def test_the_manifest_parses_with_its_share_target_and_the_worker_caches_nothing(phone: Page):
    signed_in(phone)
    open_page(phone, phone.base_url + "/dashboard")  # type: ignore[attr-defined]
    cdp = phone.context.new_cdp_session(phone)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    parsed = json.loads(manifest["data"])
    assert parsed["share_target"]["method"] == "POST" and set(parsed["share_target"]["params"]) == {
        "title",
        "text",
        "url",
    }
    scope = phone.evaluate(READY_SCOPE)
    assert scope == phone.base_url + "/"  # type: ignore[attr-defined]
    phone.reload()
    phone.wait_for_function("navigator.serviceWorker.controller !== null")
    assert phone.evaluate("caches.keys()") == []


def test_sharing_with_a_session_creates_the_job_and_shows_its_progress(phone: Page, fixture_server):
    url = fixture_server.url("/media/h264.mp4")
    signed_in(phone)
    open_page(phone, phone.base_url + "/")  # type: ignore[attr-defined]
    share(phone, {"title": "A clip", "text": f"Look at this one! {url}"})
    phone.wait_for_url(DASHBOARD)
    row = phone.locator(".job-row", has_text=url).first
    expect(row).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)
    screenshot(phone, "share-done")


def test_a_signed_out_share_completes_after_sign_in(phone: Page, fixture_server):
    url = fixture_server.url("/img/red.jpg")
    phone.goto(phone.base_url + "/login")  # type: ignore[attr-defined]
    share(phone, {"url": url})
    phone.wait_for_url(re.compile(r"/login/?\?next=/share"))
    phone.fill("#username", ADMIN[0])
    phone.fill("#password", ADMIN[1])
    phone.click("#login-submit")
    expect(phone.locator("#share-link")).to_have_text(url)
    screenshot(phone, "share-confirm")
    phone.click("#share-download")
    phone.wait_for_url(DASHBOARD)
    expect(phone.locator(".job-row", has_text=url).first).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)


def test_cards_and_the_viewer_show_the_uploader_and_posted_date(phone: Page, live_server, fixture_server):
    url = fixture_server.url("/media/clip.mp4")
    signed_in(phone)
    open_page(phone, live_server.url + "/dashboard")
    phone.fill("#add-url-input", url)
    phone.press("#add-url-input", "Enter")
    row = phone.locator(".job-row", has_text=url).first
    expect(row).to_have_attribute("data-status", "done", timeout=DONE_TIMEOUT)
    with psycopg.connect(live_server.database_url.replace("+psycopg", ""), autocommit=True) as conn:
        # the sources of the media this job produced: an earlier test may have archived the same
        # clip under another link, and then this job links that source rather than making one
        conn.execute(
            "UPDATE source SET uploader = 'Fixture Channel', posted_at = '2024-05-17T12:00:00Z'"
            " WHERE id IN (SELECT ms.source_id FROM media_source ms"
            " JOIN job_media jm ON jm.media_id = ms.media_id JOIN download_job j ON j.id = jm.job_id"
            " WHERE j.url = %s)",
            (url,),
        )
    open_page(phone, live_server.url + "/")
    card = phone.locator(".mf-card", has=phone.locator(".mf-card-byline", has_text="Fixture Channel")).first
    expect(card.locator(".mf-card-byline")).to_contain_text("2024-05-17")
    card.click()
    expect(phone.locator("#viewer-byline")).to_have_text("by Fixture Channel · posted 2024-05-17")
    screenshot(phone, "viewer-byline")


def test_the_health_row_has_room_between_its_items_at_360_px(phone: Page):
    signed_in(phone)
    open_page(phone, phone.base_url + "/dashboard")  # type: ignore[attr-defined]
    status = phone.locator("#system-status")
    expect(status).to_contain_text("used of")
    expect(status).to_contain_text("free")
    card = status.bounding_box()
    boxes = [item.bounding_box() for item in status.locator(".mf-status").all()]
    assert len(boxes) == 5 and card is not None and all(boxes)  # database, queue, workers, NAS, engines
    for box in boxes:
        assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"] + 0.5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            same_row = a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
            if same_row:
                left, right = sorted((a, b), key=lambda box: box["x"])
                assert right["x"] - (left["x"] + left["width"]) >= MIN_GAP_PX
            else:
                top, bottom = sorted((a, b), key=lambda box: box["y"])
                assert bottom["y"] - (top["y"] + top["height"]) >= 4
    screenshot(phone, "health-row")
