"""Cookie files in, cookie files out: Netscape cookies.txt and the extension's chrome.cookies JSON.

Why not ``http.cookiejar.MozillaCookieJar``? Its loader cannot tell the user what is wrong: a
malformed line raises one ``LoadError`` for the whole file, with no line number and with the raw
line (cookie value included) in the message and in a printed warning; it rejects files without
the magic header and values that contain a tab; it silently drops session cookies (expiry 0) and
expired cookies unless told not to. It also needs a file path. We need "Line 7: expected 7
tab-separated fields, found 5." and messages that never quote a value, so this is a small strict
parser for the same format (curl's and yt-dlp's dialect: ``#HttpOnly_`` prefix, expiry 0 or empty
for session cookies, CRLF line ends tolerated).

Error messages name the line (or the cookie's position in a JSON list) and the field, and never
repeat the content of a field: a shifted column could put a cookie value anywhere.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import json_input
from ..errors import InvalidInput

NETSCAPE_HEADER = "# Netscape HTTP Cookie File"
HTTPONLY_PREFIX = "#HttpOnly_"
ERROR_CODE = "invalid_cookies"

# Unix seconds. 15 digits is far past year 9999 and keeps int() cheap on hostile input.
MAX_EXPIRY = 10**15 - 1
_EXPIRY_RE = re.compile(r"\d{1,15}(?:\.\d*)?")
_HOST_RE = re.compile(r"\.?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_IPV6_RE = re.compile(r"\[[0-9a-f:.]+\]")
# RFC 6265bis refuses cookies holding control characters except HTAB; CR/LF would also split a line.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True, kw_only=True)
class Cookie:
    """One cookie, as a cookies.txt line holds it.

    ``domain`` is lower-case; a leading dot means "this domain and its subdomains" (the Netscape
    TRUE flag), no dot means host-only. ``expires`` is Unix seconds, 0 for a session cookie.
    ``value`` is left out of ``repr`` so a stray log line or test failure cannot print it.
    """

    domain: str
    name: str
    value: str = field(default="", repr=False)
    path: str = "/"
    secure: bool = False
    expires: int = 0
    http_only: bool = False

    @property
    def include_subdomains(self) -> bool:
        return self.domain.startswith(".")

    @property
    def is_session(self) -> bool:
        return self.expires == 0

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies a cookie in a browser; the same key twice means the later one wins."""
        return (self.domain, self.path, self.name)


def _fail(where: str, what: str) -> InvalidInput:
    return InvalidInput(f"{where}: {what}", code=ERROR_CODE)


def _check_domain(where: str, raw: str) -> str:
    domain = raw.strip().lower()
    if not domain:
        raise _fail(where, "the domain is empty.")
    if not (_HOST_RE.fullmatch(domain) or _IPV6_RE.fullmatch(domain.lstrip("."))):
        raise _fail(where, "the domain is not a valid host name (letters, digits, '-', '.'; punycode for IDNs).")
    return domain


def _check_path(where: str, raw: str) -> str:
    path = raw.strip() or "/"
    if not path.startswith("/") or "\t" in path or _CONTROL_RE.search(path):
        raise _fail(where, "the path must start with '/' and hold no tab or control character.")
    return path


def _check_text(where: str, label: str, text: str) -> str:
    if label == "name" and "\t" in text:
        raise _fail(where, "the cookie name contains a tab.")
    if _CONTROL_RE.search(text):
        raise _fail(where, f"the cookie {label} contains a line break or another control character.")
    return text


def _unique(cookies: Iterable[Cookie]) -> list[Cookie]:
    """Keep the last cookie of each (domain, path, name), at the position it first appeared."""
    by_key: dict[tuple[str, str, str], Cookie] = {}
    for cookie in cookies:
        by_key[cookie.key] = cookie
    return list(by_key.values())


def _nonempty(cookies: list[Cookie], what: str) -> list[Cookie]:
    if not cookies:
        raise InvalidInput(f"No cookies found: {what}", code=ERROR_CODE)
    return cookies


# --- Netscape cookies.txt ----------------------------------------------------------------------


def _flag(where: str, label: str, raw: str) -> bool:
    value = raw.strip().upper()
    if value not in {"TRUE", "FALSE"}:
        raise _fail(where, f"the {label} must be TRUE or FALSE.")
    return value == "TRUE"


def _expiry(where: str, raw: str) -> int:
    text = raw.strip()
    if not text:
        return 0
    if not _EXPIRY_RE.fullmatch(text):
        raise _fail(where, "the expiry (fifth field) must be a Unix time in seconds, or 0 for a session cookie.")
    return int(text.split(".", 1)[0])


def _netscape_line(where: str, line: str, http_only: bool) -> Cookie:
    if "\r" in line:
        raise _fail(where, "a carriage return in the middle of the line (only line ends may have one).")
    fields = line.split("\t", 6)  # the value is last, so a tab inside it stays in it
    if len(fields) != 7:
        hint = " (were the tabs turned into spaces?)" if len(fields) == 1 and " " in line.strip() else ""
        raise _fail(where, f"expected 7 tab-separated fields, found {len(fields)}.{hint}")
    raw_domain, raw_subdomains, raw_path, raw_secure, raw_expires, name, value = fields
    domain = _check_domain(where, raw_domain)
    subdomains = _flag(where, "second field (include subdomains)", raw_subdomains)
    if subdomains and not domain.startswith("."):
        domain = "." + domain  # TRUE means "and subdomains", which the leading dot says to every reader
    return Cookie(
        domain=domain,
        path=_check_path(where, raw_path),
        secure=_flag(where, "fourth field (secure)", raw_secure),
        expires=_expiry(where, raw_expires),
        name=_check_text(where, "name", name),
        value=_check_text(where, "value", value),
        http_only=http_only,
    )


