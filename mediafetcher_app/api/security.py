"""Security headers on every response and the websocket origin check: one ASGI layer around the
whole app (our routes, Reflex's websocket and endpoints, the built frontend in single-port prod).

Two header sets:

- **Stored files** (``/media/*``, ``/thumbs/*``): the bytes came from the internet, so the browser
  must never run them as a document of ours: ``default-src 'none'; sandbox`` (opened directly, the
  file is an opaque-origin document with no scripts), ``nosniff`` (the allow-listed Content-Type
  set by media.py is final), and ``Cross-Origin-Resource-Policy: same-origin`` (other sites, even
  other ports of the same host, cannot embed private media). ``<video>``, ``<audio>`` and
  ``<img>`` on our pages are subresource loads, which a response's CSP does not restrict.
- **Everything else**: the tightest policy the built Reflex frontend runs under (checked in
  Chromium by the browser tests, which fail on any CSP violation):

  - ``script-src 'self'`` plus the SHA-256 of each inline ``<script>`` of *this* HTML response.
    Reflex prerenders every page to a static file with inline bootstrap scripts (theme, React
    Router context and hydration); they are build output, identical for every visitor, so hashing
    the ones being served allows exactly them, nothing injected later, and no ``'unsafe-inline'``
    (so no injected ``<script>``, ``on*=`` attribute or ``javascript:`` URL runs).
  - ``'unsafe-eval'``, which Reflex cannot do without: every client-side effect an event sends
    from the server (``rx.toast``, ``rx.call_script``, Reflex's own reload after a frontend
    error) travels over the websocket as JavaScript source that its runtime ``eval``s. The code
    comes from our server's state handlers, never from a page or a URL.
  - ``style-src 'self' 'unsafe-inline'``: Emotion (Reflex's CSS-in-JS) and Radix insert
    ``<style>`` elements and ``style`` attributes at run time, without a nonce.
  - ``img-src 'self'`` and ``media-src 'self'`` (thumbnails and files from /thumbs and /media),
    ``connect-src 'self'`` (the websocket and ``/auth/*`` are same-origin; CSP 3 lets ``'self'``
    cover ``ws:``/``wss:`` on our host), ``manifest-src 'self'`` and ``worker-src 'self'`` (the
    installable app's manifest and service worker, api/webapp.py), ``form-action 'self'``,
    ``base-uri 'none'``; nothing else (``default-src 'none'``): no fonts, frames or plugins.
  - ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``: no page of ours, ``/pair`` above
    all, can be framed to trick a click. ``Referrer-Policy: same-origin``: our URLs (a NAS
    address, search terms) never leave in a Referer, while same-origin requests keep their
    ``Origin`` header (``no-referrer`` would turn it into ``null`` and fail origins.py).

A websocket handshake whose Origin origins.py refuses is closed before it is accepted (the server
answers 403), so no other page can open Reflex's state socket with the user's cookie.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from html.parser import HTMLParser

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .origins import origin_allowed

FILE_PREFIXES = ("/media/", "/thumbs/")
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; media-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
POLICY_VIOLATION = 1008  # websocket close code: the server refuses what the client is


class _InlineScripts(HTMLParser):
    """Collects the text of every ``<script>`` without ``src``, as the browser hashes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for the inline scripts of a document."""
    parser = _InlineScripts()
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))  # the HTML tokenizer's newline rule
    parser.close()
    digests = (hashlib.sha256(script.encode()).digest() for script in parser.scripts)
    return sorted({f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests})


def page_policy(html: str = "") -> str:
    return PAGE_POLICY.format(hashes="".join(f" {h}" for h in script_hashes(html)))


def _decoded(body: bytes, encoding: str) -> str:
    return (gzip.decompress(body) if encoding == "gzip" else body).decode("utf-8", "replace")


class SecurityLayer:
    """ASGI middleware: refuse foreign websockets, add the headers above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if origin_allowed(scope):
                await self.app(scope, receive, send)
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(FILE_PREFIXES):
            await self.app(scope, receive, self._with_headers(send, FILE_POLICY, same_origin_resource=True))
        else:
            await self.app(scope, receive, self._page_sender(send))

    @staticmethod
    def _with_headers(send: Send, policy: str | None, same_origin_resource: bool = False) -> Send:
        """``policy`` None: no CSP header (see _page_sender on 304)."""

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(COMMON_HEADERS)
                if policy is not None:
                    headers["Content-Security-Policy"] = policy
                if same_origin_resource:
                    headers["Cross-Origin-Resource-Policy"] = "same-origin"
            await send(message)

        return sender

    def _page_sender(self, send: Send) -> Send:
        """Non-HTML passes straight through; an HTML document is held until its scripts are hashed.

        The document arrives as body chunks, or, from Reflex's static files under Granian, as one
        ``http.response.pathsend`` naming the file (the ASGI extension that lets the server send it).
        A 304 (the browser revalidating its cached copy) goes without a CSP: browsers merge a 304's
        headers into the cached response, and the cached document's hashes are the right ones.
        """
        plain = self._with_headers(send, page_policy())
        held: Message | None = None
        chunks: list[bytes] = []

        async def release(body: bytes) -> None:
            assert held is not None
            encoding = Headers(raw=held["headers"]).get("content-encoding", "")
            await self._with_headers(send, page_policy(_decoded(body, encoding)))(held)

        async def sender(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if message["status"] == 304:
                    await self._with_headers(send, None)(message)
                elif Headers(raw=message["headers"]).get("content-type", "").startswith("text/html"):
                    held = message
                else:
                    await plain(message)
            elif held is None:
                await plain(message)
            elif message["type"] == "http.response.pathsend":
                await release(await anyio.Path(message["path"]).read_bytes())
                await send(message)
            else:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                await release(body)
                await send({"type": "http.response.body", "body": body})

        return sender
