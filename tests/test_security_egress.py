"""Issue 8 item 4: no server-side request forgery.

With MF_BLOCK_PRIVATE_URLS on, every connection the server makes for a job goes through the
worker's egress proxy, which resolves the host itself, refuses any private-network address and
connects to the address it checked. The tests control the resolver: ``public.example`` is the
fixture server on 127.0.0.1, counted as public by MF_EGRESS_ALLOW for its port only, and
``private.example`` is a name for 127.0.0.1 too. A second server with the same files listens on
another 127.0.0.1 port that nothing allows: each refused case asserts it was never asked for
anything, where the same link with the block off would have downloaded from it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from mediafetcher_app.core.egress_policy import PRIVATE_ADDRESS, PrivateAddress, UnresolvedHost, egress_policy
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.ffmpeg import ffmpeg_location
from tests.fixtures.pipeline import assert_done, media_of, new_job, run
from tests.fixtures.server import FixtureServer, Handler
from worker import egress
from worker.engines import direct
from worker.engines.protocol import Message as Event
from worker.engines.runner import run_engine
from worker.errors import PipelineError, classify
from worker.routing import DIRECT, GALLERYDL, YTDLP

PUBLIC, PRIVATE = "public.example", "private.example"


def port_of(server: FixtureServer) -> int:
    return server.server_address[1]


def public_url(server: FixtureServer, path: str) -> str:
    return f"http://{PUBLIC}:{port_of(server)}{path}"


@pytest.fixture
def private_server(fixture_server: FixtureServer) -> Iterator[FixtureServer]:
    """The same files on another 127.0.0.1 port, which nothing allows."""
    other = FixtureServer(fixture_server.root).start()
    yield other
    other.stop()


@pytest.fixture
def blocked(server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    """The block on; public.example is the fixture server, allowed on its port only."""
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "true")
    monkeypatch.setenv("MF_EGRESS_HOSTS", f"{PUBLIC}=127.0.0.1,{PRIVATE}=127.0.0.1")
    monkeypatch.setenv("MF_EGRESS_ALLOW", f"127.0.0.1:{port_of(server)}")
    return server


def through_proxy(request_line: str) -> str:
    """Send one request to the egress proxy; returns its status line."""
    address = urlsplit(egress.proxy.url())
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"{request_line}\r\nHost: x\r\n\r\n".encode())
        return sock.makefile("rb").readline().decode().strip()


def engine_config(url: str, tmp: Path) -> dict:
    return {
        "url": url,
        "tmp": str(tmp),
        "ffmpeg_location": str(ffmpeg_location()),
        "socket_timeout": 3,
        "max_bytes": 10**8,
    }


async def download_after_probe(event: Event) -> Event | None:
    return {"action": "download", "mode": "video", "skip": []} if event["event"] == "probe" else None


# --- the address policy -----------------------------------------------------------------------

PRIVATE_SPELLINGS = [
    "127.0.0.1",
    "2130706433",  # decimal
    "0x7f.1",  # hex, short
    "0x7f000001",
    "127.1",  # short
    "0177.0.0.1",  # octal
    "017700000001",
    "127.0.0.1.",  # trailing dot
    "localhost",
    "LOCALHOST.",
    "[::1]",
    "::1",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "::ffff:7f00:1",
    "0.0.0.0",
    "0",
    "[::]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "[fe80::1]",  # link-local
    "[fc00::1]",  # unique local
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "[ff02::1]",
    "255.255.255.255",
    "240.0.0.1",  # reserved
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[2002:a00:1::]",  # 6to4 of 10.0.0.1
    "[::a00:1]",  # IPv4-compatible 10.0.0.1
]


@pytest.mark.parametrize("host", PRIVATE_SPELLINGS)
def test_every_spelling_of_a_private_address_is_refused(host, monkeypatch):
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "true")
    with pytest.raises(PrivateAddress):
        egress_policy().check(host, 80)


@pytest.mark.parametrize(
    ("host", "address"),
    [("8.8.8.8", "8.8.8.8"), ("134744072", "8.8.8.8"), ("[2606:4700::1111]", "2606:4700::1111"),
     ("[::ffff:8.8.8.8]", "::ffff:808:808")],
)  # fmt: skip
def test_a_public_address_is_allowed_in_any_spelling(host, address, monkeypatch):
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "true")
    assert [str(a) for a in egress_policy().check(host, 443)] == [address]


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "true")
    monkeypatch.setenv("MF_EGRESS_HOSTS", "mixed.example=8.8.8.8,mixed.example=10.0.0.1")
    with pytest.raises(PrivateAddress):
        egress_policy().check("mixed.example", 80)


def test_a_name_that_does_not_resolve_is_refused(blocked):
    with pytest.raises(UnresolvedHost):
        egress_policy().check("nothing.invalid", 80)
    with pytest.raises(InvalidInput) as refused:
        new_job("http://nothing.invalid/video.mp4")
    assert refused.value.code == "blocked_url"
    assert through_proxy("GET http://nothing.invalid/video.mp4 HTTP/1.1").startswith("HTTP/1.1 502")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/media/h264.mp4", "http://0x7f.1:{port}/x", "http://[::ffff:127.0.0.1]/x",
     "http://private.example/x", "http://169.254.169.254/latest/meta-data/"],
)  # fmt: skip
def test_a_private_link_is_refused_at_submit_by_default(server, monkeypatch, url):
    monkeypatch.delenv("MF_BLOCK_PRIVATE_URLS")
    monkeypatch.setenv("MF_EGRESS_HOSTS", f"{PRIVATE}=192.168.1.20")
    with pytest.raises(InvalidInput) as refused:
        new_job(url.format(port=port_of(server)))
    assert (refused.value.code, refused.value.message) == ("blocked_url", PRIVATE_ADDRESS)
    assert server.requests == []


# --- the egress proxy -------------------------------------------------------------------------

LOOPBACK_SPELLINGS = ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1", "127.0.0.1.", "localhost",
                      "[::ffff:127.0.0.1]", PRIVATE]  # fmt: skip


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_the_egress_proxy_refuses_loopback_in_every_spelling(blocked, private_server, host):
    port = port_of(private_server)
    assert through_proxy(f"GET http://{host}:{port}/media/h264.mp4 HTTP/1.1") == f"HTTP/1.1 403 {egress.REFUSED_REASON}"
    assert through_proxy(f"CONNECT {host}:{port} HTTP/1.1") == f"HTTP/1.1 403 {egress.REFUSED_REASON}"
    assert private_server.requests == []
    # the allowed address:port is served through the same proxy
    assert through_proxy(f"GET {public_url(blocked, '/media/h264.mp4')} HTTP/1.1") == "HTTP/1.1 200 OK"


async def test_with_the_block_off_every_connection_still_goes_through_the_egress_proxy(server, monkeypatch):
    """Only the proxy knows public.example (MF_EGRESS_HOSTS): the engines' own DNS does not."""
    monkeypatch.setenv("MF_EGRESS_HOSTS", f"{PUBLIC}=127.0.0.1")
    assert_done(await run(public_url(server, "/media/h264.mp4")))
    image = await run(public_url(server, "/img/red.jpg"))
    assert_done(image)
    assert image.attempt_log[-1]["engine"] == DIRECT


