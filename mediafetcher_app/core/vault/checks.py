"""Which page proves a site's cookies still sign someone in, and which engine can read it.

A check fetches one page that only a signed-in user can see and that is rarely empty for one
(a home timeline, the watch history), with the engine whose extractor understands that page.
Sites whose extractors need the account's own user name in every signed-in URL (SoundCloud
likes, Pinterest boards, TikTok liked/saved) or have no signed-in page at all (Twitch) cannot be
checked: nothing here knows the user name, and a public page would pass without any cookie.

``MF_COOKIE_CHECK_URLS`` (JSON ``{"site": {"engine": ..., "url": ...}}``) replaces or adds
entries; tests point a site at the fixture server's cookie-protected path with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session as DBSession
from sqlmodel import col, select

from ..errors import InvalidInput, NotFound
from ..models import CookieJar
from ..settings import worker_knobs
from .sites import site_for_domain

YTDLP = "yt-dlp"
GALLERYDL = "gallery-dl"
ENGINES = (YTDLP, GALLERYDL)


@dataclass(frozen=True)
class SiteCheck:
    """A signed-in-only page of a site and the engine whose extractor reads it."""

    engine: str
    url: str


CHECKS: dict[str, SiteCheck] = {
    # yt-dlp's YoutubeTabIE reads the feed only with a signed-in SAPISID cookie
    "youtube.com": SiteCheck(YTDLP, "https://www.youtube.com/feed/history"),
    # gallery-dl's TwitterHomeExtractor: the account's own timeline
    "x.com": SiteCheck(GALLERYDL, "https://x.com/home"),
    # gallery-dl's InstagramSavedExtractor asks /v1/feed/saved/posts/ for the signed-in account;
    # the user name in the path is not used
    "instagram.com": SiteCheck(GALLERYDL, "https://www.instagram.com/me/saved/"),
}


def _override() -> dict[str, SiteCheck]:
    raw = worker_knobs().cookie_check_urls
    if not raw:
        return {}
    checks: dict[str, SiteCheck] = {}
    for site, entry in json.loads(raw).items():
        engine, url = entry.get("engine"), entry.get("url", "")
        if engine not in ENGINES or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"MF_COOKIE_CHECK_URLS: {site} needs an engine of {ENGINES} and an http(s) url")
        checks[site_for_domain(site)] = SiteCheck(engine, url)
    return checks


def check_for(site: str) -> SiteCheck | None:
    """The check for ``site`` (read at call time, so tests can set the override), or None."""
    return {**CHECKS, **_override()}.get(site_for_domain(site))


def require_checkable(db: DBSession, site: str, owner_id: int) -> str:
    """The site's name as stored (``www.youtube.com`` -> ``youtube.com``) when ``owner_id``'s jar
    of it can be checked; NotFound without such a jar, InvalidInput when no check exists for it."""
    name = site_for_domain(site)
    query = select(CookieJar.id).where(CookieJar.owner_id == owner_id, col(CookieJar.domain) == name)
    if db.exec(query).first() is None:
        raise NotFound(f"You have no cookies stored for {name}.", code="unknown_site")
    if check_for(name) is None:
        raise InvalidInput(
            f"Checking the cookies of {name} is not possible: no engine can open a page there that only a "
            "signed-in user sees.",
            code="check_not_possible",
        )
    return name
