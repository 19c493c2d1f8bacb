"""``cli export``: the library as plain JSON (media, sources, folders, tags), the user's to keep.

Ids tie the lists together; media paths are relative to the media share, so the JSON and a copy
of the share are enough to rebuild the library anywhere. Raw source metadata is included as the
sites gave it; no user, token or cookie is.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session as DBSession

from .models import Folder, Media, MediaFolder, MediaSource, MediaTag, Source, Tag

FORMAT = 1


MEDIA_FIELDS = ("id", "sha256", "path", "kind", "mime", "size_bytes", "width", "height", "duration_s", "title")
MEDIA_FIELDS += ("description", "created_at")
SOURCE_FIELDS = ("id", "url", "platform", "external_id", "uploader", "posted_at", "raw_metadata")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value.value if isinstance(value, enum.Enum) else value


def _rows(db: DBSession, model: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Plain rows, no ORM objects (a library of 100,000 media exports in seconds, not minutes)."""
    table = model.__table__
    query = select(*(table.c[name] for name in fields)).order_by(table.c.id)
    return [{k: _plain(v) for k, v in row.items()} for row in db.connection().execute(query).mappings()]


def _links(db: DBSession, model: Any, column: str) -> dict[int, list[int]]:
    table = model.__table__
    found: dict[int, list[int]] = {}
    for media_id, other in db.connection().execute(select(table.c.media_id, table.c[column])):
        found.setdefault(media_id, []).append(other)
    return {media_id: sorted(ids) for media_id, ids in found.items()}


def export_library(db: DBSession) -> dict[str, Any]:
    """Every media with its sources, folders and tags, and those lists themselves."""
    sources_of = _links(db, MediaSource, "source_id")
    folders_of = _links(db, MediaFolder, "folder_id")
    tags_of = _links(db, MediaTag, "tag_id")
    tags = {row["id"]: row["name"] for row in _rows(db, Tag, ("id", "name"))}
    media = _rows(db, Media, MEDIA_FIELDS)
    for item in media:
        item["source_ids"] = sources_of.get(item["id"], [])
        item["folder_ids"] = folders_of.get(item["id"], [])
        item["tags"] = sorted(tags[t] for t in tags_of.get(item["id"], []))
    sources = _rows(db, Source, SOURCE_FIELDS)
    for source in sources:
        source["metadata"] = source.pop("raw_metadata")
    folders = _rows(db, Folder, ("id", "name", "parent_id"))
    return {"format": FORMAT, "media": media, "sources": sources, "folders": folders, "tags": sorted(tags.values())}