# --- each engine ------------------------------------------------------------------------------


async def test_the_direct_fetch_of_a_private_target_is_refused(blocked, private_server, tmp_path):
    with pytest.raises(PipelineError) as refused:
        await direct.fetch(
            f"http://{PRIVATE}:{port_of(private_server)}/img/red.jpg",
            tmp_path,
            cookiefile=None,
            timeout_s=3,
            max_bytes=10**7,
            on_progress=no_progress,
        )
    assert refused.value.message == PRIVATE_ADDRESS
    assert private_server.requests == []


async def no_progress(done: int, total: int | None) -> None:
    """The fetch's progress, not looked at here."""


@pytest.mark.parametrize("module", ["worker.engines.child_ytdlp", "worker.engines.child_gallerydl"])
async def test_an_engine_pointed_at_a_private_target_is_refused(blocked, private_server, tmp_path, module):
    url = f"http://{PRIVATE}:{port_of(private_server)}/img/red.jpg"
    run_ = await run_engine(module, engine_config(url, tmp_path), download_after_probe)
    assert run_.error is not None and run_.files == []
    assert classify(run_.error["message"], url, 10**8).message == PRIVATE_ADDRESS
    assert private_server.requests == []


# --- redirects, playlists, rebinding ----------------------------------------------------------


def private_targets(private_server: FixtureServer, path: str) -> list[str]:
    port = port_of(private_server)
    return [f"http://127.0.0.1:{port}{path}", f"http://10.0.0.1{path}", f"http://{PRIVATE}:{port}{path}"]


@pytest.mark.parametrize("target", range(3), ids=["other-port", "10.0.0.1", "private-name"])
async def test_a_redirect_to_a_private_address_is_refused_for_yt_dlp(blocked, private_server, target):
    location = private_targets(private_server, "/media/clip.mp4")[target]
    job = await run(public_url(blocked, f"/redirect/clip.mp4?to={quote(location)}"))
    assert job.status == "failed"
    assert job.error_message == PRIVATE_ADDRESS
    assert job.attempt_log[0]["engine"] == YTDLP and job.attempt_log[0]["error"] == PRIVATE_ADDRESS
    assert private_server.requests == [] and media_of(job.id) == []


