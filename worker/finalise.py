"""Publish one downloaded file (docs/ARCHITECTURE.md §4.5): content check, hash, thumbnail, atomic move, rows.

Only bytes that ``content.identify`` accepts as media go further; kind, MIME type and extension
are the content's. The order matters for crash safety: a file is in ``final/`` before its row
commits, so a crash in between leaves a file that ``recovery.reindex_final`` picks up, never a
row without a file. Source metadata goes into the database only; the file's bytes stay as the
engine produced them.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session as DBSession

from mediafetcher_app.core import jobs, media_records, platforms, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.media_records import FileFacts, SourceInfo
from mediafetcher_app.core.models import MediaKind
from mediafetcher_app.core.settings import get_settings

from . import thumbnails
from .content import Content, identify
from .errors import JobCancelled, too_large

MAX_EXTERNAL_ID = 255
MAX_SOURCE_TAGS = 40
SOURCE_TAG_KEYS = ("tags", "categories", "genres", "hashtags")  # yt-dlp's and gallery-dl's names
HASHTAG = re.compile(r"(?<![\w&])#(\w*[^\W\d_]\w*)")  # "#dance" in a caption; not "#1" or "&#39;"
UPLOADER_KEYS = (
    "uploader",
    "channel",
    "uploader_id",
    "author",
    "fullname",
    "username",
    "uploader_name",
    "user",
    "pinner",
)
# the name in gallery-dl's dicts for a person (X's and TikTok's ``author``, Pinterest's ``pinner``):
# the display name first, as yt-dlp's ``uploader`` has it (X's ``nick``, Pinterest's ``full_name``)
PERSON_NAME_KEYS = ("nick", "full_name", "fullname", "name", "username", "uniqueId")


@dataclass(frozen=True)
class Produced:
    """A file an engine left in the job's tmp dir, with what the engine said about it."""

    path: Path
    meta: dict[str, Any]


def identity(meta: dict[str, Any], page_url: str) -> tuple[str, str | None]:
    """(platform, external_id) of an item. On generic pages the site's own id means nothing
    across sites, so the item's own URL is its identity."""
    platform = platforms.normalise(meta.get("extractor_key") or meta.get("category"))
    if platform != platforms.WEB:
        # gallery-dl's X items carry only ``tweet_id``, its Instagram items ``shortcode`` (yt-dlp's id there)
        external = meta.get("id") or meta.get("tweet_id") or meta.get("shortcode")
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
    return _site_date(meta.get("created_at"))


