"""Where the app may send a browser after signing in: only a path on this very server.

A ``next`` target comes from a URL anyone can craft (``/login?next=...``), so it is hostile until
proven a same-origin path. Browsers are lenient in ways a simple prefix check misses: they treat
``\\`` as ``/``, drop tabs and newlines inside URLs, and some routers decode ``%2F`` or ``%5C``
again before navigating. So every percent-decoding layer of the target must pass the same rules,
and anything doubtful falls back to the home page rather than being repaired.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

HOME = "/"
# Double- and triple-encoded targets are peeled layer by layer; more layers than this is no path a
# page of ours ever builds.
_MAX_DECODE_LAYERS = 4


def _is_plain_path(candidate: str) -> bool:
    """One layer: starts with exactly one slash, no backslash, nothing unprintable (tabs, newlines,
    other control characters, exotic spaces); a plain space is harmless inside a path."""
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return False
    if "\\" in candidate or not candidate.isprintable():
        return False
    parts = urlsplit(candidate)
    return not parts.scheme and not parts.netloc


def safe_next(raw: object) -> str:
    """``raw`` when it is a path on this server (query and fragment kept), else ``"/"``.

    Dropped: ``javascript:``/``data:``/``https://elsewhere`` (not a path), ``//host`` and ``/\\host``
    (another host to a browser), control characters and unusual whitespace (browsers strip tabs
    and newlines, turning ``/\\t/host`` into ``//host``), and the percent-encoded forms of all
    these (``/%2F%2Fhost``, ``/%5Chost``, ``/%255Chost``).
    """
    if not isinstance(raw, str) or not raw:
        return HOME
    layer = raw
    for _ in range(_MAX_DECODE_LAYERS):
        if not _is_plain_path(layer):
            return HOME
        decoded = unquote(layer)
        if decoded == layer:
            return raw
        layer = decoded
    return HOME
