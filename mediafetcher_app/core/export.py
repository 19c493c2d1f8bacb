"""``cli export``: the library as plain JSON (media, sources, folders, tags), the user's to keep.

Ids tie the lists together; media paths are relative to the media share, so the JSON and a copy
of the share are enough to rebuild the library anywhere. Raw source metadata is included as the
sites gave it; no user, token or cookie is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session as DBSession
from sqlmodel import select

from .models import Folder, Media, MediaFolder, MediaSource, MediaTag, Source, Tag

FORMAT = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _links(db: DBSession, model: type, column: str) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for row in db.exec(select(model)).all():
        found.setdefault(row.media_id, []).append(getattr(row, column))
    return {media_id: sorted(ids) for media_id, ids in found.items()}


def export_library(db: DBSession) -> dict[str, Any]:
    """Every media with its sources, folders and tags, and those lists themselves."""
    sources_of = _links(db, MediaSource, "source_id")
    folders_of = _links(db, MediaFolder, "folder_id")
    tags = {tag.id: tag.name for tag in db.exec(select(Tag).order_by(Tag.name)).all()}
    tags_of = _links(db, MediaTag, "tag_id")
    media = [
        {
            "id": m.id,
            "sha256": m.sha256,
            "path": m.path,
            "kind": m.kind.value,
            "mime": m.mime,
            "size_bytes": m.size_bytes,
            "width": m.width,
            "height": m.height,
            "duration_s": m.duration_s,
            "title": m.title,
            "description": m.description,
            "created_at": _iso(m.created_at),
            "source_ids": sources_of.get(m.id, []),  # type: ignore[arg-type]
            "folder_ids": folders_of.get(m.id, []),  # type: ignore[arg-type]
            "tags": sorted(tags[t] for t in tags_of.get(m.id, [])),  # type: ignore[arg-type]
        }
        for m in db.exec(select(Media).order_by(Media.id)).all()
    ]
    sources = [
        {
            "id": s.id,
            "url": s.url,
            "platform": s.platform,
            "external_id": s.external_id,
            "uploader": s.uploader,
            "posted_at": _iso(s.posted_at),
            "metadata": s.raw_metadata,
        }
        for s in db.exec(select(Source).order_by(Source.id)).all()
    ]
    folders = [
        {"id": f.id, "name": f.name, "parent_id": f.parent_id}
        for f in db.exec(select(Folder).order_by(Folder.id)).all()
    ]
    return {"format": FORMAT, "media": media, "sources": sources, "folders": folders, "tags": sorted(tags.values())}
