"""The library view as the database says it should be: every directory and file, by relative path.

``<folder path>/<title> [<platform> <id>].<ext>`` for each media in each of its folders (media in
no folder under ``Unsorted/``), and beside each video ``<same name>.nfo`` and
``<same name>-poster.webp``. Pure reading: nothing here touches the disk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
    """``links``: view path -> the stored file it is; ``texts``: view path -> file content."""

    dirs: set[PurePosixPath] = field(default_factory=set)
    links: dict[PurePosixPath, Path] = field(default_factory=dict)
    texts: dict[PurePosixPath, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    media: Media
    source: Source | None
    tags: tuple[str, ...]


def _folder_paths(db: DBSession) -> dict[int, PurePosixPath]:
    """Each folder's view path; siblings whose safe names collide (or ``Unsorted`` at the top) are numbered."""
    folders = db.exec(select(Folder).order_by(col(Folder.id))).all()
    children: dict[int | None, list[Folder]] = defaultdict(list)
    for folder in folders:
        children[folder.parent_id].append(folder)
    paths: dict[int, PurePosixPath] = {}

    def walk(parent_id: int | None, parent: PurePosixPath) -> None:
        namer = Namer(reserved=(UNSORTED,) if parent_id is None else ())
        for folder in children.get(parent_id, []):
            assert folder.id is not None
            paths[folder.id] = parent / namer.claim(safe_part(folder.name))
            walk(folder.id, paths[folder.id])

    walk(None, PurePosixPath())
    return paths


def _items(db: DBSession) -> list[_Item]:
    """Every media with its first source and its tags, in id order (older media keep their names)."""
    first_source = (
        select(MediaSource.media_id, func.min(MediaSource.source_id).label("source_id"))
        .group_by(col(MediaSource.media_id))
        .subquery()
    )
    rows = db.exec(
        select(Media, Source)
        .join(first_source, first_source.c.media_id == col(Media.id), isouter=True)
        .join(Source, col(Source.id) == first_source.c.source_id, isouter=True)
        .order_by(col(Media.id))
    ).all()
    tags: dict[int, list[str]] = defaultdict(list)
    for media_id, name in db.exec(
        select(MediaTag.media_id, Tag.name).join(Tag, col(Tag.id) == col(MediaTag.tag_id)).order_by(Tag.name)
    ).all():
        tags[media_id].append(name)
    return [_Item(media, source, tuple(tags[media.id])) for media, source in rows if media.id is not None]


def _stem(item: _Item) -> str:
    """``<title> [<platform> <id>]``; without a platform id, the start of the hash names it."""
    media, source = item.media, item.source
    ident = f"{source.platform} {source.external_id}" if source and source.external_id else media.sha256[:12]
    tail = f" [{safe_part(ident, 96)}]"
    return safe_part(media.title, 255 - len(tail.encode()) - SIDECAR_BYTES - 16) + tail


def _nfo(item: _Item) -> bytes:
    source = item.source
    return render(
        NfoFacts(
            title=item.media.title or "Untitled",
            plot=item.media.description,
            uploader=source.uploader if source else None,
            posted_at=source.posted_at if source else None,
            url=source.url if source else None,
            platform=source.platform if source else None,
            external_id=source.external_id if source else None,
            tags=item.tags,
        )
    )


def build(db: DBSession, media_root: Path) -> Plan:
    """The whole view for the database as ``db`` sees it now."""
    folder_paths = _folder_paths(db)
    memberships: dict[int, list[int]] = defaultdict(list)
    for media_id, folder_id in db.exec(select(MediaFolder.media_id, MediaFolder.folder_id)).all():
        memberships[media_id].append(folder_id)
    plan = Plan(dirs={PurePosixPath(UNSORTED), *folder_paths.values()})
    namers: dict[PurePosixPath, Namer] = defaultdict(Namer)
    for item in _items(db):
        media = item.media
        ext = PurePosixPath(media.path).suffix.lower()
        homes = sorted({folder_paths[f] for f in memberships[media.id or 0] if f in folder_paths}) or [
            PurePosixPath(UNSORTED)
        ]
        is_video = media.kind == MediaKind.video
        for home in homes:
            stem = namers[home].claim(_stem(item), ext, SIDECAR_BYTES if is_video else 0)
            plan.links[home / f"{stem}{ext}"] = media_root / media.path
            if is_video:
                plan.texts[home / f"{stem}{NFO}"] = _nfo(item)
                if media.thumbnail_path:
                    plan.links[home / f"{stem}{POSTER}"] = media_root / media.thumbnail_path
    return plan
