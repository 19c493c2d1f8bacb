"""yt-dlp's per-job start-up, paid once in the fork server instead of in every job's child.

Measured in a forked child (2 cores, yt-dlp 2026.10.26): each ``YoutubeDL`` a job made cost
about 45 ms listing the default extractors (yt-dlp compares each of ~1,800 names with every
other) and 17-30 ms building a TLS context from certifi's bundle; a site's first URL paid about
25 ms importing its extractor module, and the first request and download another 40 ms of
regular expressions compiled and modules imported on first use. A job makes two instances (probe,
then download). So the server lists the extractors once, imports the seed platforms' extractors,
shares one TLS context per set of options, and rehearses one download from a loopback server of
its own before it forks: every child starts with all of that done.
"""

from __future__ import annotations

import functools
import inspect
import os
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.extractor import gen_extractor_classes, get_info_extractor
from yt_dlp.networking import common as networking

# extractors imported in the server: any page of an unknown site (Generic), and the platforms users
# paste most (``core/platforms.py``)
SEED_EXTRACTORS = (
    "Generic",
    "Youtube",
    "YoutubeTab",
    "TikTok",
    "Twitter",
    "Instagram",
    "Soundcloud",
    "Pinterest",
    "TwitchClips",
)
_TLS_ENVIRONMENT = ("SSL_CERT_FILE", "SSL_CERT_DIR")
_default_extractors: list[type] = []


def prepare(params: dict[str, Any]) -> None:
    """In the fork server, once: the extractor list with every URL pattern compiled (~0.25 s),
    the seed extractors, the shared TLS context, then a rehearsal with the jobs' ``params``."""
    by_name = {ie.IE_NAME.lower(): ie for ie in gen_extractor_classes()}  # as yt-dlp's own listing
    _default_extractors[:] = [ie for ie in by_name.values() if getattr(ie, "_ENABLED", True)]
    for extractor in _default_extractors:
        extractor.suitable("https://warm.invalid/up")
    for key in SEED_EXTRACTORS:
        getattr(get_info_extractor(key), "real_class", None)  # a lazy extractor imports its module here
    if callable(getattr(networking, "make_ssl_context", None)):
        networking.make_ssl_context = _shared_ssl_context(networking.make_ssl_context)
    _rehearse(params)


def youtube_dl(params: dict[str, Any]) -> YoutubeDL:
    """A ``YoutubeDL`` with yt-dlp's default extractors (same list, same order), from the server's list."""
    if not _default_extractors:
        return YoutubeDL(params)
    ydl = YoutubeDL(params, auto_init=False)
    for extractor in _default_extractors:
        ydl.add_info_extractor(extractor)
    return ydl


def _shared_ssl_context(make: Any) -> Any:
    """``make_ssl_context`` made once per set of options and TLS environment (a job's
    upstream-proxy CA is read from ``SSL_CERT_FILE``): an SSLContext is meant to be shared."""
    signature = inspect.signature(make)

    @functools.cache
    def made(options: tuple[tuple[str, Any], ...], environment: tuple[str | None, ...]) -> ssl.SSLContext:
        return make(**dict(options))

    def shared(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return made(tuple(bound.arguments.items()), tuple(os.environ.get(name) for name in _TLS_ENVIRONMENT))

    return shared


class _Rehearsal(BaseHTTPRequestHandler):
    """A loopback answer shaped like a direct video link (its bytes are never looked at)."""

    BODY = b"\0" * 4096

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, *_: Any) -> None:
        return None


def _rehearse(params: dict[str, Any]) -> None:
    """Probe and download one direct link from a loopback server, as a job would, so that the
    imports, regular expressions and TLS context of that path are in the server's memory. The
    server's thread has ended before this returns: the fork server forks no threads."""
    server = HTTPServer(("127.0.0.1", 0), _Rehearsal)  # answers in its one thread: no request thread outlives it
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with tempfile.TemporaryDirectory(prefix="mf-rehearsal-") as tmp:
            rehearsal = {**params, "paths": {"home": tmp, "temp": tmp}, "proxy": "", "cookiefile": None}
            with youtube_dl(rehearsal) as ydl:
                ydl.extract_info(f"http://127.0.0.1:{server.server_port}/rehearsal.mp4", download=True)
            if not any(Path(tmp).iterdir()):
                raise RuntimeError("yt-dlp wrote no file")
    except Exception as exc:  # a rehearsal only warms: a job that fails the same way says why itself
        print(f"yt-dlp's rehearsal failed, so each job starts it cold: {exc}", file=sys.stderr)
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
