"""The library view as the database says it should be: every directory and file, by relative path.

``<folder path>/<title> [<platform> <id>].<ext>`` for each media in each of its folders (media in
no folder under ``Unsorted/``), and beside each video ``<same name>.nfo`` and
``<same name>-poster.webp``. Pure reading: nothing here touches the disk.

``items`` reads what the view shows of some media (or of all), ``build`` the whole view for a full
pass. Each media in one directory is an ``Entry``: the name it asked for, the name it got and the
file endings it has there, which the index (``index.py``) keeps so that a later pass following one
media removes exactly its old files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
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
UNSORTED_ID = 0  # the folder id ``Unsorted`` stands in for (real folder ids start at 1)
CHUNK = 1000  # media ids per query when following many


@dataclass(frozen=True)
class Entry:
    """One media in one directory: ``wanted`` is the stem it asks for, ``name`` the stem it got
    (numbered on a collision), ``suffixes`` the endings of its files there (``.mp4``, ``.nfo``...)."""

    media_id: int
    folder_id: int
    wanted: str
    name: str
    ext: str
    suffixes: tuple[str, ...]

    @property
    def folded(self) -> str:
        """The key a name collides on in its directory (``Namer``'s)."""
        return (self.name + self.ext).casefold()


@dataclass(frozen=True)
class Item:
    """One media as the view shows it, in every directory it appears in."""

    media_id: int
    wanted: str
    ext: str
    stored: Path
    poster: Path | None  # videos with a thumbnail only
    nfo: bytes | None  # videos only
    folder_ids: tuple[int, ...]

    @property
    def reserve(self) -> int:
        return SIDECAR_BYTES if self.nfo is not None else 0

    def homes(self, folder_paths: dict[int, str]) -> list[int]:
        """The folders it shows in (ids with a path), else ``Unsorted``."""
        return sorted(f for f in self.folder_ids if f in folder_paths) or [UNSORTED_ID]

    def files(self, stem: str) -> tuple[dict[str, Path], dict[str, bytes]]:
        """Its links and texts under the view path ``stem`` (without an ending)."""
        links = {stem + self.ext: self.stored}
        texts = {}
        if self.nfo is not None:
            texts[stem + NFO] = self.nfo
            if self.poster is not None:
                links[stem + POSTER] = self.poster
        return links, texts

    def entry(self, folder_id: int, name: str) -> Entry:
        links, texts = self.files("")
        return Entry(self.media_id, folder_id, self.wanted, name, self.ext, (*links, *texts))


@dataclass(frozen=True)
class Plan:
    """``links``: view path -> the stored file it is; ``texts``: view path -> file content. Paths are
    relative, ``/``-separated strings (plain strings: a pass handles tens of thousands). ``folders``
    and ``entries`` are what the index records of it."""

    dirs: set[str] = field(default_factory=set)
    links: dict[str, Path] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)
    folders: dict[int, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)


def folder_path(folder_paths: dict[int, str], folder_id: int) -> str:
    return UNSORTED if folder_id == UNSORTED_ID else folder_paths[folder_id]


def folder_paths(db: DBSession) -> dict[int, str]:
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


def _rows(db: DBSession, ids: Collection[int] | None) -> list[Any]:
    """These media (all when ``ids`` is None) with their first source (columns only, no ORM
    objects), in id order: in a full pass older media keep their names when a newer one would
    collide."""
    first_source = select(MediaSource.media_id, func.min(MediaSource.source_id).label("source_id"))
    query = select(
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
    if ids is not None:
        first_source = first_source.where(col(MediaSource.media_id).in_(ids))
        query = query.where(col(Media.id).in_(ids))
    first = first_source.group_by(col(MediaSource.media_id)).subquery()
    query = (
        query.join(first, first.c.media_id == col(Media.id), isouter=True)
        .join(Source, col(Source.id) == first.c.source_id, isouter=True)
        .order_by(col(Media.id))
    )
    return list(db.exec(query).all())


def _tags(db: DBSession, ids: Collection[int] | None) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    query = select(MediaTag.media_id, Tag.name).join(Tag, col(Tag.id) == col(MediaTag.tag_id)).order_by(Tag.name)
    if ids is not None:
        query = query.where(col(MediaTag.media_id).in_(ids))
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


def _memberships(db: DBSession, ids: Collection[int] | None) -> dict[int, list[int]]:
    query = select(MediaFolder.media_id, MediaFolder.folder_id)
    if ids is not None:
        query = query.where(col(MediaFolder.media_id).in_(ids))
    memberships: dict[int, list[int]] = defaultdict(list)
    for media_id, folder_id in db.exec(query):
        memberships[media_id].append(folder_id)
    return memberships


def items(db: DBSession, media_root: Path, ids: Collection[int] | None = None) -> list[Item]:
    """What the view shows of these media (all when ``ids`` is None; ids of deleted media are
    simply absent), in id order."""
    memberships = _memberships(db, ids)
    tags = _tags(db, ids)
    found = []
    for row in _rows(db, ids):
        is_video = row.kind == MediaKind.video
        found.append(
            Item(
                media_id=row.id,
                wanted=_stem(row),
                ext=splitext(row.path)[1].lower(),
                stored=media_root / row.path,
                poster=media_root / row.thumbnail_path if is_video and row.thumbnail_path else None,
                nfo=_nfo(row, tags[row.id]) if is_video else None,
                folder_ids=tuple(memberships[row.id]),
            )
        )
    return found


def build(db: DBSession, media_root: Path) -> Plan:
    """The whole view for the database as ``db`` sees it now; names are given in id order."""
    folders = folder_paths(db)
    plan = Plan(dirs={UNSORTED, *folders.values()}, folders=folders)
    namers: dict[int, Namer] = defaultdict(Namer)
    for item in items(db, media_root):
        for folder_id in item.homes(folders):
            name = namers[folder_id].claim(item.wanted, item.ext, item.reserve)
            links, texts = item.files(join(folder_path(folders, folder_id), name))
            plan.links.update(links)
            plan.texts.update(texts)
            plan.entries.append(item.entry(folder_id, name))
    return plan
