"""What a phone's share sheet hands us, turned into the one link to download.

Apps share differently: YouTube fills ``url``, while the TikTok and Instagram apps put the link in
``text`` next to a caption ("Watch this! https://vm.tiktok.com/..."), and some put it in ``title``.
The first http(s) link found in ``url``, then ``text``, then ``title`` is the one meant.
"""

from __future__ import annotations

import re

from .errors import InvalidInput

# Up to the first whitespace or a character that never ends a shared link (quotes, brackets).
_LINK = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
# Sentence punctuation glued to a link in a caption ("see https://x.y/z.") is not part of it.
_TRAILING = ".,;:!?…"
MAX_SHARED_CHARS = 8192


def shared_link(url: str = "", text: str = "", title: str = "") -> str:
    """The first http(s) link in the shared fields, or InvalidInput with a sentence saying why."""
    for field in (url, text, title):
        found = _LINK.search((field or "")[:MAX_SHARED_CHARS])
        if found:
            return found.group(0).rstrip(_TRAILING)
    shared = " ".join(part for part in (url, text, title) if part).strip()
    if not shared:
        raise InvalidInput("Nothing was shared: the app sent no link.", code="nothing_shared")
    raise InvalidInput(f"The shared text holds no web link (http or https): {shared[:200]}", code="no_link")
