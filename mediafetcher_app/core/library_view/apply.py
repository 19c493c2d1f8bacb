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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .plan import Plan

_NO_HARD_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


@dataclass
class Applied:
    """What one pass changed (counts, for the CLI and the logs)."""

    added: int = 0
    removed: int = 0


def _is_link_to(path: Path, target: Path) -> bool:
    if path.is_symlink():
        return Path(os.readlink(path)) == Path(os.path.relpath(target, path.parent))
    try:
        return path.samefile(target)
    except OSError:
        return False


def _link(path: Path, target: Path) -> None:
    try:
        os.link(target, path)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        os.symlink(os.path.relpath(target, path.parent), path)


def _write(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def _existing(root: Path) -> tuple[set[PurePosixPath], set[PurePosixPath]]:
    """Relative paths of the files (and symlinks) and of the directories now under ``root``."""
    files: set[PurePosixPath] = set()
    dirs: set[PurePosixPath] = set()
    for current, dir_names, file_names in os.walk(root):
        here = PurePosixPath(Path(current).relative_to(root).as_posix())
        for name in dir_names:
            (files if (Path(current) / name).is_symlink() else dirs).add(here / name)
        files.update(here / name for name in file_names)
    return files, dirs


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() and not child.is_symlink() else child.unlink()
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


def apply(plan: Plan, root: Path) -> Applied:
    """Bring ``root`` in line with ``plan``."""
    root.mkdir(parents=True, exist_ok=True)
    files, dirs = _existing(root)
    done = Applied()
    wanted_files = plan.links.keys() | plan.texts.keys()
    wanted_dirs = set(plan.dirs) | {parent for path in wanted_files for parent in path.parents if parent.parts}
    wanted_dirs |= {parent for path in plan.dirs for parent in path.parents if parent.parts}
    for relative in sorted(files - wanted_files) + sorted(dirs & wanted_files):
        _remove(root / relative)
        done.removed += 1
    for relative in sorted(dirs - wanted_dirs, key=lambda p: len(p.parts), reverse=True):
        if (root / relative).exists():
            _remove(root / relative)
            done.removed += 1
    for relative in sorted(wanted_dirs):
        path = root / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.mkdir(exist_ok=True)
    for relative, target in plan.links.items():
        path = root / relative
        if path.is_symlink() or path.exists():
            if _is_link_to(path, target):
                continue
            path.unlink()
        if target.exists():
            _link(path, target)
            done.added += 1
    for relative, content in plan.texts.items():
        path = root / relative
        if not path.is_symlink() and path.is_file() and path.read_bytes() == content:
            continue
        _write(path, content)
        done.added += 1
    return done
