"""Where files live under MEDIA_ROOT and how they get there (docs/ARCHITECTURE.md §4.5).

A file reaches ``final/`` only by ``os.replace`` from ``tmp/<job>/`` on the same filesystem, so
``final/`` never holds a half-written file. Its name is its SHA-256: identical bytes are one file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .settings import Settings, get_settings


def sha256_file(path: Path) -> str:
    """Streamed hash: memory stays flat for a 20 GB file."""
    with path.open("rb", buffering=0) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def job_tmp_dir(job_id: int, settings: Settings | None = None) -> Path:
    return (settings or get_settings()).tmp_dir / str(job_id)


def fresh_job_tmp_dir(job_id: int) -> Path:
    """An empty tmp dir for a run: leftovers of an earlier attempt are never mistaken for output."""
    path = job_tmp_dir(job_id)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def remove_job_tmp_dir(job_id: int) -> None:
    shutil.rmtree(job_tmp_dir(job_id), ignore_errors=True)


def final_name(sha256: str, ext: str) -> str:
    """The path stored in ``Media.path``, relative to MEDIA_ROOT."""
    return f"final/{sha256}.{ext.lower()}"


def absolute(relative: str, settings: Settings | None = None) -> Path:
    return (settings or get_settings()).media_root / relative


def thumb_name(sha256: str) -> str:
    return f"thumbs/{sha256}.webp"


def move_into_final(source: Path, sha256: str, ext: str) -> str:
    """Atomically publish ``source`` as ``final/{sha256}.{ext}``; returns the relative path."""
    relative = final_name(sha256, ext)
    target = absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    return relative


def tmp_job_ids(settings: Settings | None = None) -> list[int]:
    """Job ids that have a directory in ``tmp/`` (anything else there is not ours to judge)."""
    root = (settings or get_settings()).tmp_dir
    if not root.is_dir():
        return []
    return [int(entry.name) for entry in root.iterdir() if entry.is_dir() and entry.name.isdigit()]


def files_of(sha256: str, settings: Settings | None = None) -> list[Path]:
    """Every file of these bytes: each ``final/{sha256}.*`` (whatever extension it was stored
    under) and the thumbnail."""
    settings = settings or get_settings()
    thumb = absolute(thumb_name(sha256), settings)
    return [*settings.final_dir.glob(f"{sha256}.*"), *([thumb] if thumb.exists() else [])]


def thumb_files(settings: Settings | None = None) -> dict[str, Path]:
    """``{sha256: path}`` for every thumbnail in ``thumbs/``."""
    root = (settings or get_settings()).thumbs_dir
    if not root.is_dir():
        return {}
    return {entry.stem: entry for entry in root.iterdir() if entry.is_file() and _is_sha(entry.stem)}


def _is_sha(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def final_files(settings: Settings | None = None) -> dict[str, Path]:
    """``{sha256: path}`` for every published file in ``final/``."""
    root = (settings or get_settings()).final_dir
    if not root.is_dir():
        return {}
    found = {}
    for entry in root.iterdir():
        stem = entry.name.split(".", 1)[0]
        if entry.is_file() and _is_sha(stem):
            found[stem] = entry
    return found
