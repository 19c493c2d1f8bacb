"""Engine failures as sentences a user understands, plus whether trying again can help.

yt-dlp and gallery-dl report errors as log text; the patterns below are the ones they print for
HTTP statuses, timeouts, unsupported pages and size limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mediafetcher_app.core.egress_policy import PRIVATE_ADDRESS

from . import egress


class JobCancelled(Exception):
    """The job row went to ``cancelled`` while the pipeline ran."""


@dataclass(eq=False)
class PipelineError(Exception):
    """A failure with its user sentence (``message``) and the engine's own words (``detail``)."""

    message: str
    detail: str = ""
    transient: bool = False
    # How telling the error is when choosing what the user sees after every engine failed:
    # "the page has no media" from the second engine must not hide "404" from the first, and
    # nothing hides a refused private-network address (4).
    rank: int = 1

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message


NO_MEDIA = "This page has no video or image."
NOT_MEDIA = "The link gave a file that is not a picture, song or video, so nothing was stored."

# yt-dlp: "HTTP Error 404: Not Found"; gallery-dl: "HttpError: '404 Not Found' for '<url>'" or,
# from its extractors, just "'403 Forbidden' for '<url>'".
_HTTP_STATUS = re.compile(r"(?:HTTP Error |HttpError: '|status code |\bHTTP |'(?=\d{3} [A-Z][a-z]))(\d{3})")
_TIMEOUT = re.compile(r"timed? ?out|Read timed out|TimeoutError", re.IGNORECASE)
_UNREACHABLE = re.compile(
    r"Connection refused|Name or service not known|No address associated|getaddrinfo failed|Network is unreachable|"
    r"Connection reset|RemoteDisconnected|IncompleteRead",
    re.IGNORECASE,
)
_NO_MEDIA = re.compile(
    r"Unsupported URL|No video formats found|no suitable InfoExtractor|No media found|There's no video|"
    r"does not contain any (?:video|media)",
    re.IGNORECASE,
)
_TOO_BIG = re.compile(r"larger than max-filesize|File size .* larger than|filesize-max|exceeds the file size", re.I)


def site_of(url: str) -> str:
    host = (urlsplit(url).hostname or url).lower()
    return host.removeprefix("www.")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def too_large(limit: int, detail: str = "") -> PipelineError:
    return PipelineError(f"The file is larger than this server's limit of {human_size(limit)}.", detail, rank=3)


def not_media(detail: str) -> PipelineError:
    """A file whose bytes are no picture, song or video (``worker/content.py``). It outranks "the
    download failed" and "no media" from other engines: it says what the link really gave."""
    return PipelineError(NOT_MEDIA, detail, rank=2)


def classify(text: str, url: str, max_file_bytes: int) -> PipelineError:
    """Map an engine's error text to a PipelineError."""
    detail = text.strip()[-2000:] or "The engine stopped without saying why."
    # the egress proxy's own answers first: they arrive as HTTP statuses (403, 502) too
    if egress.REFUSED_REASON in text:
        return PipelineError(PRIVATE_ADDRESS, detail, rank=4)
    if egress.UNREACHABLE_REASON in text:
        return PipelineError(f"{site_of(url)} could not be reached.", detail, True, 2)
    if (match := _HTTP_STATUS.search(text)) is not None:
        status = int(match.group(1))
        if status in (401, 403):
            return PipelineError(f"The site refused access: add cookies for {site_of(url)}.", detail, rank=3)
        if status == 404 or status == 410:
            return PipelineError(f"The server returned {status}: the page or file does not exist.", detail, rank=3)
        if status == 429:
            return PipelineError("The site is limiting requests (429); try again later.", detail, True, 2)
        if status >= 500:
            return PipelineError(f"The site had an internal error ({status}).", detail, True, 2)
        return PipelineError(f"The server returned {status}.", detail, rank=3)
    if _TOO_BIG.search(text):
        return too_large(max_file_bytes, detail)
    if _TIMEOUT.search(text):
        return PipelineError(f"{site_of(url)} did not answer in time.", detail, True, 2)
    if _UNREACHABLE.search(text):
        return PipelineError(f"{site_of(url)} could not be reached.", detail, True, 2)
    if _NO_MEDIA.search(text):
        return PipelineError(NO_MEDIA, detail, rank=0)
    return PipelineError("The download failed.", detail, rank=1)
