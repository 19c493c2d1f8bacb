"""Finding media: the feed's filtered, keyset-paginated listing, full-text search, and details.

Pages are keyset-paginated on (created_at, id) so the next page costs the same as the first,
however far the user has scrolled. Media are shared by every signed-in user of the server.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Boolean, exists, func, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import platforms, subscriptions
from .errors import InvalidInput, NotFound
from .models import (
    Folder,
    Media,
    MediaFolder,
    MediaKind,
    MediaSource,
    MediaTag,
    MediaTally,
    PlatformTally,
    Source,
    Tag,
    TagTally,
)

MAX_LIMIT = 100
MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column
SORTS = ("newest", "oldest")
# Up to this many links posted in a range, the feed collects them all and sorts (bounded work);
# beyond it, walking the feed's order meets matches soon enough.
FEW_POSTED = 20_000
# A search whose platform and tag are likely on fewer media than this together looks up their words
# alone in the search index and tests the search words on the rows found (``_media_conditions``).
FEW_LINKED = 5_000
_WORD = re.compile(r"[\w]+", re.UNICODE)


@dataclass(frozen=True)
class MediaFilter:
    """What the feed asks for. Every field is optional; ``before`` is an opaque cursor."""

    q: str = ""
    kind: str = ""
    platform: str = ""
    folder_id: int | None = None
    tag: str = ""
    downloaded_from: date | None = None
    downloaded_to: date | None = None
    posted_from: date | None = None
    posted_to: date | None = None
    sort: str = "newest"
    before: str = ""
    limit: int = 60

    def validated(self) -> MediaFilter:
        """Every field usable as is, or an InvalidInput naming it: a bad filter is a 400, never a 500."""
        for name in ("q", "platform", "tag", "before"):
            if "\x00" in getattr(self, name):
                raise InvalidInput(f"{name} contains a NUL character.", code="invalid_filter")
        if self.folder_id is not None and not 0 < self.folder_id <= MAX_ID:
            raise InvalidInput(f"folder_id is a number from 1 to {MAX_ID}.", code="invalid_filter")
        if self.kind and self.kind not in {k.value for k in MediaKind}:
            raise InvalidInput(f"Unknown kind '{self.kind}': use video, audio or image.", code="invalid_filter")
        if self.sort not in SORTS:
            raise InvalidInput("sort is 'newest' or 'oldest'.", code="invalid_filter")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}.", code="invalid_filter")
        return self


@dataclass(frozen=True)
class Card:
    """One feed tile: enough to draw it, nothing more (the page must stay small)."""

    id: int
    kind: str
    title: str
    platform: str
    width: int | None
    height: int | None
    duration_s: float | None
    has_thumb: bool
    created_at: str
    uploader: str = ""
    posted_at: str = ""  # the day the source posted it (ISO date), "" when unknown

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, **platforms.facts(self.platform)}


@dataclass(frozen=True)
class CardPage:
    items: list[Card]
    next_cursor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"items": [card.as_dict() for card in self.items], "next": self.next_cursor}


def encode_cursor(created_at: datetime, media_id: int) -> str:
    raw = f"{created_at.timestamp():.6f}:{media_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position ``encode_cursor`` made; anything else (tampered, truncated, out of range) is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, raw_id = raw.split(":")
        created_at, media_id = datetime.fromtimestamp(float(stamp), UTC), int(raw_id)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError) as exc:
        raise InvalidInput("The page cursor is not valid; reload the feed.", code="invalid_cursor") from exc
    if not 0 < media_id <= MAX_ID:
        raise InvalidInput("The page cursor is not valid; reload the feed.", code="invalid_cursor")
    return created_at, media_id


def tsquery(text: str) -> str | None:
    """Words as prefixes, all required: typing 'cosp' finds 'Cosplay'."""
    words = [w.lower() for w in _WORD.findall(text)][:8]
    return " & ".join(f"{w}:*" for w in words) if words else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _day_end(day: date) -> datetime:
    """The day's last microsecond (PostgreSQL's precision); the next midnight overflows on 9999-12-31."""
    return datetime.combine(day, time.max, UTC)


def _with_link_words(words: Any, filt: MediaFilter) -> Any:
    """A search also asks the index for the platform's and the tag's words: a media's platforms
    and tags are words of its search text (migration 0002's triggers), so the index intersects
    them before the exact link tests run on the few rows left. Text without words adds nothing
    (``&&`` drops an empty query)."""
    return _and_words(words, [text for text in (filt.platform, filt.tag) if text])


def _and_words(words: Any, texts: list[str]) -> Any:
    for text in texts:
        words = words.op("&&", return_type=TSQUERY)(func.plainto_tsquery("simple", text))
    return words


def _worded_links(filt: MediaFilter) -> list[str]:
    """The platform and tag filters that give the search index words to look up."""
    return [text for text in (filt.platform, filt.tag) if _WORD.search(text)]


def _media_conditions(filt: MediaFilter, linked: bool = False) -> list[Any]:
    """The filter's conditions on ``media`` columns alone. With ``linked``, the search index looks
    up the platform's and tag's words only (few media carry them, ``_few_linked``) and the search
    words are tested on those rows: a common prefix's index entries (half of 1M media for 'cosp')
    are never read."""
    where: list[Any] = []
    if filt.kind:
        where.append(Media.kind == MediaKind(filt.kind))
    if (query := tsquery(filt.q)) is not None:
        words = _with_link_words(func.to_tsquery("simple", query), filt)
        if linked:
            where.append(_link_words(filt))
            where.append(func.ts_match_vq(Media.search_vector, words, type_=Boolean))  # a call: not an index lookup
        else:
            where.append(col(Media.search_vector).op("@@")(words))
    if filt.downloaded_from:
        where.append(Media.created_at >= _day_start(filt.downloaded_from))
    if filt.downloaded_to:
        where.append(Media.created_at <= _day_end(filt.downloaded_to))
    return where


def _link_conditions(filt: MediaFilter, media_id: Any, posted: bool = True) -> list[Any]:
    """The filter's conditions on what ``media_id`` is linked to: folder, tag, platform and, unless
    ``posted`` is false (the caller joins the range's links instead), the posted-date range."""
    where: list[Any] = []
    if filt.folder_id is not None:
        where.append(exists().where(MediaFolder.media_id == media_id, MediaFolder.folder_id == filt.folder_id))
    if filt.tag:
        where.append(
            exists().where(
                MediaTag.media_id == media_id, MediaTag.tag_id == Tag.id, func.lower(Tag.name) == filt.tag.lower()
            )
        )
    source_conditions = _posted_range(filt, Source.posted_at) if posted else []
    if filt.platform:
        source_conditions.append(Source.platform == filt.platform)
    if source_conditions:
        where.append(
            exists().where(MediaSource.media_id == media_id, MediaSource.source_id == Source.id, *source_conditions)
        )
    return where


def _conditions(filt: MediaFilter) -> list[Any]:
    return [*_media_conditions(filt), *_link_conditions(filt, Media.id)]


def _link_words(filt: MediaFilter) -> Any:
    """The search index's words for the platform and tag filters (``_worded_links`` not empty)."""
    first, *more = _worded_links(filt)
    return col(Media.search_vector).op("@@")(_and_words(func.plainto_tsquery("simple", first), more))


def _few_linked(db: DBSession, filt: MediaFilter) -> bool:
    """Whether a search's worded platform and tag are likely on few media together: their tallies
    (a row each) as fractions of the library, multiplied as if independent, as the planner would."""
    if tsquery(filt.q) is None or not (worded := _worded_links(filt)):
        return False
    library = max(int(db.exec(select(func.coalesce(func.sum(MediaTally.n), 0))).one()), 1)
    counts = []
    if filt.platform in worded:
        counts.append(select(func.sum(PlatformTally.n)).where(PlatformTally.platform == filt.platform))
    if filt.tag in worded:
        tagged = select(func.sum(TagTally.n)).join(Tag, col(Tag.id) == col(TagTally.tag_id))
        counts.append(tagged.where(func.lower(Tag.name) == filt.tag.lower()))
    expected = float(library)
    for count in counts:
        expected *= min(1.0, int(db.exec(count).one() or 0) / library)
    return expected < FEW_LINKED


@dataclass(frozen=True)
class Origin:
    """What a card says about where a media came from: its first source."""

    platform: str = ""
    uploader: str = ""
    posted_at: str = ""


def _origins(db: DBSession, media_ids: list[int]) -> dict[int, Origin]:
    """The first source of each media (one query for the whole page)."""
    if not media_ids:
        return {}
    rows = db.exec(
        select(MediaSource.media_id, Source.platform, Source.uploader, Source.posted_at)
        .join(Source, col(Source.id) == col(MediaSource.source_id))
        .where(col(MediaSource.media_id).in_(media_ids))
        .order_by(col(MediaSource.media_id), col(Source.id))
    ).all()
    found: dict[int, Origin] = {}
    for media_id, platform, uploader, posted_at in rows:
        found.setdefault(media_id, Origin(platform, uploader or "", posted_at.date().isoformat() if posted_at else ""))
    return found


def _posted_range(filt: MediaFilter, posted_at: Any) -> list[Any]:
    where = []
    if filt.posted_from:
        where.append(posted_at >= _day_start(filt.posted_from))
    if filt.posted_to:
        where.append(posted_at <= _day_end(filt.posted_to))
    return where


def _few_posted(db: DBSession, filt: MediaFilter) -> bool:
    """Whether the posted-date range holds few links: counted on their posted_at index, up to
    ``FEW_POSTED`` entries whatever the range."""
    if not (where := _posted_range(filt, MediaSource.posted_at)):
        return False
    probe = select(MediaSource.media_id).where(*where).limit(FEW_POSTED).subquery()
    return db.exec(select(func.count()).select_from(probe)).one() < FEW_POSTED


def _posted_links(filt: MediaFilter, after: tuple[datetime, int] | None) -> Any:
    """The media posted in the range, in the feed's order of their download dates (past the
    cursor ``after``): read from the links' index on (posted_at, media_created_at, media_id)
    alone, so the join to ``media`` can stop at the page's last card."""
    key = (col(MediaSource.media_created_at), col(MediaSource.media_id))
    query = select(*key).where(*_posted_range(filt, MediaSource.posted_at)).distinct()
    if after is not None:
        query = query.where(_past(key, after, filt.sort == "newest"))
    return query.order_by(*_ordered(key, filt.sort == "newest")).subquery()


def _past(key: tuple[Any, ...], after: tuple[datetime, int], newest: bool) -> Any:
    """Past the cursor ``after`` in the feed's order."""
    return tuple_(*key) < tuple_(*after) if newest else tuple_(*key) > tuple_(*after)


def _ordered(key: tuple[Any, ...], newest: bool) -> tuple[Any, ...]:
    return tuple(column.desc() for column in key) if newest else key


def list_media(db: DBSession, filt: MediaFilter) -> CardPage:
    filt = filt.validated()
    newest = filt.sort == "newest"
    columns = (
        Media.id,
        Media.kind,
        Media.title,
        Media.width,
        Media.height,
        Media.duration_s,
        Media.thumbnail_path,
        Media.created_at,
    )
    after = decode_cursor(filt.before) if filt.before else None
    if _few_posted(db, filt):
        # Walking the feed's order would test the range row by row for most of the library when
        # the matches sit at the far end: the range's few links are read from their index, sorted
        # by the download date they carry, and joined to their media in that order.
        links = _posted_links(filt, after)
        query = (
            select(*columns)
            .join(links, links.c.media_id == Media.id)
            .where(*_media_conditions(filt), *_link_conditions(filt, Media.id, posted=False))
        )
        order_key = (links.c.media_created_at, links.c.media_id)
    else:
        linked = _few_linked(db, filt)
        query = select(*columns).where(*_media_conditions(filt, linked))
        order_key = (col(Media.created_at), col(Media.id))
        if after is not None:
            query = query.where(_past(order_key, after, newest))
        if linked:
            # The few candidates in the feed's order first, behind a fence (a subquery's ORDER BY):
            # the link tests then run on the page's rows only, not on every candidate.
            candidates = query.order_by(*_ordered(order_key, newest)).subquery()
            query = select(*candidates.c).where(*_link_conditions(filt, candidates.c.id))
            order_key = (candidates.c.created_at, candidates.c.id)
        else:
            query = query.where(*_link_conditions(filt, Media.id))
    rows = db.exec(query.order_by(*_ordered(order_key, newest)).limit(filt.limit + 1)).all()
    more = len(rows) > filt.limit
    rows = rows[: filt.limit]
    origins = _origins(db, [row.id for row in rows])
    items = [
        Card(
            id=row.id,
            kind=row.kind.value,
            title=row.title or "Untitled",
            platform=(origin := origins.get(row.id, Origin())).platform,
            uploader=origin.uploader,
            posted_at=origin.posted_at,
            width=row.width,
            height=row.height,
            duration_s=row.duration_s,
            has_thumb=bool(row.thumbnail_path),
            created_at=row.created_at.isoformat(),
        )
        for row in rows
    ]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return CardPage(items, cursor)


def neighbour(db: DBSession, filt: MediaFilter, media_id: int, forward: bool) -> int | None:
    """The next (or previous) media in the feed's order with the same filters, for the viewer."""
    media = db.get(Media, media_id)
    if media is None:
        return None
    newest = filt.sort == "newest"
    key, here = tuple_(Media.created_at, Media.id), tuple_(media.created_at, media.id)
    later_in_feed = forward == newest
    query = select(Media.id).where(*_conditions(filt), key < here if later_in_feed else key > here)
    order = (col(Media.created_at).desc(), col(Media.id).desc()) if later_in_feed else (Media.created_at, Media.id)
    return db.exec(query.order_by(*order).limit(1)).first()


@dataclass
class MediaDetail:
    id: int
    kind: str
    mime: str
    title: str
    description: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_s: float | None
    created_at: str
    has_thumb: bool
    file_name: str
    uploader: str = ""  # the first source that names one
    posted_at: str = ""  # the first source's posting day that is known (ISO date)
    sources: list[dict[str, str]] = field(default_factory=list)
    folders: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source_tags: list[str] = field(default_factory=list)  # the subset the site gave (docs/ARCHITECTURE.md §3)
    # the followed sources (subscriptions) whose checks queued this media's downloads
    followed_from: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def detail(db: DBSession, media_id: int) -> MediaDetail:
    media = db.get(Media, media_id)
    if media is None:
        raise NotFound(f"No media with id {media_id}.")
    assert media.id is not None
    sources = db.exec(
        select(Source)
        .join(MediaSource, col(MediaSource.source_id) == col(Source.id))
        .where(MediaSource.media_id == media.id)
        .order_by(col(Source.id))
    ).all()
    folders = db.exec(
        select(Folder)
        .join(MediaFolder, col(MediaFolder.folder_id) == col(Folder.id))
        .where(MediaFolder.media_id == media.id)
        .order_by(Folder.name)
    ).all()
    tag_rows = db.exec(
        select(Tag.name, MediaTag.from_source)
        .join(MediaTag, col(MediaTag.tag_id) == col(Tag.id))
        .where(MediaTag.media_id == media.id)
    ).all()
    tags = [name for name, _ in tag_rows]
    title = media.title or "Untitled"
    return MediaDetail(
        id=media.id,
        kind=media.kind.value,
        mime=media.mime,
        title=title,
        description=media.description or "",
        size_bytes=media.size_bytes,
        width=media.width,
        height=media.height,
        duration_s=media.duration_s,
        created_at=media.created_at.isoformat(),
        has_thumb=bool(media.thumbnail_path),
        file_name=download_name(title, media.path),
        uploader=next((s.uploader for s in sources if s.uploader), ""),
        posted_at=next((s.posted_at.date().isoformat() for s in sources if s.posted_at), ""),
        sources=[
            {
                "url": s.url,
                "platform": s.platform,
                **platforms.facts(s.platform),
                "uploader": s.uploader or "",
                "posted_at": s.posted_at.date().isoformat() if s.posted_at else "",
            }
            for s in sources
        ],
        folders=[{"id": f.id, "name": f.name} for f in folders],
        tags=sorted(tags, key=str.lower),
        source_tags=sorted((name for name, from_source in tag_rows if from_source), key=str.lower),
        followed_from=[{"id": sub_id, "name": name} for sub_id, name in subscriptions.names_of_media(db, media.id)],
    )


def download_name(title: str, path: str) -> str:
    """A file name for "download original": the title, safe for any filesystem, with the real extension."""
    stem = re.sub(r"[^\w\- .]+", "", title).strip()[:80] or "media"
    return f"{stem}.{path.rsplit('.', 1)[-1]}"


def platform_options(db: DBSession) -> list[dict[str, str]]:
    """The platforms in the library, for the filter: value, label and icon of each. Read from
    their tally (a distinct over every source is a full scan)."""
    names = db.exec(
        select(PlatformTally.platform).where(PlatformTally.n > 0).order_by(PlatformTally.platform)
    ).all()
    return [{"value": name, **platforms.facts(name)} for name in names]


def usage_by_kind(db: DBSession) -> dict[str, dict[str, int]]:
    """Media and bytes per kind, from their tally (a sum over every media is a full scan)."""
    rows = db.exec(select(MediaTally.kind, MediaTally.n, MediaTally.bytes).where(MediaTally.n > 0))
    return {kind.value: {"count": int(count), "bytes": int(size)} for kind, count, size in rows}