def parse_netscape(text: str) -> list[Cookie]:
    """Parse cookies.txt text. Raises InvalidInput naming the first bad line; stores nothing itself.

    Comments and blank lines are skipped (the header line is optional), ``#HttpOnly_`` marks
    HttpOnly cookies, an empty or 0 expiry is a session cookie, CRLF is accepted. A TRUE
    subdomain flag on a domain without a leading dot gets the dot (the flag and the dot mean the
    same; engines' loaders insist they agree). Duplicates: the last line wins.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    cookies: list[Cookie] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        http_only = line.startswith(HTTPONLY_PREFIX)
        if http_only:
            line = line[len(HTTPONLY_PREFIX) :]
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        cookies.append(_netscape_line(f"Line {number}", line, http_only))
    return _nonempty(_unique(cookies), "the file is empty or holds only comments.")


def format_netscape(cookies: Iterable[Cookie]) -> str:
    """Write cookies.txt text that yt-dlp, gallery-dl and ``MozillaCookieJar`` all load.

    The subdomain flag is derived from the leading dot (the stdlib loader asserts they agree);
    session cookies are written with expiry 0, which yt-dlp and gallery-dl read as "session".
    """
    lines = [NETSCAPE_HEADER, "# Written by MediaFetcher. Do not edit: sync from the browser instead.", ""]
    for c in cookies:
        lines.append(
            "\t".join(
                (
                    (HTTPONLY_PREFIX if c.http_only else "") + c.domain,
                    "TRUE" if c.include_subdomains else "FALSE",
                    c.path,
                    "TRUE" if c.secure else "FALSE",
                    str(c.expires),
                    c.name,
                    c.value,
                )
            )
        )
    return "\n".join(lines) + "\n"


# --- chrome.cookies JSON -----------------------------------------------------------------------


_KIND_NAMES = {str: "a string", bool: "true or false"}


def _get(where: str, item: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
    value = item.get(key)
    if value is None:  # absent or null: the browser's default
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _fail(where, f"'{key}' must be {_KIND_NAMES.get(kind, kind.__name__)}.")
    return value


def _chrome_expiry(where: str, item: dict[str, Any]) -> int:
    if _get(where, item, "session", bool, False):
        return 0
    raw = item.get("expirationDate")
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
        raise _fail(where, "'expirationDate' must be a non-negative number of seconds since 1970.")
    if raw > MAX_EXPIRY:
        raise _fail(where, "'expirationDate' is too far in the future.")
    return int(raw)


def _chrome_cookie(where: str, item: Any) -> Cookie:
    if not isinstance(item, dict):
        raise _fail(where, "each cookie must be a JSON object.")
    name = _get(where, item, "name", str)
    value = _get(where, item, "value", str)
    raw_domain = _get(where, item, "domain", str)
    if name is None or value is None or raw_domain is None:
        raise _fail(where, "'name', 'value' and 'domain' are required.")
    domain = _check_domain(where, raw_domain)
    host_only = _get(where, item, "hostOnly", bool, not domain.startswith("."))
    bare = domain.lstrip(".")
    return Cookie(
        domain=bare if host_only else "." + bare,
        path=_check_path(where, _get(where, item, "path", str, "/")),
        secure=_get(where, item, "secure", bool, False),
        expires=_chrome_expiry(where, item),
        name=_check_text(where, "name", name),
        value=_check_text(where, "value", value),
        http_only=_get(where, item, "httpOnly", bool, False),
    )


def from_chrome(items: Sequence[Any]) -> list[Cookie]:
    """Convert chrome.cookies objects (the extension's payload; Cookie-Editor exports too).

    hostOnly=false -> leading dot (TRUE flag); ``secure`` -> the secure column; ``session`` or
    no ``expirationDate`` -> expiry 0; a float ``expirationDate`` is truncated to whole seconds.
    Errors name the cookie by its 1-based position ("Cookie 3: ...").
    """
    cookies = [_chrome_cookie(f"Cookie {index}", item) for index, item in enumerate(items, start=1)]
    return _nonempty(_unique(cookies), "the list is empty.")


def parse_chrome_json(text: str) -> list[Cookie]:
    """Parse ``{"cookies": [...]}`` (or a bare list, as cookie-editor extensions export)."""
    try:
        data = json_input.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The cookies are not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).", code=ERROR_CODE
        ) from None
    except json_input.TooDeep as exc:
        raise InvalidInput(f"The cookies are {exc}.", code=ERROR_CODE) from None
    if isinstance(data, dict):
        data = data.get("cookies")
    if not isinstance(data, list):
        raise InvalidInput('Send the cookies as {"cookies": [chrome.cookies objects]}.', code=ERROR_CODE)
    return from_chrome(data)


def parse_cookies(text: str) -> list[Cookie]:
    """Either format, told apart by the first character: JSON starts with '{' or '[', no cookies.txt
    line can (except an IPv6 host like ``[::1]``, whose line has tabs where JSON has none)."""
    if not text.strip():
        raise InvalidInput("No cookies found: the input is empty.", code=ERROR_CODE)
    first_line = text.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    if first_line.startswith("{") or (first_line.startswith("[") and "\t" not in first_line):
        return parse_chrome_json(text.lstrip("\ufeff"))
    return parse_netscape(text)
