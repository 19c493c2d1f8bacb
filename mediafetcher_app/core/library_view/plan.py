"""The library view as the database says it should be: every directory and file, by relative path.

``<folder path>/<title> [<platform> <id>].<ext>`` for each media in each of its folders (media in
no folder under ``Unsorted/``), and beside each video ``<same name>.nfo`` and
``<same name>-poster.webp``. Pure reading: nothing here touches the disk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from posixpath import join, splitext
from typing import Any

from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from ..models import Folder, Media, MediaFolder, MediaKind, MediaSource, MediaTag, Source, Tag
from .names import Namer, safe_part
from .nfo import NfoFacts, render

UNSORTED = "Unsorted"
POSTER = "-poster.webp"
NFO = ".nfo"
# The longest sidecar ending, kept free in every video's name budget.
SIDECAR_BYTES = max(len(POSTER), len(NFO))


@dataclass(frozen=True)
class Plan:
    """``links``: view path -> the stored file it is; ``texts``: view path -> file content. Paths are
    relative, ``/``-separated strings (plain strings: a pass handles tens of thousands)."""

    dirs: set[str] = field(default_factory=set)
    links: dict[str, Path] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)


def _folder_paths(db: DBSession) -> dict[int, str]:
    """Each folder's view path; siblings whose safe names collide (or ``Unsorted`` at the top) are numbered."""
    children: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    for folder_id, name, parent_id in db.exec(select(Folder.id, Folder.name, Folder.parent_id).order_by(Folder.id)):
        children[parent_id].append((folder_id, name))
    paths: dict[int, str] = {}

    def walk(parent_id: int | None, parent: str) -> None:
        namer = Namer(reserved=(UNSORTED,) if parent_id is None else ())
        for folder_id, name in children.get(parent_id, []):
            paths[folder_id] = join(parent, namer.claim(safe_part(name)))
            walk(folder_id, paths[folder_id])

    walk(None, "")
    return paths


def _rows(db: DBSession) -> list[Any]:
    """Every media with its first source (columns only, no ORM objects), in id order: older media
    keep their names when a newer one would collide."""
    first_source = (
        select(MediaSource.media_id, func.min(MediaSource.source_id).label("source_id"))
        .group_by(col(MediaSource.media_id))
        .subquery()
    )
    return list(
        db.exec(
            select(
                Media.id,
                Media.sha256,
                Media.path,
                Media.kind,
                Media.title,
                Media.description,
                Media.thumbnail_path,
                Source.platform,
                Source.external_id,
                Source.uploader,
                Source.posted_at,
                Source.url,
            )
            .join(first_source, first_source.c.media_id == col(Media.id), isouter=True)
            .join(Source, col(Source.id) == first_source.c.source_id, isouter=True)
            .order_by(col(Media.id))
        ).all()
    )


def _tags(db: DBSession) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    query = select(MediaTag.media_id, Tag.name).join(Tag, col(Tag.id) == col(MediaTag.tag_id)).order_by(Tag.name)
    for media_id, name in db.exec(query):
        tags[media_id].append(name)
    return tags


def _stem(row: Any) -> str:
    """``<title> [<platform> <id>]``; without a platform id, the start of the hash names it."""
    ident = f"{row.platform} {row.external_id}" if row.external_id else row.sha256[:12]
    tail = f" [{safe_part(ident, 96)}]"
    return safe_part(row.title, 255 - len(tail.encode()) - SIDECAR_BYTES - 16) + tail


def _nfo(row: Any, tags: list[str]) -> bytes:
    return render(
        NfoFacts(
            title=row.title or "Untitled",
            plot=row.description,
            uploader=row.uploader,
            posted_at=row.posted_at,
            url=row.url,
            platform=row.platform,
            external_id=row.external_id,
            tags=tuple(tags),
        )
    )


def build(db: DBSession, media_root: Path) -> Plan:
    """The whole view for the database as ``db`` sees it now."""
    folder_paths = _folder_paths(db)
    memberships: dict[int, list[int]] = defaultdict(list)
    for media_id, folder_id in db.exec(select(MediaFolder.media_id, MediaFolder.folder_id)):
        memberships[media_id].append(folder_id)
    tags = _tags(db)
    plan = Plan(dirs={UNSORTED, *folder_paths.values()})
    namers: dict[str, Namer] = defaultdict(Namer)
    for row in _rows(db):
        ext = splitext(row.path)[1].lower()
        homes = sorted({folder_paths[f] for f in memberships[row.id] if f in folder_paths}) or [UNSORTED]
        is_video = row.kind == MediaKind.video
        nfo = _nfo(row, tags[row.id]) if is_video else b""
        for home in homes:
            stem = join(home, namers[home].claim(_stem(row), ext, SIDECAR_BYTES if is_video else 0))
            plan.links[stem + ext] = media_root / row.path
            if is_video:
                plan.texts[stem + NFO] = nfo
                if row.thumbnail_path:
                    plan.links[stem + POSTER] = media_root / row.thumbnail_path
    return plan
