"""Media and source rows: one Media per unique file, one Source per place it came from.

Inserts use ``ON CONFLICT`` because two workers may publish the same bytes or the same post at
the same moment; the loser links to the winner's row instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import presets
from .models import JobMedia, Media, MediaFolder, MediaKind, MediaSource, MediaTag, MediaTombstone, Source, Tag, utcnow


@dataclass(frozen=True)
class SourceInfo:
    """What the engine told us about one item's origin."""

    url: str
    platform: str
    external_id: str | None
    uploader: str | None = None
    posted_at: datetime | None = None
    raw_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFacts:
    """What we measured on one published file."""

    sha256: str
    path: str
    kind: MediaKind
    mime: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    thumbnail_path: str | None = None


def media_by_sha(db: DBSession, sha256: str) -> Media | None:
    return db.exec(select(Media).where(Media.sha256 == sha256)).first()


def known_shas(db: DBSession) -> set[str]:
    return set(db.exec(select(Media.sha256)).all())


def lock_sha(db: DBSession, sha256: str) -> None:
    """Until the transaction ends, nobody else publishes, deletes, re-indexes or sweeps these bytes:
    a file in ``final/`` and its row (or tombstone) change together."""
    db.exec(select(func.pg_advisory_xact_lock(func.hashtextextended(sha256, 0))))


def tombstoned_shas(db: DBSession) -> set[str]:
    return set(db.exec(select(MediaTombstone.sha256)).all())


def is_tombstoned(db: DBSession, sha256: str) -> bool:
    return db.get(MediaTombstone, sha256) is not None


def bury(db: DBSession, sha256: str, user_id: int | None) -> None:
    """Mark deleted bytes, so recovery never brings them back (see MediaTombstone)."""
    statement = insert(MediaTombstone).values(sha256=sha256, deleted_at=utcnow(), deleted_by=user_id)
    update = {"deleted_at": statement.excluded.deleted_at, "deleted_by": statement.excluded.deleted_by}
    db.exec(statement.on_conflict_do_update(index_elements=["sha256"], set_=update))  # type: ignore[call-overload]


def unbury(db: DBSession, sha256: str) -> None:
    """A user downloaded deleted bytes again: they are wanted now."""
    db.exec(delete(MediaTombstone).where(col(MediaTombstone.sha256) == sha256))  # type: ignore[call-overload]


def archived_media_ids(
    db: DBSession, platform: str, external_id: str, kind: str | None = None, preset: str | None = None
) -> list[int]:
    """Media already stored for this (platform, external_id), of ``kind`` when given, and answering
    the download choice ``preset`` when given (presets.satisfies): the item needs no download.
    (A video's MP3 and the video itself share their source.)"""
    query = (
        select(Media.id, Media.kind, Media.preset, Media.height)
        .join(MediaSource, col(Media.id) == col(MediaSource.media_id))
        .join(Source, col(Source.id) == col(MediaSource.source_id))
        .where(Source.platform == platform, Source.external_id == external_id)
    )
    if kind is not None:
        query = query.where(Media.kind == MediaKind(kind))
    return [
        media_id
        for media_id, media_kind, fetched_as, height in db.exec(query).all()
        if media_id is not None and (preset is None or presets.satisfies(media_kind.value, fetched_as, height, preset))
    ]


def add_media(
    db: DBSession, facts: FileFacts, title: str | None, description: str | None, preset: str | None = None
) -> int:
    """The id of the Media row for these bytes, made now unless another job stored them first.
    ``preset`` is the download choice the bytes were made with (the archive check reads it).
    The id alone: every caller links by it, and loading the row back cost a query per file."""
    values = {**facts.__dict__, "title": title, "description": description, "created_at": utcnow(), "preset": preset}
    inserted = db.exec(  # type: ignore[call-overload]
        insert(Media).values(**values).on_conflict_do_nothing(index_elements=["sha256"]).returning(Media.id)
    ).first()
    if inserted is not None:
        return inserted[0]
    return db.exec(select(Media.id).where(Media.sha256 == facts.sha256)).one()


def add_source(db: DBSession, info: SourceInfo) -> int:
    """The Source row's id; a known (platform, external_id) is reused and its metadata refreshed.
    The id alone: every caller links by it, and loading the row back cost a query per file."""
    values = {
        "url": info.url,
        "platform": info.platform,
        "external_id": info.external_id,
        "uploader": info.uploader,
        "posted_at": info.posted_at,
        "raw_metadata": info.raw_metadata,
        "created_at": utcnow(),
    }
    statement = insert(Source).values(**values)
    if info.external_id is not None:
        statement = statement.on_conflict_do_update(
            constraint="uq_source_platform_external_id",
            set_={"uploader": info.uploader, "raw_metadata": info.raw_metadata},
        )
    source_id: int = db.exec(statement.returning(Source.id)).one()[0]  # type: ignore[call-overload]
    return source_id


def tag_from_source(db: DBSession, media_id: int, names: list[str]) -> None:
    """Tag a media with the site's own tags, marked ``from_source``; a tag a user already put on
    it stays the user's."""
    if not names:
        return
    new_tags = insert(Tag).values([{"name": name} for name in names]).on_conflict_do_nothing(index_elements=["name"])
    db.exec(new_tags)  # type: ignore[call-overload]
    tag_ids = db.exec(select(Tag.id).where(col(Tag.name).in_(names))).all()
    rows = [{"media_id": media_id, "tag_id": tag_id, "from_source": True} for tag_id in tag_ids]
    db.exec(insert(MediaTag).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]


def _link(db: DBSession, model: type, **values: object) -> None:
    db.exec(insert(model).values(**values).on_conflict_do_nothing())  # type: ignore[call-overload]


def link(db: DBSession, media_id: int, *, job_id: int | None, source_id: int | None, folder_id: int | None) -> None:
    """Tie a media to the job that produced it (none for an imported file), where it came from and
    the requested folder."""
    if job_id is not None:
        _link(db, JobMedia, job_id=job_id, media_id=media_id)
    if source_id is not None:
        _link(db, MediaSource, media_id=media_id, source_id=source_id)
    if folder_id is not None:
        _link(db, MediaFolder, media_id=media_id, folder_id=folder_id, added_at=utcnow())


def fill_titles(db: DBSession, media_id: int, title: str | None, description: str | None) -> None:
    """The first source to name a media gives it its title and description; later ones keep theirs."""
    media = db.get(Media, media_id)
    if media is None:
        return
    if title and not media.title:
        media.title = title
    if description and not media.description:
        media.description = description
    db.add(media)
