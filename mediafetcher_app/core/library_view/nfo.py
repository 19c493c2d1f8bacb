"""The Kodi/Jellyfin ``.nfo`` beside each video: what a media server shows for it.

A ``<movie>`` document (Kodi's format, which Jellyfin reads too): title, plot (the description),
studio (the uploader), aired and premiered (the posted date), year, website (the source URL, which
Jellyfin shows as the home page), a uniqueid naming the platform's id, and one ``<tag>`` per tag.
ElementTree escapes every value, so any title is well-formed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NfoFacts:
    title: str
    plot: str | None
    uploader: str | None
    posted_at: datetime | None
    url: str | None
    platform: str | None
    external_id: str | None
    tags: tuple[str, ...]


def _add(root: ET.Element, name: str, text: str | None, **attrs: str) -> None:
    if text:
        element = ET.SubElement(root, name, attrs)
        element.text = text


def render(facts: NfoFacts) -> bytes:
    """The NFO document, UTF-8 with its XML declaration."""
    root = ET.Element("movie")
    _add(root, "title", facts.title)
    _add(root, "plot", facts.plot)
    _add(root, "studio", facts.uploader)
    if facts.posted_at is not None:
        day = facts.posted_at.date().isoformat()
        _add(root, "aired", day)
        _add(root, "premiered", day)
        _add(root, "year", str(facts.posted_at.year))
    _add(root, "website", facts.url)
    if facts.platform and facts.external_id:
        _add(root, "uniqueid", facts.external_id, type=facts.platform, default="true")
    for tag in facts.tags:
        _add(root, "tag", tag)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
