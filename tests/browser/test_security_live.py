"""Issue 8 items 2 and 5 against the real app (Reflex's websocket, its built pages, its CORS), no
browser: httpx, and a websocket client (wsproto over a TCP socket) speaking to the live server as
a browser does (simple-websocket would do, but it leaves the port out of its Host header).

The CSP itself is checked in Chromium by every browser test (conftest.csp_violations).
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, Request, TextMessage

from mediafetcher_app.core import auth
from tests.test_security_http import assert_page_headers, script_sources

from .conftest import ADMIN, PROXY_ORIGIN

OTHER_PORT_ORIGIN = "http://127.0.0.1:8080"  # same site as the live server, another app


class Refused(Exception):
    """The server turned the websocket handshake down."""


def _open_socket(base: str, origin: str) -> str:
    """Opens Reflex's websocket with ``Origin``; returns the Engine.IO greeting, raises Refused."""
    address = urlsplit(base)
    connection = WSConnection(ConnectionType.CLIENT)
    handshake = Request(
        host=address.netloc, target="/_event/?EIO=4&transport=websocket", extra_headers=[("Origin", origin)]
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as tcp:
        tcp.sendall(connection.send(handshake))
        while data := tcp.recv(65536):
            connection.receive_data(data)
            for event in connection.events():
                if isinstance(event, RejectConnection):
                    raise Refused(event.status_code)
                if isinstance(event, TextMessage):
                    return event.data
                assert isinstance(event, AcceptConnection)
    raise AssertionError("the server closed the connection without answering")


@pytest.fixture
def signed_in(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.url) as http:
        answer = http.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        assert answer.status_code == 200 and http.cookies.get(auth.SESSION_COOKIE)
        yield http


def test_the_websocket_accepts_our_own_origin_and_the_configured_proxy(live_server):
    assert _open_socket(live_server.url, live_server.url).startswith("0{")
    assert _open_socket(live_server.url, PROXY_ORIGIN).startswith("0{")


@pytest.mark.parametrize("origin", ["http://evil.example", OTHER_PORT_ORIGIN, "https://127.0.0.1", "null"])
def test_a_websocket_from_another_origin_is_refused(live_server, origin):
    if origin == "https://127.0.0.1":  # our host, another scheme (and port)
        origin = "https://" + urlsplit(live_server.url).netloc
    with pytest.raises(Refused):
        _open_socket(live_server.url, origin)


def test_cors_never_lets_another_origin_read_with_the_users_cookie(signed_in):
    for origin in ("http://evil.example", OTHER_PORT_ORIGIN):
        read = signed_in.get("/api/v1/ping", headers={"Origin": origin})
        assert read.status_code == 200  # the request runs; the browser must not hand the answer over
        assert "access-control-allow-origin" not in read.headers
        preflight = signed_in.options(
            "/api/v1/downloads", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers
    proxied = signed_in.get("/api/v1/ping", headers={"Origin": PROXY_ORIGIN})
    assert proxied.headers["access-control-allow-origin"] == PROXY_ORIGIN


@pytest.mark.parametrize("path", ["/login/", "/pair/?challenge=" + "a" * 64 + "&name=x", "/", "/no-such-page"])
def test_built_pages_and_their_assets_send_the_security_headers(live_server, path):
    with httpx.Client(base_url=live_server.url) as http:
        page = http.get(path)
        assert page.headers["content-type"].startswith("text/html")
        policy = assert_page_headers(page)
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
        hashes = [source for source in script_sources(policy) if source.startswith("'sha256-")]
        assert inline_scripts and 1 <= len(hashes) <= len(inline_scripts)
        asset = re.search(r'href="(/assets/[^"]+\.js)"', page.text)
        assert asset, "the page links its scripts"
        assert_page_headers(http.get(asset.group(1)))
