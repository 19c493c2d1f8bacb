"""Issue 13 item 1: the installable web app and its share target, through our real ASGI stack
(SecurityLayer around build_api), the real database and the real ShareState."""

from __future__ import annotations

import json
import re
from io import BytesIO
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from PIL import Image
from sqlmodel import select

from mediafetcher_app.api import SecurityLayer, build_api
from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.models import DownloadJob
from mediafetcher_app.core.redirects import safe_next
from mediafetcher_app.core.share import shared_link
from mediafetcher_app.state.share import ShareState
from tests.factories import make_session, make_user
from tests.states import call, is_login_redirect, state

BASE = "http://mf.test"
TIKTOK_TEXT = "Look at this one! https://vm.tiktok.com/ZMabc123/ #fyp"


@pytest.fixture
def api() -> SecurityLayer:
    """``client`` goes through the whole ASGI stack, as the app mounts it."""
    return SecurityLayer(build_api())


def job_urls() -> list[str]:
    with session_scope() as db:
        return [job.url for job in db.exec(select(DownloadJob)).all()]


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_a_link_in_the_text_field_is_found_as_the_tiktok_app_shares_it():
    assert shared_link(text=TIKTOK_TEXT) == "https://vm.tiktok.com/ZMabc123/"


def test_the_url_field_wins_and_trailing_punctuation_is_dropped():
    assert shared_link(url="https://youtu.be/abc", text="https://other.example/") == "https://youtu.be/abc"
    assert shared_link(text="see https://www.instagram.com/reel/C1x2/.") == "https://www.instagram.com/reel/C1x2/"


def test_a_share_without_a_web_link_says_so_in_a_sentence():
    with pytest.raises(InvalidInput, match=r"holds no web link.*ftp://files\.example/a"):
        shared_link(text="ftp://files.example/a")
    with pytest.raises(InvalidInput, match="Nothing was shared"):
        shared_link()


async def test_the_manifest_declares_icons_and_a_post_share_target(client: httpx.AsyncClient):
    answer = await client.get("/manifest.webmanifest")
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(answer.text)
    assert manifest["share_target"]["method"] == "POST"
    assert manifest["share_target"]["params"] == {"title": "title", "text": "text", "url": "url"}
    for icon in manifest["icons"]:
        image = Image.open(BytesIO((await client.get(icon["src"])).content))
        assert f"{image.width}x{image.height}" == icon["sizes"]


async def test_the_service_worker_caches_nothing_and_pages_may_load_it(client: httpx.AsyncClient):
    worker = await client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript")
    assert "caches.delete" in worker.text and "put(" not in worker.text and "respondWith" not in worker.text
    policy = (await client.get("/manifest.webmanifest")).headers["content-security-policy"]
    assert "manifest-src 'self'" in policy and "worker-src 'self'" in policy
    assert (await client.get("/icons/..%2Fsw.js")).status_code == 404


async def test_a_share_with_a_session_creates_the_job_and_shows_the_dashboard(client: httpx.AsyncClient):
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    answer = await client.post("/share-target", data={"title": "Clip", "text": TIKTOK_TEXT}, headers={"Origin": BASE})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    assert job_urls() == ["https://vm.tiktok.com/ZMabc123/"]


async def test_a_share_posted_as_multipart_is_read_too(client: httpx.AsyncClient):
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    answer = await client.post("/share-target", files={"url": (None, "https://youtu.be/abc")})
    assert answer.status_code == 303 and job_urls() == ["https://youtu.be/abc"]


async def test_a_cross_site_share_with_the_cookie_creates_no_job(client: httpx.AsyncClient):
    """Another port of the same host is same-site: the browser sends the cookie, Origin tells it apart."""
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    answer = await client.post(
        "/share-target", data={"url": "https://youtu.be/abc"}, headers={"Origin": "http://mf.test:8080"}
    )
    assert answer.status_code == 303 and query_of(answer.headers["location"]) == {"url": "https://youtu.be/abc"}
    assert urlsplit(answer.headers["location"]).path == "/share"
    assert job_urls() == []


async def test_a_signed_out_share_keeps_the_link_for_after_sign_in(client: httpx.AsyncClient):
    answer = await client.post("/share-target", data={"text": TIKTOK_TEXT})
    assert answer.status_code == 303
    assert query_of(answer.headers["location"]) == {"url": "https://vm.tiktok.com/ZMabc123/"}
    assert job_urls() == []


async def test_a_share_without_a_link_shows_the_sentence_and_what_was_shared(client: httpx.AsyncClient):
    answer = await client.post("/share-target", data={"text": "just words"})
    shown = query_of(answer.headers["location"])
    assert shown["shared"] == "just words" and "holds no web link" in shown["error"]


async def test_the_share_page_signed_out_sends_to_sign_in_with_the_link_in_next():
    page = state(ShareState, path="/share?url=https%3A%2F%2Fyoutu.be%2Fabc")
    result = await call(page, "load")
    assert is_login_redirect(result)
    next_param = re.search(r"login\?next=([^\"']+)", str(result)).group(1)
    # What the login page will send the browser to: this share, link intact, through safe_next.
    assert safe_next(unquote(next_param)) == "/share?url=https%3A%2F%2Fyoutu.be%2Fabc"


async def test_opening_the_share_page_creates_nothing_until_download_is_tapped():
    make_user("alice")
    page = state(ShareState, make_session("alice"), path="/share?url=https%3A%2F%2Fyoutu.be%2Fabc")
    await call(page, "load")
    assert page.link == "https://youtu.be/abc" and job_urls() == []
    steps = await call(page, "download")
    assert "/dashboard" in str(steps[-1]) and job_urls() == ["https://youtu.be/abc"]


async def test_a_refused_shared_link_shows_its_sentence_on_the_page():
    make_user("alice")
    page = state(ShareState, make_session("alice"), path="/share?url=https%3A%2F%2F")
    await call(page, "load")
    await call(page, "download")
    assert page.error and not page.busy and job_urls() == []
