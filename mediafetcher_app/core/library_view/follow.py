"""The incremental pass: bring the view in line for some media and for the folder tree, touching
nothing else.

- Folders (a few thousand rows at most, read whole each pass) are compared with the directories
  the index recorded: a renamed or moved folder's directory is renamed, taking its whole subtree
  along unopened; a deleted folder's directory goes, and the media that had entries in it are
  followed too (they may now belong under ``Unsorted``); a new folder gets its directory.
- Each media followed is re-read from the database alone (its row, first source, folders and
  tags). Its old entries come from the index: one that no longer fits (it left the folder, its
  name or ending changed, the media is gone) has exactly its recorded files removed; one that still
  fits keeps its name and only what differs is redone (a link, the NFO, a poster). A new entry
  claims a name the index says is free in its directory (case-insensitively), so names once given
  are stable: a newcomer whose name collides gets the next number.

The cost is a few queries and a few file operations per media followed, whatever the library's
size: no directory walk, no other media read.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from functools import partial
from pathlib import Path
from posixpath import join

from sqlmodel import Session as DBSession

from .apply import Applied, put_files, remove
from .index import Index
from .names import claim
from .plan import CHUNK, UNSORTED, Entry, Item, folder_path, folder_paths, items

MOVING = ".mf-moving"  # where folders wait, inside the view, while directories change places


def _under(path: str, roots: Collection[str]) -> bool:
    return any(path.startswith(root + "/") for root in roots)


def _depth(path: str) -> int:
    return path.count("/")


def _move_folders(index: Index, root: str, new: dict[int, str]) -> set[int]:
    """Give every folder's directory its path in ``new``; returns the media that had entries in
    deleted folders.

    A folder whose path changed, or whose directory sits inside one that moves or goes, is parked
    under ``MOVING`` (deepest first) and put back at its new path (shallowest first): swaps, moves
    into a renamed parent and a child kept while its parent is deleted all come out right.
    """
    old = index.folders()
    gone = [f for f in old if f not in new]
    changed = [f for f in old if f in new and new[f] != old[f]]
    disturbed = [old[f] for f in (*gone, *changed)]
    moving = [f for f in old if f in new and (new[f] != old[f] or _under(old[f], disturbed))]
    parking = join(root, MOVING)
    for folder_id in sorted(moving, key=lambda f: _depth(old[f]), reverse=True):
        if os.path.lexists(join(root, old[folder_id])):
            os.makedirs(parking, exist_ok=True)
            os.rename(join(root, old[folder_id]), join(parking, str(folder_id)))
    orphans = index.media_in(gone)
    for folder_id in gone:
        remove(join(root, old[folder_id]))
    index.drop_folders(gone)
    for folder_id in sorted(moving, key=lambda f: _depth(new[f])):
        target, parked = join(root, new[folder_id]), join(parking, str(folder_id))
        remove(target)  # a stray where the folder goes
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(parked):
            os.rename(parked, target)
    remove(parking)
    for path in (UNSORTED, *new.values()):
        os.makedirs(join(root, path), exist_ok=True)
    index.set_folders(new)
    return orphans


def _drop(index: Index, base: str, folders: dict[int, str], entry: Entry, suffixes: Collection[str]) -> int:
    stem = join(folder_path(folders, entry.folder_id), entry.name)
    for suffix in suffixes:
        remove(base + stem + suffix)
    return len(suffixes)


def _follow_one(index: Index, base: str, folders: dict[int, str], media_id: int, item: Item | None) -> Applied:
    """One media's entries made right (``item`` None: the media is gone)."""
    done = Applied()
    homes = item.homes(folders) if item is not None else []
    kept: dict[int, Entry] = {}
    for entry in index.entries_of(media_id):
        if item is not None and entry.folder_id in homes and (entry.wanted, entry.ext) == (item.wanted, item.ext):
            kept[entry.folder_id] = entry
        else:
            done.removed += _drop(index, base, folders, entry, entry.suffixes)
            index.drop(entry)
    for folder_id in homes:
        assert item is not None
        old = kept.get(folder_id)
        name = old.name if old else claim(item.wanted, item.ext, item.reserve, partial(index.taken, folder_id))
        entry = item.entry(folder_id, name)
        if old is not None:  # e.g. a poster no longer there
            done.removed += _drop(index, base, folders, old, set(old.suffixes) - set(entry.suffixes))
        links, texts = item.files(join(folder_path(folders, folder_id), name))
        done.added += put_files(base, links, texts)
        index.put(entry)
    return done


def follow_media(db: DBSession, index: Index, root: Path, media_root: Path, media_ids: Collection[int]) -> Applied:
    """Folders made right, then these media (see the module docstring)."""
    base = str(root) + os.sep
    folders = folder_paths(db)
    wanted = sorted(set(media_ids) | _move_folders(index, str(root), folders))
    done = Applied()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found = {item.media_id: item for item in items(db, media_root, chunk)}
        for media_id in chunk:
            one = _follow_one(index, base, folders, media_id, found.get(media_id))
            done.added += one.added
            done.removed += one.removed
    return done
