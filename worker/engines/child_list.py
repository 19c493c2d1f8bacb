"""List a source without downloading it, in its own process (docs/ARCHITECTURE.md §4.6).

Forked by the warm server like the download children (``child_forkserver.py``); config arrives as
one JSON line on stdin, the answer is one ``Event.LISTING`` (or ``Event.ERROR``). An RSS or Atom
feed is parsed by feedparser; any other page goes to yt-dlp with ``extract_flat``, which lists a
channel's or playlist's entries without resolving each. Every request goes through the egress proxy.
"""

from __future__ import annotations

import calendar
from typing import Any

import feedparser
from yt_dlp import YoutubeDL
from yt_dlp.networking import Request

from worker.engines import child_io as child
from worker.engines import child_ytdlp, ytdlp_warm
from worker.engines.child_ytdlp import _Log
from worker.engines.protocol import Event

MAX_FEED_BYTES = 5 * 1024 * 1024
FEED_TYPES = ("rss", "atom", "xml")
GENERIC = frozenset({"generic", "html5mediaembed", "url"})


def params(cfg: dict[str, Any], log: _Log) -> dict[str, Any]:
    values: dict[str, Any] = {
        "quiet": True,
        "noprogress": True,
        "logger": log,
        "cachedir": False,
        "proxy": cfg["proxy"],
        "socket_timeout": cfg["socket_timeout"],
        "extractor_retries": 0,
        "extract_flat": "in_playlist",
        "playlistend": cfg.get("limit") or None,
    }
    if cfg.get("cookiefile"):
        values["cookiefile"] = cfg["cookiefile"]
    return values


def looks_like_feed(content_type: str, head: bytes) -> bool:
    if any(kind in content_type.lower() for kind in FEED_TYPES):
        return True
    start = head.lstrip()[:200].lower()
    return start.startswith(b"<?xml") or start.startswith(b"<rss") or start.startswith(b"<feed")


def _entry_url(entry: Any) -> str | None:
    """A feed entry's media when it encloses one (a podcast), else the page it links to."""
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type", "")).startswith(("audio/", "video/")) and enclosure.get("href"):
            return str(enclosure["href"])
    return entry.get("link") or None


def feed_items(body: bytes) -> tuple[str | None, list[dict[str, Any]]] | None:
    """The feed's title and entries, or None when ``body`` is not a feed after all."""
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        return None
    items = []
    for entry in parsed.entries:
        url = _entry_url(entry)
        if not url:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append({"url": url, "title": entry.get("title"), "posted_at": calendar.timegm(when) if when else None})
    return parsed.feed.get("title"), items


def flat_items(info: dict[str, Any]) -> list[dict[str, Any]]:
    entries = info.get("entries") if info.get("_type") == "playlist" or "entries" in info else [info]
    items = []
    for entry in entries or []:
        if not entry:
            continue
        # a flat entry's ``url`` is its page; an entry resolved in place (a page's <video>s) has
        # the media there, while its ``webpage_url`` is the listing's own page
        url = entry.get("url") or entry.get("webpage_url")
        if not url:
            continue
        platform = str(entry.get("ie_key") or entry.get("extractor_key") or "").lower()
        known = platform and platform not in GENERIC
        items.append(
            {
                "url": url,
                "platform": platform if known else None,
                "external_id": str(entry["id"]) if known and entry.get("id") else None,
                "title": entry.get("title"),
                "posted_at": entry.get("timestamp") or entry.get("release_timestamp"),
            }
        )
    return items


def listing(ydl: YoutubeDL, url: str) -> tuple[str | None, list[dict[str, Any]]]:
    with ydl.urlopen(Request(url)) as response:
        content_type = response.headers.get("Content-Type", "")
        body = response.read(MAX_FEED_BYTES)
    if looks_like_feed(content_type, body) and (feed := feed_items(body)) is not None:
        return feed
    info = ydl.extract_info(url, download=False) or {}
    return info.get("title"), flat_items(info)


def prepare() -> None:
    """In the fork server, once: the same extractor warm-up as the download children."""
    child_ytdlp.prepare()


def main() -> None:
    cfg = child.start()
    log = _Log()
    try:
        with ytdlp_warm.youtube_dl(params(cfg, log)) as ydl:
            title, items = listing(ydl, cfg["url"])
    except Exception as exc:
        child.fail("listing", log.failure(exc))
    limit = cfg.get("limit")
    child.emit(Event.LISTING, title=title, items=items[:limit] if limit else items)


if __name__ == "__main__":
    main()
