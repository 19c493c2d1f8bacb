"""``cli import-folder PATH``: bring an existing folder of media files into the media_records.

Each file is judged by its bytes like a download (``content.identify``: kind, type and extension
from the content; anything else is refused), hashed and deduplicated against the library; a
yt-dlp ``NAME.info.json`` sidecar beside ``NAME.ext`` gives its title and source. The originals are
never moved or changed: a copy goes through ``tmp/`` into ``final/`` exactly as a download does.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediafetcher_app.core import media_records, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.settings import get_settings

from . import thumbnails
from .engines.child_ytdlp import META_KEYS
from .errors import PipelineError
from .finalise import check, meta_text, source_info

SIDECAR = ".info.json"


@dataclass
class Summary:
    """What happened to each file: imported, skipped (already in the library) or refused (why)."""

    imported: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def candidates(root: Path) -> list[Path]:
    """Every file under ``root`` except sidecars and hidden files, in a stable order."""
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder.")
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not path.name.endswith(SIDECAR)
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def sidecar_of(path: Path) -> dict[str, Any] | None:
    """The fields a download keeps from yt-dlp's ``NAME.info.json`` for ``NAME.ext`` (a sidecar also
    holds request headers and cookies, which are never stored); None when there is no usable one."""
    sidecar = path.with_name(path.stem + SIDECAR)
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    return {key: meta[key] for key in META_KEYS if key in meta}


def _import_one(path: Path, staging: Path, summary: Summary) -> None:
    limit = get_settings().max_file_bytes
    if path.stat().st_size > limit:
        summary.refused.append((path, f"larger than MF_MAX_FILE_BYTES ({limit} bytes)"))
        return
    with session_scope() as db:
        if media_records.media_by_sha(db, storage.sha256_file(path)) is not None:
            summary.skipped.append((path, "already in the library"))
            return
    copy = staging / f"{len(summary.imported) + len(summary.refused)}{path.suffix.lower()}"
    shutil.copyfile(path, copy)
    try:
        checked = check(copy, copy.with_name(copy.name + ".thumb.webp"))
    except PipelineError as error:
        copy.unlink(missing_ok=True)
        summary.refused.append((path, error.message))
        return
    meta = sidecar_of(path)
    with session_scope() as db:
        media_records.lock_sha(db, checked.sha256)
        if media_records.media_by_sha(db, checked.sha256) is not None:  # the same bytes earlier in this folder
            copy.unlink()
            if checked.thumbnail:
                checked.thumbnail.unlink(missing_ok=True)
            summary.skipped.append((path, "already in the library"))
            return
        media_records.unbury(db, checked.sha256)  # importing deleted bytes asks for them again
        relative = storage.move_into_final(copy, checked.sha256, checked.content.ext)
        thumb = thumbnails.publish(checked.thumbnail, checked.sha256) if checked.thumbnail else None
        said = meta or {}
        title, description = meta_text(said, "title") or path.stem, meta_text(said, "description")
        media_id = media_records.add_media(db, checked.facts(relative, thumb), title, description)
        if meta:
            source_id = media_records.add_source(
                db, source_info(meta, meta_text(meta, "webpage_url", "original_url") or path.as_uri())
            )
            media_records.link(db, media_id, job_id=None, source_id=source_id, folder_id=None)
    summary.imported.append(path)


def import_files(files: list[Path], on_file: Callable[[Path], None] = lambda _path: None) -> Summary:
    """Import ``files`` (from ``candidates``); ``on_file`` is called after each (a progress bar)."""
    summary = Summary()
    with _staging() as staging:
        for path in files:
            try:
                _import_one(path, staging, summary)
            except OSError as exc:  # unreadable, vanished meanwhile: that file alone is refused
                summary.refused.append((path, f"it could not be read ({exc.strerror or exc})"))
            on_file(path)
    return summary


@contextmanager
def _staging() -> Iterator[Path]:
    """A private dir in ``tmp/`` (same filesystem as ``final/``, so publishing is a rename); its
    name is no job id, so the worker's tmp sweep leaves it alone while the import runs."""
    path = get_settings().tmp_dir / f"import-{secrets.token_hex(4)}"
    path.mkdir(parents=True, mode=0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
