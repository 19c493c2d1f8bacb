"""Publish one downloaded file (DESIGN.md §4.5): hash, atomic move, thumbnail, then the rows.

The order matters for crash safety: a file is in ``final/`` before its row exists, so a crash in
between leaves a file that ``recovery.reindex_final`` picks up, never a row without a file.
Source metadata goes into the database only; the file's bytes stay as the engine produced them.
"""

from __future__ import annotations

import hashlib
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from mediafetcher_app.core import library, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.ffmpeg import MediaInfo, inspect
from mediafetcher_app.core.library import FileFacts, SourceInfo
from mediafetcher_app.core.models import MediaKind
from mediafetcher_app.core.settings import get_settings

from . import thumbnails
from .errors import too_large
from .routing import file_kind

GENERIC_PLATFORMS = frozenset({"generic", "directlink", "html5mediaembed", "mfgeneric"})
MAX_EXTERNAL_ID = 255
_MIME = {"mp4": "video/mp4", "mp3": "audio/mpeg", "webp": "image/webp", "m4a": "audio/mp4", "webm": "video/webm"}


@dataclass(frozen=True)
class Produced:
    """A file an engine left in the job's tmp dir, with what the engine said about it."""

    path: Path
    meta: dict[str, Any]


def identity(meta: dict[str, Any], page_url: str) -> tuple[str, str | None]:
    """(platform, external_id) of an item. On generic pages the site's own id means nothing
    across sites, so the item's own URL is its identity."""
    platform = str(meta.get("extractor_key") or meta.get("category") or "web").lower()
    if platform not in GENERIC_PLATFORMS:
        external = meta.get("id")
        return platform, str(external) if external not in (None, "") else None
    item_url = meta.get("media_url") or f"{meta.get('webpage_url') or page_url}#{meta.get('id') or ''}"
    if len(item_url) > MAX_EXTERNAL_ID:
        item_url = "sha256:" + hashlib.sha256(item_url.encode()).hexdigest()
    return "web", item_url


def _posted_at(meta: dict[str, Any]) -> datetime | None:
    for key in ("timestamp", "release_timestamp"):
        if isinstance(meta.get(key), int | float):
            return datetime.fromtimestamp(meta[key], UTC)
    for key, fmt in (("upload_date", "%Y%m%d"), ("date", "%Y-%m-%dT%H:%M:%S"), ("date", "%Y-%m-%d %H:%M:%S")):
        try:
            return datetime.strptime(str(meta.get(key))[:19], fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _text(meta: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def source_info(meta: dict[str, Any], page_url: str) -> SourceInfo:
    platform, external_id = identity(meta, page_url)
    uploader = _text(meta, "uploader", "channel", "uploader_id", "author", "username", "uploader_name")
    return SourceInfo(
        url=_text(meta, "webpage_url") or page_url,
        platform=platform,
        external_id=external_id,
        uploader=uploader[:255] if uploader else None,
        posted_at=_posted_at(meta),
        raw_metadata=meta,
    )


@dataclass(frozen=True)
class Measured:
    kind: MediaKind
    mime: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_s: float | None
    info: MediaInfo | None  # None for images (Pillow reads them)

    def facts(self, sha256: str, ext: str, thumbnail_path: str | None) -> FileFacts:
        return FileFacts(
            sha256=sha256,
            path=storage.final_name(sha256, ext),
            kind=self.kind,
            mime=self.mime,
            size_bytes=self.size_bytes,
            width=self.width,
            height=self.height,
            duration_s=self.duration_s,
            thumbnail_path=thumbnail_path,
        )


def _ext(path: Path) -> str:
    return path.suffix.lstrip(".").lower() or "bin"


def measure(path: Path) -> Measured:
    """Kind, MIME type, dimensions and duration of a file about to be published."""
    ext = _ext(path)
    mime = _MIME.get(ext) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    size = path.stat().st_size
    if file_kind(ext, has_video=False) == MediaKind.image:
        with Image.open(path) as image:
            width, height = image.size
        return Measured(MediaKind.image, mime, size, width, height, None, None)
    info = inspect(path)
    video = info.video
    kind = MediaKind(file_kind(ext, has_video=video is not None))
    if kind == MediaKind.audio and mime.startswith("video/"):
        mime = mime.replace("video/", "audio/")
    width, height = (video.width, video.height) if video else (None, None)
    return Measured(kind, mime, size, width, height, info.duration_s, info)


def _add_row(facts: FileFacts) -> int:
    with session_scope() as db:
        media, _ = library.add_media(db, facts, title=None, description=None)
        assert media.id is not None
        return media.id


def index_file(final: Path, sha256: str) -> int:
    """The Media row (and thumbnail) of a file already in ``final/``; returns the media id."""
    measured = measure(final)
    made = final.with_name(f".{sha256}.thumb.webp")
    thumb = thumbnails.publish(made, sha256) if thumbnails.make(final, measured.kind, measured.info, made) else None
    return _add_row(measured.facts(sha256, _ext(final), thumb))


def store_file(path: Path) -> int:
    """Publish the bytes (or find them already published); returns the media id.

    Hashing runs in a thread while ffmpeg measures the file and makes its thumbnail.
    """
    made = path.with_name(path.name + ".thumb.webp")
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(storage.sha256_file, path)
        measured = measure(path)
        has_thumb = thumbnails.make(path, measured.kind, measured.info, made)
        sha256 = digest.result()
    with session_scope() as db:
        existing = library.media_by_sha(db, sha256)
    if existing is not None:
        path.unlink()
        made.unlink(missing_ok=True)
        assert existing.id is not None
        return existing.id
    storage.move_into_final(path, sha256, _ext(path))
    thumb = thumbnails.publish(made, sha256) if has_thumb else None
    return _add_row(measured.facts(sha256, _ext(path), thumb))


def publish(produced: Produced, *, job_id: int, page_url: str, folder_id: int | None) -> int:
    """Store one engine output and link it to its source, job and folder; returns the media id."""
    limit = get_settings().max_file_bytes
    size = produced.path.stat().st_size
    if size > limit:
        produced.path.unlink()
        raise too_large(limit, f"{produced.path.name} is {size} bytes")
    media_id = store_file(produced.path)
    info = source_info(produced.meta, page_url)
    with session_scope() as db:
        source = library.add_source(db, info)
        library.link(db, media_id, job_id=job_id, source_id=source.id, folder_id=folder_id)
        library.fill_titles(db, media_id, _text(produced.meta, "title"), _text(produced.meta, "description"))
    return media_id


def link_archived(media_ids: list[int], *, job_id: int, folder_id: int | None) -> None:
    """Items already in the library: the job gets them without any download."""
    with session_scope() as db:
        for media_id in media_ids:
            library.link(db, media_id, job_id=job_id, source_id=None, folder_id=folder_id)
