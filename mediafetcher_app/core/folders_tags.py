"""Virtual folders and tags: media are linked, never copied (docs/ARCHITECTURE.md §3).

The library is shared: anyone signed in creates folders and tags and adds or removes media in
any of them. Each folder and tag records who created it; renaming, moving or deleting one that
someone else created (or whose creator is unknown) needs an admin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import events, media_records, storage
from .auth import Principal
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .library_view.watch import settle as settle_library_view
from .models import Folder, FolderTally, Media, MediaFolder, MediaSource, MediaTag, Source, Tag, TagTally, utcnow

log = logging.getLogger(__name__)
# How long a deletion waits for the library view to drop its links (a pass on a large library).
LIBRARY_VIEW_PATIENCE_S = 120


MAX_TITLE = 500


@dataclass(frozen=True)
class TagSummary:
    id: int
    name: str
    count: int


@dataclass(frozen=True)
class FolderNode:
    id: int
    name: str
    parent_id: int | None
    depth: int
    count: int


def _clean_name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(f"A {what} needs a name.")
    if len(cleaned) > 128:
        raise InvalidInput(f"A {what} name is at most 128 characters.")
    return cleaned


def _folder(db: DBSession, folder_id: int) -> Folder:
    folder = db.get(Folder, folder_id)
    if folder is None:
        raise NotFound(f"No folder with id {folder_id}.")
    return folder


def _require_creator_or_admin(who: Principal, created_by: int | None, action: str) -> None:
    if created_by != who.user_id and not who.is_admin:
        raise Forbidden(f"Only an administrator can {action} someone else created.")


def _check_free_name(db: DBSession, name: str, parent_id: int | None, except_id: int | None = None) -> None:
    query = select(Folder.id).where(func.lower(Folder.name) == name.lower(), Folder.parent_id == parent_id)
    if except_id is not None:
        query = query.where(Folder.id != except_id)
    if db.exec(query).first() is not None:
        raise Conflict(f"A folder named '{name}' already exists there.")


def create_folder(db: DBSession, who: Principal, name: str, parent_id: int | None = None) -> Folder:
    cleaned = _clean_name(name, "folder")
    if parent_id is not None:
        _folder(db, parent_id)
    _check_free_name(db, cleaned, parent_id)
    folder = Folder(name=cleaned, parent_id=parent_id, created_by=who.user_id)
    db.add(folder)
    db.flush()
    return folder


def rename_folder(db: DBSession, who: Principal, folder_id: int, name: str) -> Folder:
    folder = _folder(db, folder_id)
    cleaned = _clean_name(name, "folder")
    if cleaned != folder.name:
        _require_creator_or_admin(who, folder.created_by, "rename a folder")
    _check_free_name(db, cleaned, folder.parent_id, except_id=folder_id)
    folder.name = cleaned
    db.add(folder)
    return folder


def _ancestors(db: DBSession, folder_id: int | None) -> set[int]:
    seen: set[int] = set()
    while folder_id is not None and folder_id not in seen:
        seen.add(folder_id)
        folder_id = _folder(db, folder_id).parent_id
    return seen


def move_folder(db: DBSession, who: Principal, folder_id: int, new_parent_id: int | None) -> Folder:
    folder = _folder(db, folder_id)
    if folder.parent_id != new_parent_id:
        _require_creator_or_admin(who, folder.created_by, "move a folder")
    if folder_id in _ancestors(db, new_parent_id):
        raise InvalidInput("A folder cannot move inside itself.")
    _check_free_name(db, folder.name, new_parent_id, except_id=folder_id)
    folder.parent_id = new_parent_id
    db.add(folder)
    return folder


def _subtree_creators(db: DBSession, folder_id: int) -> set[int | None]:
    """Who created the folder and every folder below it."""
    tree = select(Folder.id, Folder.created_by).where(Folder.id == folder_id).cte("tree", recursive=True)
    below = select(Folder.id, Folder.created_by).join(tree, col(Folder.parent_id) == tree.c.id)
    tree = tree.union_all(below)
    return set(db.exec(select(tree.c.created_by)).all())


def delete_folder(db: DBSession, who: Principal, folder_id: int) -> None:
    """Removes the folder and its sub-folders; the media in them stay in the library. Needs an
    admin when any of those folders was created by someone else."""
    folder = _folder(db, folder_id)
    for creator in _subtree_creators(db, folder_id):
        _require_creator_or_admin(who, creator, "delete a folder (or a sub-folder)")
    db.delete(folder)


def folder_tree(db: DBSession) -> list[FolderNode]:
    """Every folder, depth-first in name order, with how many media each holds directly."""
    counts = dict(db.exec(select(FolderTally.folder_id, FolderTally.n)).all())
    folders = db.exec(select(Folder).order_by(func.lower(Folder.name))).all()
    children: dict[int | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    ordered: list[FolderNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for folder in children.get(parent_id, []):
            assert folder.id is not None
            ordered.append(FolderNode(folder.id, folder.name, folder.parent_id, depth, counts.get(folder.id, 0)))
            walk(folder.id, depth + 1)

    walk(None, 0)
    return ordered


def _existing_media(db: DBSession, media_ids: list[int]) -> list[int]:
    if not media_ids:
        return []
    return list(db.exec(select(Media.id).where(col(Media.id).in_(media_ids))).all())


def require_media(db: DBSession, media_ids: list[int]) -> None:
    """Every id names a media, else NotFound listing those that do not (for callers that must not
    skip unknown ids silently, like the API's bulk actions)."""
    missing = sorted(set(media_ids) - set(_existing_media(db, media_ids)))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise NotFound(f"No media with id {shown}.")


def folder_node(db: DBSession, folder_id: int) -> FolderNode:
    """One folder as the tree shows it."""
    _folder(db, folder_id)
    return next(node for node in folder_tree(db) if node.id == folder_id)


def add_to_folder(db: DBSession, folder_id: int, media_ids: list[int]) -> int:
    """Link media into a folder (already there: no change); returns how many were new."""
    _folder(db, folder_id)
    rows = [{"media_id": m, "folder_id": folder_id, "added_at": utcnow()} for m in _existing_media(db, media_ids)]
    if not rows:
        return 0
    statement = insert(MediaFolder).values(rows).on_conflict_do_nothing().returning(MediaFolder.media_id)
    return len(db.exec(statement).all())  # type: ignore[call-overload]


def remove_from_folder(db: DBSession, folder_id: int, media_id: int) -> None:
    db.exec(  # type: ignore[call-overload]
        delete(MediaFolder).where(col(MediaFolder.folder_id) == folder_id, col(MediaFolder.media_id) == media_id)
    )


def _unlink(db: DBSession, link: type[MediaFolder] | type[MediaTag], owner: Any, media_ids: list[int]) -> int:
    """Delete the links of ``media_ids`` that match ``owner`` (a condition); returns how many existed."""
    statement = delete(link).where(owner, col(link.media_id).in_(media_ids)).returning(link.media_id)
    return len(db.exec(statement).all())  # type: ignore[call-overload]


def remove_many_from_folder(db: DBSession, folder_id: int, media_ids: list[int]) -> int:
    """Unlink media from a folder (not there: no change); returns how many were there."""
    _folder(db, folder_id)
    return _unlink(db, MediaFolder, col(MediaFolder.folder_id) == folder_id, media_ids)


def _tag(db: DBSession, who: Principal, name: str) -> Tag:
    cleaned = _clean_name(name, "tag").lower()
    new = insert(Tag).values(name=cleaned, created_by=who.user_id).on_conflict_do_nothing(index_elements=["name"])
    db.exec(new)  # type: ignore[call-overload]
    tag = db.exec(select(Tag).where(Tag.name == cleaned)).one()
    return tag


def tag_media(db: DBSession, who: Principal, name: str, media_ids: list[int]) -> Tag:
    """Tag media (a new tag is ``who``'s); anyone may tag anything."""
    tag = _tag(db, who, name)
    rows = [{"media_id": m, "tag_id": tag.id} for m in _existing_media(db, media_ids)]
    if rows:
        db.exec(insert(MediaTag).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]
    return tag


def untag_media(db: DBSession, name: str, media_id: int) -> None:
    tag = db.exec(select(Tag).where(Tag.name == name.lower())).first()
    if tag is not None:
        db.exec(  # type: ignore[call-overload]
            delete(MediaTag).where(col(MediaTag.tag_id) == tag.id, col(MediaTag.media_id) == media_id)
        )


def untag_many(db: DBSession, tag_id: int, media_ids: list[int]) -> int:
    """Take a tag off media (not tagged: no change); returns how many had it."""
    return _unlink(db, MediaTag, col(MediaTag.tag_id) == tag_id, media_ids)


def tag_by_id(db: DBSession, tag_id: int) -> Tag:
    tag = db.get(Tag, tag_id)
    if tag is None:
        raise NotFound(f"No tag with id {tag_id}.")
    return tag


def set_title(db: DBSession, media_id: int, title: str) -> Media:
    """Give a media a new title (anyone may, like tags: the library is shared)."""
    media = db.get(Media, media_id)
    if media is None:
        raise NotFound(f"No media with id {media_id}.")
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput("A title cannot be empty.")
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(f"A title is at most {MAX_TITLE} characters.")
    media.title = cleaned
    db.add(media)
    return media


def set_tags(db: DBSession, who: Principal, media_id: int, names: list[str]) -> None:
    """Make a media's tags exactly ``names`` (new tags are ``who``'s)."""
    require_media(db, [media_id])
    wanted = {_tag(db, who, name).id for name in names}
    db.exec(  # type: ignore[call-overload]
        delete(MediaTag).where(col(MediaTag.media_id) == media_id, col(MediaTag.tag_id).not_in(list(wanted)))
    )
    if wanted:
        rows = [{"media_id": media_id, "tag_id": tag_id} for tag_id in wanted]
        db.exec(insert(MediaTag).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]


def rename_tag(db: DBSession, who: Principal, old: str, new: str) -> Tag:
    tag = db.exec(select(Tag).where(Tag.name == old.lower())).first()
    if tag is None:
        raise NotFound(f"No tag '{old}'.")
    cleaned = _clean_name(new, "tag").lower()
    if cleaned == tag.name:
        return tag
    _require_creator_or_admin(who, tag.created_by, "rename a tag")
    if db.exec(select(Tag.id).where(Tag.name == cleaned)).first() is not None:
        raise Conflict(f"The tag '{cleaned}' already exists.")
    tag.name = cleaned
    db.add(tag)
    return tag


def delete_tag(db: DBSession, who: Principal, name: str) -> None:
    tag = db.exec(select(Tag).where(Tag.name == name.lower())).first()
    if tag is not None:
        _require_creator_or_admin(who, tag.created_by, "delete a tag")
        db.delete(tag)


def tag_summaries(db: DBSession, tag_id: int | None = None) -> list[TagSummary]:
    """Every tag (or the one ``tag_id``) in name order, with how many media carry it."""
    query = (
        select(Tag.id, Tag.name, func.coalesce(TagTally.n, 0))
        .join(TagTally, col(TagTally.tag_id) == col(Tag.id), isouter=True)
        .order_by(Tag.name)
    )
    if tag_id is not None:
        query = query.where(Tag.id == tag_id)
    return [TagSummary(tid, name, count) for tid, name, count in db.exec(query).all()]


def tags_with_counts(db: DBSession) -> list[tuple[str, int]]:
    return [(tag.name, tag.count) for tag in tag_summaries(db)]


def delete_media(db: DBSession, principal: Principal, media_id: int) -> list[str]:
    """Admin only. The row, its links, the sources no other media has and the thumbnail path go
    now, and a tombstone keeps the bytes from coming back; returns the hashes whose files
    ``remove_files`` removes once the transaction committed.

    Rows first, files second: a failure in between leaves tombstoned files, which the worker's
    recovery sweep removes and never re-indexes, not a row without its file. Deletion is final for
    recovery only: a user who later downloads the same bytes gets them stored again (the download
    clears the tombstone, worker/finalise.py).
    """
    principal.require_admin()
    media = db.get(Media, media_id)
    if media is None:
        raise NotFound(f"No media with id {media_id}.")
    media_records.lock_sha(db, media.sha256)
    source_ids = list(db.exec(select(MediaSource.source_id).where(MediaSource.media_id == media_id)).all())
    events.record(db, "deleted", f"Deleted {media.title or media.path}", user_id=principal.user_id)
    db.delete(media)
    db.flush()  # the links go with the row (ON DELETE CASCADE)
    linked_elsewhere = select(MediaSource.source_id).where(col(MediaSource.source_id) == col(Source.id)).exists()
    db.exec(delete(Source).where(col(Source.id).in_(source_ids), ~linked_elsewhere))  # type: ignore[call-overload]
    media_records.bury(db, media.sha256, principal.user_id)
    return [media.sha256]


def remove_files(sha256s: list[str]) -> list[Path]:
    """Remove every file of these hashes (each ``final/{sha}.*`` and the thumbnail); returns those
    that could not be removed, which stay for the recovery sweep (their hash is tombstoned).

    The library view's pass for the deleting commit goes first: its hard links to these bytes are
    gone before the stored file is, so ``media/library/`` never holds the last copy of anything.
    """
    settle_library_view(LIBRARY_VIEW_PATIENCE_S)
    left: list[Path] = []
    for sha256 in sha256s:
        for path in storage.files_of(sha256):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s (the recovery sweep tries again): %s", path, exc)
                left.append(path)
    return left
