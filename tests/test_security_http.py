"""Issue 8 at the HTTP edge: serving never runs content (2), redirects stay home (3), only our origin
talks to us (5), bodies and parameters (8). Through our real ASGI stack (SecurityLayer around
build_api, as the app mounts them), the real database and the real Reflex states.

Reflex's own parts (its websocket, its built pages, its CORS) are checked against the live app in
tests/browser/test_security_live.py; the CSP in Chromium by every browser test.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mediafetcher_app.api import SecurityLayer, build_api
from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Media, Role
from mediafetcher_app.core.redirects import safe_next
from mediafetcher_app.core.settings import get_settings
from mediafetcher_app.state.login import LoginState
from tests.factories import PASSWORD, bearer, make_media, make_session, make_token, make_user
from tests.states import call, state

BASE = "http://mf.test"
OUR_ORIGIN = "http://mf.test"
FILE_CSP = "default-src 'none'; sandbox"
HOSTILE_TARGETS = {
    "javascript": "javascript:alert(document.cookie)",
    "data": "data:text/html,<script>alert(1)</script>",
    "protocol-relative": "//evil.example/",
    "backslash-host": "/\\evil.example",
    "double-backslash": "\\\\evil.example",
    "absolute": "https://evil.example/",
    "tab-inside": "/\t/evil.example",
    "newline-inside": "/\n/evil.example",
    "encoded-slashes": "%2F%2Fevil.example",
    "path-then-encoded-slashes": "/%2F%2Fevil.example",
    "encoded-backslash": "/%5Cevil.example",
    "double-encoded-backslash": "/%255Cevil.example",
    "encoded-tab": "/%09/evil.example",
    "ideographic-space": "/\u3000/evil.example",
}


@pytest.fixture
def api() -> SecurityLayer:
    """``client`` goes through the whole ASGI stack, as the app mounts it."""
    return SecurityLayer(build_api())


@pytest.fixture
def alice(client: httpx.AsyncClient) -> str:
    """Alice signed in with a browser session (the client carries her cookie); returns a token of hers."""
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    return make_token("alice")


@pytest.fixture
def allowed_origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MF_ALLOWED_ORIGINS", "https://media.example.lan, http://10.0.0.5:8080/")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _set_mime(media_id: int, mime: str) -> None:
    with session_scope() as db:
        media = db.get(Media, media_id)
        assert media is not None
        media.mime = mime
        db.add(media)


def _assert_sandboxed(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith(FILE_CSP)
    assert response.headers["cross-origin-resource-policy"] == "same-origin"


def script_sources(policy: str) -> list[str]:
    return policy.split("script-src ", 1)[1].split(";", 1)[0].split()


def assert_page_headers(response: httpx.Response) -> str:
    """The headers of every page and route but the stored files; returns the CSP."""
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert script_sources(policy)[0] == "'self'" and "'unsafe-inline'" not in script_sources(policy)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    return policy


# --- 2. serving never runs content ---------------------------------------------------------------


async def test_media_files_are_sandboxed_nosniff_with_their_allowed_type(client, alice):
    media_id = make_media("Clip")
    response = await client.get(f"/media/{media_id}", headers=bearer(alice))
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    assert response.headers["content-disposition"].startswith("inline;")
    _assert_sandboxed(response)


async def test_thumbnails_are_sandboxed_nosniff_webp(client, alice):
    media_id = make_media("Clip")
    with session_scope() as db:
        media = db.get(Media, media_id)
        assert media is not None
        media.thumbnail_path = "thumbs/clip.webp"
        db.add(media)
    thumb = get_settings().media_root / "thumbs" / "clip.webp"
    thumb.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    response = await client.get(f"/thumbs/{media_id}", headers=bearer(alice))
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
    _assert_sandboxed(response)


@pytest.mark.parametrize("stored_type", ["text/html", "image/svg+xml", "application/javascript", "text/plain", ""])
async def test_a_file_whose_stored_type_is_not_media_is_an_opaque_attachment(client, alice, stored_type):
    media_id = make_media("Disguised", content=b"<html><script>alert(document.cookie)</script></html>")
    _set_mime(media_id, stored_type)
    response = await client.get(f"/media/{media_id}", headers=bearer(alice))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    _assert_sandboxed(response)


async def test_the_original_download_is_a_sandboxed_attachment(client, alice):
    media_id = make_media("Holiday")
    response = await client.get(f"/media/{media_id}?download=1", headers=bearer(alice))
    assert response.headers["content-disposition"].startswith("attachment;")
    _assert_sandboxed(response)


@pytest.mark.parametrize("route", ["/media", "/thumbs"])
async def test_errors_on_file_routes_carry_the_sandbox_headers_too(client, route):
    media_id = make_media("No thumbnail")
    make_user("alice")
    no_scope, reader = make_token("alice", (auth.Scope.DOWNLOADS_READ,)), make_token("alice")
    errors = {
        401: await client.get(f"{route}/{media_id}"),
        403: await client.get(f"{route}/{media_id}", headers=bearer(no_scope)),
        404: await client.get(f"{route}/999999", headers=bearer(reader)),
        400: await client.get(f"{route}/not-a-number", headers=bearer(reader)),
    }
    for status, response in errors.items():
        assert response.status_code == status
        _assert_sandboxed(response)


async def test_our_routes_and_their_errors_send_the_page_headers(client, alice):
    for response in (
        await client.get("/api/v1/ping", headers=bearer(alice)),
        await client.get("/api/v1/ping", headers=bearer("mft_wrong")),
        await client.post("/api/v1/downloads", content=b"{", headers=bearer(alice)),
    ):
        assert_page_headers(response)


async def test_an_html_page_may_run_exactly_its_own_inline_scripts(tmp_path):
    """As Reflex serves its prerendered pages: static files, gzip-encoded or not, revalidated by
    the browser with a 304 (which must not replace the cached copy's CSP)."""
    inline = "window.boot = 1;"
    page = f'<html><script>{inline}</script><script src="/assets/app.js"></script></html>'
    (tmp_path / "index.html").write_text(page)

    async def zipped(_request) -> Response:
        return Response(gzip.compress(page.encode()), media_type="text/html", headers={"Content-Encoding": "gzip"})

    pages = Starlette(routes=[Route("/zipped", zipped), Mount("/", StaticFiles(directory=tmp_path, html=True))])
    expected = "'sha256-" + base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode() + "'"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=SecurityLayer(pages)), base_url=BASE) as http:
        for path in ("/", "/zipped"):
            response = await http.get(path)
            assert script_sources(response.headers["content-security-policy"]) == ["'self'", "'unsafe-eval'", expected]
            assert response.text == page
        revalidated = await http.get("/", headers={"If-None-Match": (await http.get("/")).headers["etag"]})
        assert revalidated.status_code == 304 and "content-security-policy" not in revalidated.headers


