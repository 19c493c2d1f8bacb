"""Make ``media/library/`` match a plan: add what is missing, fix what differs, remove the rest.

Stored files are hard links (the same bytes under a second name, no space used); where the
filesystem refuses (another filesystem, no hard links on the share), a relative symlink. NFO files
are written whole to a temporary name and renamed, so a media server never reads half of one.
Only paths under the library root are ever removed, and never a stored file itself: removing a
hard link leaves ``final/`` as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from posixpath import dirname

from .plan import Plan

_NO_HARD_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


@dataclass
class Applied:
    """What one pass changed (counts, for the CLI and the logs)."""

    added: int = 0
    removed: int = 0


def _parents(path: str) -> list[str]:
    found = []
    while path := dirname(path):
        found.append(path)
    return found


def is_link_to(path: str, target: Path) -> bool:
    if os.path.islink(path):
        return os.readlink(path) == os.path.relpath(target, os.path.dirname(path))
    try:
        return os.path.samefile(path, target)
    except OSError:
        return False


def link(path: str, target: Path) -> None:
    try:
        os.link(target, path)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        os.symlink(os.path.relpath(target, os.path.dirname(path)), path)


def write(path: str, content: bytes) -> None:
    temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def same_content(path: str, content: bytes) -> bool:
    if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) != len(content):
        return False
    with open(path, "rb") as handle:
        return handle.read() == content


def _existing(root: Path) -> tuple[set[str], set[str]]:
    """Relative ``/`` paths of the files (and symlinks) and of the directories now under ``root``."""
    files: set[str] = set()
    dirs: set[str] = set()
    for current, dir_names, file_names in os.walk(root):
        here = os.path.relpath(current, root).replace(os.sep, "/")
        prefix = "" if here == "." else here + "/"
        for name in dir_names:
            (files if os.path.islink(os.path.join(current, name)) else dirs).add(prefix + name)
        files.update(prefix + name for name in file_names)
    return files, dirs


def remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def put_files(base: str, links: dict[str, Path], texts: dict[str, bytes]) -> int:
    """Make each link (unless it already is one to its target) and write each text that differs,
    at ``base`` + its relative path; returns how many it made or wrote."""
    made = 0
    for relative, target in links.items():
        path = base + relative
        if os.path.lexists(path):
            if is_link_to(path, target):
                continue
            os.unlink(path)
        if target.exists():
            link(path, target)
            made += 1
    for relative, content in texts.items():
        if not same_content(base + relative, content):
            write(base + relative, content)
            made += 1
    return made


def apply(plan: Plan, root: Path) -> Applied:
    """Bring ``root`` in line with ``plan``."""
    root.mkdir(parents=True, exist_ok=True)
    base = str(root) + os.sep
    files, dirs = _existing(root)
    done = Applied()
    wanted_files = plan.links.keys() | plan.texts.keys()
    wanted_dirs = set(plan.dirs)
    for path in wanted_files | plan.dirs:
        wanted_dirs.update(_parents(path))
    for relative in sorted(files - wanted_files) + sorted(dirs & wanted_files):
        remove(base + relative)
        done.removed += 1
    for relative in sorted(dirs - wanted_dirs, key=lambda p: p.count("/"), reverse=True):
        if os.path.lexists(base + relative):
            remove(base + relative)
            done.removed += 1
    for relative in sorted(wanted_dirs):
        path = base + relative
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        if relative not in dirs:
            os.makedirs(path, exist_ok=True)
    done.added += put_files(base, plan.links, plan.texts)
    return done
