"""Engine failures as sentences a user understands, plus whether trying again can help.

yt-dlp and gallery-dl report errors as log text; the patterns below are the ones they print for
HTTP statuses, timeouts, unsupported pages and size limits, and the platform errors their
extractors raise: sign-in needed (yt-dlp's ``raise_login_required``, gallery-dl's
``AuthRequired``), rate limits, private or removed posts, geo-blocks (``GeoRestrictedError``),
age gates, and the "report this issue" errors of an extractor the site has outgrown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from mediafetcher_app.core.egress_policy import PRIVATE_ADDRESS
from mediafetcher_app.core.fix_pages import CONNECTIONS, ENGINES
from mediafetcher_app.core.sizes import human_bytes

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
    # the page of this app where the user fixes it (CONNECTIONS, ENGINES), shown as a link
    action: str = ""

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message

    def after_tries(self, tries: int) -> PipelineError:
        """The same failure once retrying (with growing waits) gave up: the sentence says so."""
        message = f"{self.message} Tried {tries} times, waiting longer each time."
        return replace(self, message=message, transient=False)


NO_MEDIA = "This page has no video or image."
SITE_CHANGED = "{site} changed how its pages work and the download engines no longer understand it: update the engines."
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
    r"Unsupported URL|No video formats found|No video could be found|no suitable InfoExtractor|No media found|"
    r"There's no video|There is no video|does not contain any (?:video|media)",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"confirm your age|age[- ]restricted|age[- ]gated|inappropriate for some users|may be inappropriate|"
    r"NSFW|adult content|only available for users over",
    re.IGNORECASE,
)
_SIGN_IN = re.compile(
    r"login required|log ?in to|sign in to|--cookies|account (?:credentials|cookies) (?:are )?(?:needed|required)|"
    r"AuthRequired|AuthenticationError|registered users|only available to (?:subscribers|members)|"
    r"requires? (?:a )?login",
    re.IGNORECASE,
)
_RATE_LIMITED = re.compile(r"rate[- ]?limit|too many requests|try again later|temporarily (?:un)?blocked", re.I)
_GEO = re.compile(r"geo[- ]?restrict|not (?:made this video )?available (?:in|from) your (?:country|location)", re.I)
_GONE = re.compile(
    r"private (?:video|account|post)|(?:video|post|account|tweet|content) is private|has been (?:removed|deleted)|"
    r"no longer available|Video unavailable|content (?:is|isn't) (?:not )?available|does not exist|"
    r"NotFoundError|could not be found|suspended|Tweet unavailable|account .*(?:private|terminated)",
    re.IGNORECASE,
)
# An extractor that broke on what the site sends now: yt-dlp's "please report this issue" errors
# (``ExtractorError(expected=False)``), gallery-dl's unexpected-error advice, parse failures.
_SITE_CHANGED = re.compile(
    r"report this issue|yt-dlp -U|Unable to extract|Unable to parse|unexpected error occurred|"
    r"KeyError|JSONDecodeError|Failed to parse JSON|Unexpected response",
    re.IGNORECASE,
)
_TOO_BIG = re.compile(r"larger than max-filesize|File size .* larger than|filesize-max|exceeds the file size", re.I)


def site_of(url: str) -> str:
    host = (urlsplit(url).hostname or url).lower()
    return host.removeprefix("www.")


def too_large(limit: int, detail: str = "") -> PipelineError:
    return PipelineError(f"The file is larger than this server's limit of {human_bytes(limit)}.", detail, rank=3)


def not_media(detail: str) -> PipelineError:
    """A file whose bytes are no picture, song or video (``worker/content.py``). It outranks "the
    download failed" and "no media" from other engines: it says what the link really gave."""
    return PipelineError(NOT_MEDIA, detail, rank=2)


def sign_in_needed(url: str, detail: str) -> PipelineError:
    site = site_of(url)
    message = f"{site} only shows this to signed-in users: add your {site} cookies under Connections, then retry."
    return PipelineError(message, detail, rank=3, action=CONNECTIONS)


def rate_limited(url: str, detail: str) -> PipelineError:
    return PipelineError(f"{site_of(url)} is limiting requests; try again later.", detail, True, 2)


def _platform_error(text: str, url: str, detail: str) -> PipelineError | None:
    """The sites' own refusals, which tell the user more than the HTTP status beside them."""
    site = site_of(url)
    if _AGE.search(text):
        message = f"{site} shows this only to signed-in adults: add cookies of an account old enough under Connections."
        return PipelineError(message, detail, rank=3, action=CONNECTIONS)
    if _GEO.search(text):
        return PipelineError(f"{site} does not offer this in the country this server is in.", detail, rank=3)
    if _RATE_LIMITED.search(text):
        return rate_limited(url, detail)
    if _SIGN_IN.search(text):
        return sign_in_needed(url, detail)
    if _GONE.search(text):
        return PipelineError(f"This post on {site} is private or was removed.", detail, rank=3)
    return None


def classify(text: str, url: str, max_file_bytes: int) -> PipelineError:
    """Map an engine's error text to a PipelineError."""
    detail = text.strip()[-2000:] or "The engine stopped without saying why."
    # the egress proxy's own answers first: they arrive as HTTP statuses (403, 502) too
    if egress.REFUSED_REASON in text:
        return PipelineError(PRIVATE_ADDRESS, detail, rank=4)
    if egress.UNREACHABLE_REASON in text:
        return PipelineError(f"{site_of(url)} could not be reached.", detail, True, 2)
    if (found := _platform_error(text, url, detail)) is not None:
        return found
    if (match := _HTTP_STATUS.search(text)) is not None:
        status = int(match.group(1))
        if status in (401, 403):
            message = f"The site refused access: add cookies for {site_of(url)} under Connections."
            return PipelineError(message, detail, rank=3, action=CONNECTIONS)
        if status == 404 or status == 410:
            return PipelineError(f"The server returned {status}: the page or file does not exist.", detail, rank=3)
        if status == 429:
            return rate_limited(url, detail)
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
    if _SITE_CHANGED.search(text):
        return PipelineError(SITE_CHANGED.format(site=site_of(url)), detail, rank=2, action=ENGINES)
    return PipelineError("The download failed.", detail, rank=1)
