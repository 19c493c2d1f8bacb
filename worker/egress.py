"""The egress proxy: the one path every connection made for a job takes (docs/ARCHITECTURE.md §6).

yt-dlp and gallery-dl (and any ffmpeg they start), the direct image fetch and the cookie check
are all pointed at this forward proxy on 127.0.0.1 (``runner`` and ``direct`` do it, so no
engine run can skip it). For each connection it resolves the target itself, applies
``core.egress_policy`` and connects to an address it has just checked: a redirect, a playlist,
a media segment or a thumbnail is a new connection and is checked the same way, and a name that
changes its answer between check and connect (DNS rebinding) cannot slip through. With
MF_BLOCK_PRIVATE_URLS off every connection still comes here and is allowed.

It speaks the little HTTP/1.1 a forward proxy needs: CONNECT tunnels (HTTPS) and absolute-URI
requests (plain HTTP), one request per client connection (the answer says ``Connection: close``);
bytes are copied as they are, so Range, chunked bodies and TLS pass untouched. A refusal is an
HTTP answer with a reason phrase ``worker.errors`` recognises in any engine's error text. With
MF_UPSTREAM_PROXY set, the proxy still checks the target, then forwards through that proxy.

It runs its own event loop in a daemon thread: the worker's loop does synchronous database
writes, which must not stall a transfer, and copying bytes must not delay the worker's loop.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import logging
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mediafetcher_app.core.egress_policy import EgressRefused, PrivateAddress, egress_policy
from mediafetcher_app.core.settings import egress_settings

log = logging.getLogger(__name__)

# Reason phrases of the proxy's own answers: engines quote them in their errors (``errors.classify``).
REFUSED_REASON = "Refused: private-network address (MF_BLOCK_PRIVATE_URLS)"
UNREACHABLE_REASON = "Unreachable: no connection to the host (MediaFetcher egress)"
HEAD_LIMIT = 64 * 1024  # request and response heads; also the streams' buffer size
CHUNK = 1024 * 1024
CONNECT_TIMEOUT_S = 10.0  # per address, so the next one gets a chance within an engine's own 30 s
IDLE_TIMEOUT_S = 600.0  # a tunnel nobody reads or writes for this long is closed
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade"}


class BadRequest(Exception):
    """The client sent something this proxy does not forward."""


class Unreachable(Exception):
    """No connection to the target (or the upstream proxy) could be made."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    host: str
    port: int
    headers: list[tuple[str, str]]

    @classmethod
    def parse(cls, head: bytes) -> Request:
        line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        try:
            method, target, _version = line.split(" ")
            headers = [(name.strip(), value.strip()) for name, value in (item.split(":", 1) for item in lines)]
            if method == "CONNECT":
                parts = urlsplit("//" + target)
                if parts.port is None:
                    raise ValueError("CONNECT needs host:port")
                return cls(method, target, parts.hostname or "", parts.port, headers)
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError("only absolute http:// targets (and CONNECT) are proxied")
            return cls(method, target, parts.hostname, parts.port or 80, headers)
        except ValueError as exc:
            raise BadRequest(str(exc) or "malformed request") from exc

    @property
    def is_connect(self) -> bool:
        return self.method == "CONNECT"

    def forwarded_head(self, *, absolute: bool, extra: list[tuple[str, str]]) -> bytes:
        """The request as the next hop gets it: origin-form for a server, absolute for a proxy;
        hop-by-hop headers dropped, ``Connection: close`` added."""
        target = self.target
        if not absolute:
            parts = urlsplit(self.target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        named = {t.strip().lower() for n, v in self.headers if n.lower() == "connection" for t in v.split(",")}
        kept = [(n, v) for n, v in self.headers if n.lower() not in HOP_BY_HOP | named]
        lines = [f"{self.method} {target} HTTP/1.1", *(f"{n}: {v}" for n, v in [*kept, *extra]), "Connection: close"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(status: int, reason: str, body: str) -> bytes:
    data = body.encode()
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
    head += f"Content-Length: {len(data)}\r\nX-MediaFetcher-Egress: refused\r\nConnection: close\r\n\r\n"
    return head.encode() + data


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int
    authorization: str | None

    @classmethod
    def from_url(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"MF_UPSTREAM_PROXY must be http://[user:password@]host:port, not {url!r}")
        authorization = None
        if parts.username is not None:
            token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            authorization = "Basic " + base64.b64encode(token).decode()
        return cls(parts.hostname, parts.port or 80, authorization)

    def headers(self) -> list[tuple[str, str]]:
        return [("Proxy-Authorization", self.authorization)] if self.authorization else []


def _upstream() -> Upstream | None:
    url = egress_settings().upstream_proxy
    return Upstream.from_url(url) if url else None


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            return await asyncio.open_connection(host, port, limit=HEAD_LIMIT)
    except (OSError, TimeoutError) as exc:
        raise Unreachable(f"{host}:{port}: {exc!r}") from exc


async def _open_checked(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve ``host`` (in a thread), check every address, connect to the first that answers."""
    addresses = await asyncio.get_running_loop().run_in_executor(None, egress_policy().check, host, port)
    failures = []
    for address in addresses:
        try:
            return await _open(str(address), port)
        except Unreachable as exc:
            failures.append(str(exc))
    raise Unreachable("; ".join(failures))


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(IDLE_TIMEOUT_S):
        return await reader.readuntil(b"\r\n\r\n")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the end on (a half-close, as TCP has it)."""
    with contextlib.suppress(OSError, TimeoutError):
        while True:
            async with asyncio.timeout(IDLE_TIMEOUT_S):
                data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


async def _relay_response(origin: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
    """Pass the response on with ``Connection: close`` (interim 1xx heads as they are), then its body."""
    while True:
        head = await _read_head(origin)
        status_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        status = status_line.split(" ", 2)[1] if status_line.count(" ") else ""
        if status.startswith("1") and status != "101":
            client.write(head)
            continue
        kept = [line for line in lines if line.split(":", 1)[0].strip().lower() not in HOP_BY_HOP]
        client.write(("\r\n".join([status_line, *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1"))
        break
    await _pipe(origin, client)


async def _connect_upstream(upstream: Upstream, request: Request) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await _open(upstream.host, upstream.port)
    if request.is_connect:
        lines = [f"CONNECT {request.target} HTTP/1.1", f"Host: {request.target}"]
        lines += [f"{n}: {v}" for n, v in upstream.headers()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await _read_head(reader)
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if status_line.split(" ")[1:2] != ["200"]:
            writer.close()
            raise Unreachable(f"the upstream proxy answered {status_line!r}")
    return reader, writer


async def _serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
    origin_writer: asyncio.StreamWriter | None = None
    try:
        request = Request.parse(await _read_head(client_reader))
        upstream = _upstream()
        if upstream is None:
            origin_reader, origin_writer = await _open_checked(request.host, request.port)
        else:
            if (policy := egress_policy()).block_private:  # the upstream connects by name: check it here
                await asyncio.get_running_loop().run_in_executor(None, policy.check, request.host, request.port)
            origin_reader, origin_writer = await _connect_upstream(upstream, request)
        if request.is_connect:
            client_writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(client_reader, origin_writer), _pipe(origin_reader, client_writer))
        else:
            extra = upstream.headers() if upstream else []
            origin_writer.write(request.forwarded_head(absolute=upstream is not None, extra=extra))
            body = asyncio.ensure_future(_pipe(client_reader, origin_writer))
            try:
                await _relay_response(origin_reader, client_writer)
            finally:
                body.cancel()
    except PrivateAddress as exc:
        log.warning("egress refused %s: private-network address", exc.host)
        client_writer.write(_answer(403, REFUSED_REASON, exc.message))
    except EgressRefused as exc:
        client_writer.write(_answer(502, UNREACHABLE_REASON, exc.message))
    except Unreachable as exc:
        client_writer.write(_answer(502, UNREACHABLE_REASON, str(exc)))
    except BadRequest as exc:
        client_writer.write(_answer(400, "Bad Request", str(exc)))
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass  # a side went away or sent no HTTP: nothing to tell anyone
    finally:
        for writer in (origin_writer, client_writer):
            if writer is not None:
                writer.close()


class EgressProxy:
    """The proxy's thread and server; ``url`` starts it on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._url: str | None = None

    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running proxy (started now if needed). Raises
        ValueError for a malformed MF_EGRESS_HOSTS, MF_EGRESS_ALLOW or MF_UPSTREAM_PROXY."""
        with self._lock:
            if self._url is None:
                egress_policy()
                _upstream()
                ready: concurrent.futures.Future[int] = concurrent.futures.Future()
                self._thread = threading.Thread(target=asyncio.run, args=(self._main(ready),), daemon=True)
                self._thread.name = "egress-proxy"
                self._thread.start()
                self._url = f"http://127.0.0.1:{ready.result(timeout=30)}"
            return self._url

    async def _main(self, ready: concurrent.futures.Future[int]) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(_serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        ready.set_result(server.sockets[0].getsockname()[1])
        async with server:
            await self._stop.wait()

    def stop(self) -> None:
        """Close the server and every open connection; the next ``url()`` starts a new one."""
        with self._lock:
            if self._thread is None or self._loop is None or self._stop is None:
                return
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)
            self._thread = self._loop = self._stop = self._url = None


proxy = EgressProxy()
