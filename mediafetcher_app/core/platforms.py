"""Which site a media came from, whatever the engine calls its extractor.

yt-dlp names extractors by class (``Youtube``, ``YoutubeTab``, ``TwitterBroadcast``,
``TelegramEmbed``) and gallery-dl by category (``twitter``, ``instagram``); users filter by site.
``normalise`` maps both to one stable name: the seed platforms by their brand (X for Twitter),
generic pages to ``web``, any other extractor to its own base name (so ids from two unknown sites
never collide as one ``web`` identity).
"""

from __future__ import annotations

import re

WEB = "web"
# platform -> extractor-key prefixes (lowercase, letters and digits only); first match wins
KNOWN: dict[str, tuple[str, ...]] = {
    "youtube": ("youtube", "ytsearch"),
    "tiktok": ("tiktok", "douyin"),
    "x": ("twitter", "xcom"),
    "instagram": ("instagram",),
    "soundcloud": ("soundcloud",),
    "pinterest": ("pinterest",),
    "twitch": ("twitch",),
    "telegram": ("telegram",),
}
GENERIC = frozenset({"", "generic", "directlink", "html5mediaembed", "mfgeneric", "web"})
# Display names for the seed platforms; the rest show their name capitalised.
LABELS = {
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "x": "X",
    "instagram": "Instagram",
    "soundcloud": "SoundCloud",
    "pinterest": "Pinterest",
    "twitch": "Twitch",
    "telegram": "Telegram",
    WEB: "Web",
}
ICONS = frozenset(LABELS)  # the ones with an icon under assets/platforms/; others use web's


def normalise(extractor: str | None) -> str:
    """The platform name of an extractor key or category (``TwitterBroadcast`` -> ``x``)."""
    key = re.sub(r"[^a-z0-9]", "", (extractor or "").split(":", 1)[0].lower())
    if key in GENERIC:
        return WEB
    for platform, prefixes in KNOWN.items():
        if key.startswith(prefixes):
            return platform
    return key


def label(platform: str) -> str:
    return LABELS.get(platform) or platform.capitalize()


def icon(platform: str) -> str:
    """The icon's URL path (a committed SVG in ``assets/platforms/``)."""
    return f"/platforms/{platform if platform in ICONS else WEB}.svg"


def facts(platform: str) -> dict[str, str]:
    """What a card or a filter shows of a platform: its name, label and icon (empty when unknown)."""
    if not platform:
        return {"platform_label": "", "platform_icon": ""}
    return {"platform_label": label(platform), "platform_icon": icon(platform)}