@pytest.mark.parametrize("target", range(3), ids=["other-port", "10.0.0.1", "private-name"])
async def test_a_redirect_to_a_private_address_is_refused_for_the_direct_fetch(blocked, private_server, target):
    location = private_targets(private_server, "/img/red.jpg")[target]
    job = await run(public_url(blocked, f"/redirect/red.jpg?to={quote(location)}"))
    assert job.status == "failed" and job.error_message == PRIVATE_ADDRESS
    assert [(a["engine"], a["error"]) for a in job.attempt_log] == [
        (DIRECT, PRIVATE_ADDRESS),
        (GALLERYDL, PRIVATE_ADDRESS),
        (YTDLP, PRIVATE_ADDRESS),
    ]
    assert private_server.requests == []


async def test_a_redirect_to_an_allowed_address_downloads(blocked):
    job = await run(public_url(blocked, f"/redirect/clip.mp4?to={quote(public_url(blocked, '/media/clip.mp4'))}"))
    assert_done(job)
    assert len(media_of(job.id)) == 1


def write_fixture(server: FixtureServer, relative: str, text: str) -> str:
    """A file the fixture server serves (the media root is the session's); returns its path."""
    (server.root / relative).write_text(text)
    return "/" + relative


async def test_an_hls_playlist_whose_segments_are_private_is_refused(blocked, private_server):
    playlist = (blocked.root / "hls/index.m3u8").read_text()
    segments = f"http://{PRIVATE}:{port_of(private_server)}/hls/"
    lines = [segments + line if line.endswith(".ts") else line for line in playlist.splitlines()]
    path = write_fixture(blocked, f"hls/private-{port_of(private_server)}.m3u8", "\n".join(lines) + "\n")
    job = await run(public_url(blocked, path))
    assert job.status == "failed"
    assert job.error_message == PRIVATE_ADDRESS
    assert private_server.requests == [] and media_of(job.id) == []


async def test_a_page_whose_images_are_private_fails_the_job_with_a_plain_sentence(blocked, private_server):
    images = "".join(f'<img src="{t}">' for t in private_targets(private_server, "/img/gallery0.jpg"))
    path = write_fixture(blocked, f"img/private-{port_of(private_server)}.html", f"<html><body>{images}</body></html>")
    job = await run(public_url(blocked, path))
    assert job.status == "failed"
    assert job.error_message == PRIVATE_ADDRESS
    assert GALLERYDL in [a["engine"] for a in job.attempt_log]
    assert private_server.requests == []


@pytest.fixture
def rebinding_servers(fixture_server: FixtureServer) -> Iterator[tuple[FixtureServer, FixtureServer]]:
    """A public server on 127.0.0.2 and a private one on 127.0.0.1, on the same port."""
    public = FixtureServer(fixture_server.root, ("127.0.0.2", 0))
    for _attempt in range(20):
        try:
            private = FixtureServer(fixture_server.root, ("127.0.0.1", port_of(public))).start()
            break
        except OSError:  # that port is taken on 127.0.0.1: try another
            public.server_close()
            public = FixtureServer(fixture_server.root, ("127.0.0.2", 0))
    public.start()
    yield public, private
    public.stop()
    private.stop()


async def test_dns_rebinding_is_caught_at_connect_time(server, rebinding_servers, monkeypatch):
    """rebind.example is public at submit, at the worker's check and for the page; once the page
    is served it answers 127.0.0.1, where the same port serves the same video. Without the
    check at connect time the job would download it from there."""
    public, private = rebinding_servers
    port = port_of(public)
    page = write_fixture(
        public, f"img/rebind-{port}.html", f'<video src="http://rebind.example:{port}/media/clip.mp4"></video>'
    )

    class RebindingHandler(Handler):
        def do_GET(self, head: bool = False) -> None:
            if self.path == page:
                os.environ["MF_EGRESS_HOSTS"] = "rebind.example=127.0.0.1"
            super().do_GET(head)

    public.RequestHandlerClass = RebindingHandler
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "true")
    monkeypatch.setenv("MF_EGRESS_HOSTS", "rebind.example=127.0.0.2")
    monkeypatch.setenv("MF_EGRESS_ALLOW", f"127.0.0.2:{port}")
    job = await run(f"http://rebind.example:{port}{page}")
    assert page in public.requests
    assert job.status == "failed"
    assert job.error_message == PRIVATE_ADDRESS
    assert private.requests == []


def test_a_malformed_egress_setting_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("MF_EGRESS_ALLOW", "10.0.0.0/8,not-an-address")
    with pytest.raises(ValueError, match="MF_EGRESS_ALLOW: 'not-an-address'"):
        egress_policy()
