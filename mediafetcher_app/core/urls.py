"""Checking a URL a user submits, before anything is stored or fetched."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from .egress_policy import egress_policy
from .errors import InvalidInput

MAX_URL_LENGTH = 4096


def validate_url(raw: object) -> str:
    """Return the URL stripped, or raise InvalidInput saying what is wrong with it."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("Paste a link that starts with http:// or https://.", code="invalid_url")
    url = raw.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput("That link is too long.", code="invalid_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        raise InvalidInput(f"That link is malformed: {exc}.", code="invalid_url") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidInput(
            f"Only http:// and https:// links can be downloaded, not '{parts.scheme or url}'.", code="invalid_url"
        )
    if not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput("That link has no valid host name.", code="invalid_url")
    return url


def check_destination(url: str) -> None:
    """Refuse a link whose host the egress policy refuses (MF_BLOCK_PRIVATE_URLS): a private-network
    address, or a name that does not resolve (fail closed). Resolves names, so it blocks: call it
    off any event loop. Raises EgressRefused with the user's sentence. The worker's egress proxy
    checks every connection again: this only turns a hopeless link away early."""
    policy = egress_policy()
    if policy.block_private:
        parts = urlsplit(url)
        policy.check(parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80))


# Paths of channels, playlists, profiles and boards on the usual sites, and of feeds anywhere.
_COLLECTION_PATH = re.compile(
    r"/(playlist|channel|c|user|videos|shorts|streams|sets|albums|board|boards|tracks|reposts|likes|feed|rss)(/|$)"
    r"|^/@[^/]+/?(videos|shorts|streams|featured)?/?$"
    r"|\.(rss|atom|xml)$",
    re.IGNORECASE,
)


def looks_like_collection(url: str) -> bool:
    """Whether a link names many posts (a channel, playlist, profile or feed) rather than one:
    the add box then asks how many to take, or offers to follow it. A guess from the link alone
    (nothing is fetched); the listing decides."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    if "list" in parse_qs(parts.query) and "/watch" not in parts.path:
        return True
    return _COLLECTION_PATH.search(parts.path) is not None
