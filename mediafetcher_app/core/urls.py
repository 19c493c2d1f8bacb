"""Checking a URL a user submits, before anything is stored or fetched."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

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


def is_private_host(hostname: str) -> bool:
    """True when the host resolves to a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(hostname, None)
    except OSError:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return True
    return False