# --- 3. redirects stay home --------------------------------------------------------------------


@pytest.mark.parametrize("target", list(HOSTILE_TARGETS.values()), ids=list(HOSTILE_TARGETS))
def test_safe_next_drops_every_target_off_this_site(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize(
    "target", ["/library", "/pair?challenge=ab12&name=Firefox+on+Linux", "/?q=cat%20video#top", "/caf%C3%A9"]
)
def test_safe_next_keeps_paths_on_this_site_whole(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", list(HOSTILE_TARGETS.values()), ids=list(HOSTILE_TARGETS))
async def test_sign_in_route_never_redirects_off_site_whatever_next_the_form_posts(client, target):
    """The sign-in form posts the address bar's ``next`` as it is: this route is the only gate."""
    make_user("alice")
    form = {"username": "alice", "password": PASSWORD, "next": target}
    response = await client.post("/auth/login", data=form, headers={"Origin": OUR_ORIGIN})
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_login_page_state_never_redirects_to_a_hostile_next():
    make_user("alice")
    session = make_session("alice")
    signed_in = state(LoginState, session, "/login?next=javascript%3Aalert(document.cookie)")
    redirect = str(await call(signed_in, "load"))
    assert "javascript" not in redirect and '"/"' in redirect
    signed_out = state(LoginState, None, "/login?next=%2F%2Fevil.example")
    assert await call(signed_out, "load") is None


# --- 5. only our origin talks to us --------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://mf.test"},  # our host, another scheme
        {"Sec-Fetch-Site": "cross-site"},  # no Origin, but the browser says where it came from
        {"Sec-Fetch-Site": "same-site"},  # e.g. another app on another port of our host
    ],
    ids=["other-scheme", "no-origin-cross-site", "no-origin-same-site"],
)
async def test_cookie_authenticated_write_from_elsewhere_is_refused(client, alice, headers):
    response = await client.post("/api/v1/downloads", json={"url": "https://example.com/v"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_writes_from_our_pages_a_script_or_the_extensions_token_are_accepted(client, alice):
    """Our origin however spelled, no browser headers at all (a script holding the cookie), and a
    token request, which carries the extension's own Origin and is not cookie-authenticated."""
    for headers in (
        {"Origin": OUR_ORIGIN},
        {"Origin": "HTTP://MF.TEST:80"},
        {"Sec-Fetch-Site": "same-origin"},
        {},
        {"Origin": "chrome-extension://abcdefghijklmnop", **bearer(alice)},
    ):
        response = await client.post("/api/v1/downloads", json={"url": "https://example.com/v"}, headers=headers)
        assert response.status_code == 202, headers


async def test_sign_in_from_another_origin_is_refused(client):
    make_user("alice")
    form = {"username": "alice", "password": PASSWORD}
    response = await client.post("/auth/login", data=form, headers={"Origin": "http://mf.test:8080"})
    assert response.status_code == 403 and "set-cookie" not in response.headers


async def test_sign_out_from_another_origin_is_refused(client, alice):
    response = await client.post("/auth/logout", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert (await client.get("/api/v1/ping")).status_code == 200  # still signed in


async def test_allowed_origins_admit_a_reverse_proxy_in_front(client, alice, allowed_origins):
    for origin in ("https://media.example.lan", "https://MEDIA.example.lan:443", "http://10.0.0.5:8080"):
        response = await client.post(
            "/api/v1/downloads", json={"url": "https://example.com/v"}, headers={"Origin": origin}
        )
        assert response.status_code == 202, origin
    refused = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/v"}, headers={"Origin": "http://media.example.lan"}
    )
    assert refused.status_code == 403


# --- 8. bodies and parameters --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/downloads", "/auth/login", "/api/v1/pair/claim"])
async def test_a_declared_oversized_body_is_refused_before_authentication(client, path):
    response = await client.post(path, content=b"x" * 65 * 1024, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "larger than" in response.json()["error"]["message"]


async def test_a_streamed_oversized_body_is_refused_before_authentication(client):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b'{"url": "' + b"x" * 1024

    response = await client.post("/api/v1/downloads", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["message"].endswith(
        "the most this address accepts."
    )


async def test_body_limits_are_per_route(client):
    make_user("root", Role.admin)
    admin = make_token("root", (*auth.Scope.DEFAULT, auth.Scope.COOKIES_WRITE))
    one_mb = b"# " + b"x" * (1024 * 1024) + b"\n"
    cookies = await client.post(
        "/api/v1/cookies", content=one_mb, headers=bearer(admin, **{"Content-Type": "text/plain"})
    )
    assert cookies.status_code == 400 and cookies.json()["error"]["code"] == "invalid_cookies"  # read, parsed
    download = await client.post("/api/v1/downloads", content=one_mb, headers=bearer(admin))
    assert download.status_code == 413


async def test_deeply_nested_json_is_a_400_naming_the_problem(client, alice):
    nested = b"[" * 20_000 + b"]" * 20_000
    response = await client.post("/api/v1/downloads", content=nested, headers=bearer(alice))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_json",
        "message": "The request body is JSON nested deeper than 32 levels.",
    }


async def test_deeply_nested_cookie_json_is_a_400_naming_the_problem(client):
    make_user("root", Role.admin)
    admin = make_token("root", (*auth.Scope.DEFAULT, auth.Scope.COOKIES_WRITE))
    nested = b'{"cookies": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = await client.post("/api/v1/cookies", content=nested, headers=bearer(admin))
    assert response.status_code == 400 and "nested deeper than 32 levels" in response.json()["error"]["message"]


async def test_malformed_json_sign_in_is_a_400(client):
    for body in (b"{not json", b'["alice"]', b"[" * 5000):
        response = await client.post("/auth/login", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["1e300:1", "inf:1", "-1e300:1", "1700000000:99999999999999999999", "1700000000:0"])
async def test_a_tampered_cursor_is_a_400(client, alice, raw):
    make_media("One")
    response = await client.get("/api/v1/media", params={"before": _cursor(raw)}, headers=bearer(alice))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "message": "The page cursor is not valid; reload the feed.",
    }


@pytest.mark.parametrize(
    "params,named",
    [
        ({"folder_id": "99999999999999999999"}, "folder_id"),
        ({"folder_id": "0"}, "folder_id"),
        ({"limit": "0"}, "limit"),
        ({"tag": "a\x00b"}, "tag"),
        ({"platform": "\x00"}, "platform"),
    ],
)
async def test_out_of_range_or_unusable_filters_are_a_400_naming_the_filter(client, alice, params, named):
    response = await client.get("/api/v1/media", params=params, headers=bearer(alice))
    assert response.status_code == 400 and named in response.json()["error"]["message"]


async def test_the_last_day_of_the_calendar_is_a_valid_date_filter(client, alice):
    make_media("One")
    for name in ("downloaded_to", "posted_to"):
        response = await client.get("/api/v1/media", params={name: "9999-12-31"}, headers=bearer(alice))
        assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/media/99999999999999999999",
        "/api/v1/media/abc",
        "/media/99999999999999999999",
        "/api/v1/downloads/99999999999999999999",
        "/api/v1/downloads/2147483648",
        "/api/v1/downloads/-1",
    ],
)
async def test_ids_out_of_range_or_not_numbers_are_a_400(client, alice, path):
    response = await client.get(path, headers=bearer(alice))
    assert response.status_code == 400
    assert (
        response.json()["error"]["code"] == "invalid_id" and "must be a number" in response.json()["error"]["message"]
    )


async def test_values_the_database_cannot_take_are_a_400_not_a_500(client, alice):
    nul_name = await client.post("/auth/login", json={"username": "ali\x00ce", "password": "x"})
    huge_folder = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/v", "folder_id": 10**20}, headers=bearer(alice)
    )
    for response in (nul_name, huge_folder):
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_value"
