"""Issue 8, item 1: only real media are stored. The bytes decide what a file is; a link that lies
about its content (name, Content-Type, page markup) gets its file refused, the next engine tried,
and a plain sentence when none produced media. Nothing refused reaches final/ or a row."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import JobMedia, Media
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_media
from tests.fixtures.media import AUDIO, H264_AAC, VIDEO, ffmpeg
from tests.fixtures.pipeline import assert_done, file_of, media_of, run
from worker.content import identify
from worker.errors import NOT_MEDIA, PipelineError

SCRIPT_PAGE = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/ping')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>'


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "crimson").save(out, "JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "olive").save(out, "PNG")
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", SCRIPT_PAGE)
    return out.getvalue()


HOSTILE = {
    "html.jpg": SCRIPT_PAGE,
    "script.svg": SVG,
    "svg.png": SVG,
    "data.mp4": b'{"video": "not really", "items": [1, 2, 3]}',
    "notes.mp4": b"just some text, nothing to play\n" * 40,
    "archive.png": zip_archive(),
    "document.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "jpeg-header-then-html.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + SCRIPT_PAGE,
    "jpeg-then-html.jpg": jpeg() + SCRIPT_PAGE,  # decodes as a JPEG: a polyglot
    "html-then-jpeg.jpg": SCRIPT_PAGE + jpeg(),
    "php-in-png.png": png() + b"<?php system($_GET['c']); ?>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bytes_are_refused_whatever_their_name(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    with pytest.raises(PipelineError) as refused:
        identify(path)
    assert refused.value.message == NOT_MEDIA


def make_real(directory: Path, name: str) -> Path:
    """Real media under a name that lies about the format (the content check must not care)."""
    path = directory / name
    real = {"png-named.jpg": "PNG", "gif-named.webp": "GIF", "bmp-named.png": "BMP", "avif-named.jpg": "AVIF"}
    if name in real:
        Image.new("RGB", (32, 24), "teal").save(path, real[name])
    elif name == "mp3-named.mp4":
        ffmpeg(*AUDIO, "-c:a", "libmp3lame", "-f", "mp3", str(path))
    elif name == "webm-named.mp4":
        ffmpeg(*VIDEO, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm", str(path))
    else:
        ffmpeg(*VIDEO, *AUDIO, *H264_AAC, "-shortest", "-f", "mp4", str(path))
    return path


@pytest.mark.parametrize(
    "name,kind,mime,ext",
    [
        ("png-named.jpg", "image", "image/png", "png"),
        ("gif-named.webp", "image", "image/gif", "gif"),
        ("bmp-named.png", "image", "image/bmp", "bmp"),
        ("avif-named.jpg", "image", "image/avif", "avif"),
        ("mp3-named.mp4", "audio", "audio/mpeg", "mp3"),
        ("webm-named.mp4", "video", "video/webm", "webm"),
        ("mp4-named.jpg", "video", "video/mp4", "mp4"),
    ],
)
def test_kind_mime_and_extension_come_from_the_content(tmp_path: Path, name, kind, mime, ext):
    content = identify(make_real(tmp_path, name))
    assert (content.kind, content.mime, content.ext) == (kind, mime, ext)
    if kind != "audio":
        assert content.width and content.height
    if kind != "image":
        assert content.duration_s and content.duration_s > 1


class HostileServer(ThreadingHTTPServer):
    """Serves each file with the Content-Type that lies about it, plus pages pointing at them."""

    daemon_threads = True

    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self.files = files
        self.requests: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        content_type, body = self.server.files.get(self.path.split("?")[0], ("text/plain", b"not found"))
        self.send_response(200 if self.path.split("?")[0] in self.server.files else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture
def hostile(server, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """The hostile files on 127.0.0.1 (so private addresses are allowed for these tests)."""
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "false")
    get_settings.cache_clear()
    files = {
        "/photo.jpg": ("image/jpeg", SCRIPT_PAGE),
        "/cat.svg": ("image/svg+xml", SVG),
        "/polyglot.jpg": ("image/jpeg", jpeg() + SCRIPT_PAGE),
        "/data.mp4": ("video/mp4", HOSTILE["data.mp4"]),
        "/archive.png": ("image/png", HOSTILE["archive.png"]),
        "/really-a-png.jpg": ("image/jpeg", png()),
        "/video.html": ("text/html", b'<html><body><video controls src="/data.mp4"></video></body></html>'),
        "/gallery.html": ("text/html", b'<html><body><img src="/archive.png" width="300"></body></html>'),
    }
    httpd = HostileServer(files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    get_settings.cache_clear()


def assert_refused_and_nothing_stored(job) -> None:
    assert job.status == "failed", (job.status, job.attempt_log)
    assert job.error_message == NOT_MEDIA
    assert list(get_settings().final_dir.iterdir()) == []
    assert list(get_settings().thumbs_dir.iterdir()) == []
    with session_scope() as db:
        assert db.exec(select(Media)).all() == []
        assert db.exec(select(JobMedia)).all() == []


def engines_tried(job) -> list[str]:
    return [entry["engine"] for entry in job.attempt_log if "engine" in entry]


def refusals(job) -> list[str]:
    """Engines whose file the content check refused (stage "finalise")."""
    return [e["engine"] for e in job.attempt_log if e.get("stage") == "finalise" and e.get("error") == NOT_MEDIA]


async def test_html_served_as_jpeg_from_a_direct_link_is_refused(hostile):
    job = await run(hostile.url("/photo.jpg"))
    assert_refused_and_nothing_stored(job)
    assert refusals(job)[0] == "http"  # the Content-Type said image/jpeg: the bytes said otherwise
    assert engines_tried(job) == ["http", "gallery-dl", "yt-dlp"]  # every fallback was tried


async def test_svg_with_script_is_refused(hostile):
    job = await run(hostile.url("/cat.svg"))
    assert_refused_and_nothing_stored(job)
    assert "gallery-dl" in refusals(job)
    assert engines_tried(job) == ["yt-dlp", "gallery-dl"]


async def test_jpeg_with_html_appended_is_refused(hostile):
    """A real JPEG (Pillow decodes it) that also carries a web page: a polyglot."""
    job = await run(hostile.url("/polyglot.jpg"))
    assert_refused_and_nothing_stored(job)
    assert refusals(job)[0] == "http"
    assert engines_tried(job) == ["http", "gallery-dl", "yt-dlp"]


async def test_json_named_mp4_behind_a_video_tag_is_refused(hostile):
    """yt-dlp's generic extractor finds the <video src>, downloads "video/mp4" that is JSON."""
    job = await run(hostile.url("/video.html"))
    assert_refused_and_nothing_stored(job)
    assert refusals(job)[0] == "yt-dlp"
    assert "/data.mp4" in hostile.requests
    assert engines_tried(job) == ["yt-dlp", "gallery-dl"]


async def test_zip_named_png_in_a_gallery_is_refused(hostile):
    """gallery-dl's generic extractor takes the <img src>: a zip archive served as image/png."""
    job = await run(hostile.url("/gallery.html"))
    assert_refused_and_nothing_stored(job)
    assert refusals(job) == ["gallery-dl"]
    assert engines_tried(job) == ["yt-dlp", "gallery-dl"]


async def test_png_named_jpg_is_stored_as_png(hostile):
    job = await run(hostile.url("/really-a-png.jpg"))
    assert_done(job)
    [media] = media_of(job.id)
    assert (media.kind, media.mime, media.width, media.height) == ("image", "image/png", 40, 30)
    assert media.path == f"final/{media.sha256}.png"
    assert file_of(media).read_bytes() == png()


async def test_refused_bytes_are_not_linked_to_an_identical_stored_media(hostile):
    """Bytes stored before the content check existed are no dedup target for a new download."""
    legacy = make_media("old upload", kind="image", content=SCRIPT_PAGE)
    job = await run(hostile.url("/photo.jpg"))
    assert job.status == "failed" and job.error_message == NOT_MEDIA
    assert media_of(job.id) == []
    with session_scope() as db:
        assert [m.id for m in db.exec(select(Media)).all()] == [legacy]