def _site_date(value: object) -> datetime | None:
    """A site's own date text, as gallery-dl passes some on unparsed: RFC 2822 (Pinterest's
    "Mon, 06 May 2024 07:08:09 +0000") or ISO 8601."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        found = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            found = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def source_tags(meta: dict[str, Any]) -> list[str]:
    """The site's own hashtags, categories and tags of an item, as tag names: lists from yt-dlp,
    lists or space-separated strings from gallery-dl (Danbooru's ``tags``), and the hashtags of
    the caption (TikTok and X put them only there)."""
    names: list[str] = []
    caption = " ".join(text for key in ("description", "title", "content") if isinstance(text := meta.get(key), str))
    for key in SOURCE_TAG_KEYS:
        value = meta.get(key)
        items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        for item in [*items, *(HASHTAG.findall(caption) if key == "hashtags" else [])]:
            name = " ".join(str(item).split()).lstrip("#").lower()[:128] if isinstance(item, str | int) else ""
            if name and name not in names:
                names.append(name)
    return names[:MAX_SOURCE_TAGS]


def meta_text(meta: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _uploader(meta: dict[str, Any]) -> str | None:
    for key in UPLOADER_KEYS:
        value = meta.get(key)
        person = meta_text(value, *PERSON_NAME_KEYS) if isinstance(value, dict) else meta_text(meta, key)
        if person:
            return person
    return None


def source_info(meta: dict[str, Any], page_url: str) -> SourceInfo:
    platform, external_id = identity(meta, page_url)
    uploader = _uploader(meta)
    return SourceInfo(
        url=meta_text(meta, "webpage_url") or page_url,
        platform=platform,
        external_id=external_id,
        uploader=uploader[:255] if uploader else None,
        posted_at=_posted_at(meta),
        raw_metadata=meta,
    )


@dataclass(frozen=True)
class JobGuard:
    """What publishing checks before it touches ``final/`` and before it commits: the run was not
    stopped (cancel, timeout, worker shutdown set ``stop``) and the row is still this worker's
    running attempt. Publishing runs in a thread that cannot be cancelled; it stops itself here."""

    job_id: int
    owner: jobs.Owner
    stop: threading.Event

    def check(self) -> None:
        if self.stop.is_set():
            raise JobCancelled()

    def hold(self, db: DBSession) -> None:
        """Lock the job row for the rest of the transaction, or stop if it is not ours any more."""
        self.check()
        if not jobs.hold(db, self.job_id, self.owner):
            raise JobCancelled()


@dataclass(frozen=True)
class Checked:
    """A file that passed the content check, hashed, with its thumbnail made beside it."""

    path: Path
    content: Content
    sha256: str
    size_bytes: int
    thumbnail: Path | None

    def facts(self, path: str, thumbnail_path: str | None) -> FileFacts:
        content = self.content
        return FileFacts(
            sha256=self.sha256,
            path=path,
            kind=content.kind,
            mime=content.mime,
            size_bytes=self.size_bytes,
            width=content.width,
            height=content.height,
            duration_s=content.duration_s,
            thumbnail_path=thumbnail_path,
        )


def check(path: Path, thumbnail: Path) -> Checked:
    """Decide what ``path`` is (refusing anything but media) while it is hashed; a video's
    thumbnail comes out of that same decoding, others' are made after. Nothing is published yet:
    a refused file never reaches ``final/`` or a row."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(storage.sha256_file, path)
        content = identify(path, thumbnails.still(thumbnail))
        made = content.kind == MediaKind.video and thumbnails.still(thumbnail).made()
        made = made or thumbnails.make(path, content.kind, content.info, thumbnail)
        sha256 = digest.result()
    return Checked(path, content, sha256, path.stat().st_size, thumbnail if made else None)


def index_file(final: Path, sha256: str) -> int | None:
    """The Media row (and thumbnail) of a file already in ``final/``; returns the media id, or None
    when its bytes were deleted (tombstone) or indexed meanwhile. The file takes the extension of
    its content. Raises PipelineError when it is no media at all."""
    checked = check(final, final.with_name(f".{sha256}.thumb.webp"))
    with session_scope() as db:
        media_records.lock_sha(db, sha256)
        if media_records.is_tombstoned(db, sha256) or media_records.media_by_sha(db, sha256) is not None:
            _drop(checked.thumbnail)
            return None
        relative = storage.final_name(sha256, checked.content.ext)
        os.replace(final, storage.absolute(relative))
        thumb = thumbnails.publish(checked.thumbnail, sha256) if checked.thumbnail else None
        return media_records.add_media(db, checked.facts(relative, thumb), None, None)


def _drop(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def _store(
    db: DBSession, checked: Checked, guard: JobGuard, preset: str | None, title: str | None, description: str | None
) -> tuple[int, list[Path]]:
    """The media id of these bytes, publishing them (with this title and description) unless
    already stored; also the files this transaction placed (to take back should it not commit,
    none when the bytes were stored before)."""
    media_records.lock_sha(db, checked.sha256)
    existing = media_records.media_by_sha(db, checked.sha256)
    if existing is not None:
        checked.path.unlink()
        _drop(checked.thumbnail)
        assert existing.id is not None
        return existing.id, []
    media_records.unbury(db, checked.sha256)  # a user asked for deleted bytes again: they are wanted now
    guard.check()
    relative = storage.move_into_final(checked.path, checked.sha256, checked.content.ext)
    placed = [storage.absolute(relative)]
    thumb = thumbnails.publish(checked.thumbnail, checked.sha256) if checked.thumbnail else None
    placed += [storage.absolute(thumb)] if thumb else []
    return media_records.add_media(db, checked.facts(relative, thumb), title, description, preset), placed


def publish(
    produced: Produced, *, page_url: str, folder_id: int | None, guard: JobGuard, preset: str | None = None
) -> int:
    """Store one engine output and link it to its source, job and folder; returns the media id.

    Everything about the file (content check, hash, thumbnail) happens first, in ``tmp/``; then
    one transaction holds the job row, moves the file into ``final/`` and writes the rows. A run
    stopped meanwhile stops before the move, or takes the moved file back before the commit.
    """
    limit = get_settings().max_file_bytes
    size = produced.path.stat().st_size
    if size > limit:
        produced.path.unlink()
        raise too_large(limit, f"{produced.path.name} is {size} bytes")
    guard.check()
    checked = check(produced.path, produced.path.with_name(produced.path.name + ".thumb.webp"))
    info = source_info(produced.meta, page_url)
    title, description = meta_text(produced.meta, "title"), meta_text(produced.meta, "description")
    with session_scope() as db:
        guard.hold(db)
        media_id, placed = _store(db, checked, guard, preset, title, description)
        source_id = media_records.add_source(db, info)
        media_records.link(db, media_id, job_id=guard.job_id, source_id=source_id, folder_id=folder_id)
        if not placed:  # stored before: the first source to name the bytes keeps its title
            media_records.fill_titles(db, media_id, title, description)
        media_records.tag_from_source(db, media_id, source_tags(produced.meta))
        try:
            guard.check()  # the last moment a stopped run can still leave no trace
        except JobCancelled:
            for path in placed:  # still ours alone: lock_sha holds the bytes until the rollback
                path.unlink(missing_ok=True)
            raise
    return media_id


def link_archived(media_ids: list[int], *, folder_id: int | None, guard: JobGuard) -> None:
    """Items already in the library: the job gets them without any download."""
    with session_scope() as db:
        guard.hold(db)
        for media_id in media_ids:
            media_records.link(db, media_id, job_id=guard.job_id, source_id=None, folder_id=folder_id)
