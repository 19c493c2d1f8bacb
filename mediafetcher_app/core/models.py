"""The data model of docs/ARCHITECTURE.md §3 as SQLModel tables. Alembic migrations are generated from it."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.sql.expression import false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


# Default factories are Python functions, not the builtins ``list`` and ``dict``: pydantic reads a
# factory's signature on every instance, and a builtin's costs about 0.1 ms to parse (a third of
# building a DownloadJob on the submit path; bench/INTAKE_RESULTS.md).
def _empty_list() -> list[Any]:
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


def _ts(nullable: bool = True, **kw: Any) -> Any:
    """A timezone-aware timestamp column."""
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, **kw)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def _fk(target: str, nullable: bool = True, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class Role(enum.StrEnum):
    admin = "admin"
    user = "user"


class MediaKind(enum.StrEnum):
    video = "video"
    audio = "audio"
    image = "image"


class JobStatus(enum.StrEnum):
    queued = "queued"
    probing = "probing"
    downloading = "downloading"
    processing = "processing"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


ACTIVE_STATUSES = frozenset({JobStatus.queued, JobStatus.probing, JobStatus.downloading, JobStatus.processing})
FINAL_STATUSES = frozenset({JobStatus.done, JobStatus.failed, JobStatus.cancelled})


def _enum(enum_cls: type[enum.Enum], name: str) -> Any:
    return Enum(enum_cls, name=name, native_enum=False, length=16, validate_strings=True)


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: Role = Field(default=Role.user, sa_type=_enum(Role, "user_role"), nullable=False)
    disabled: bool = Field(default=False, nullable=False)
    created_at: datetime = _created()
    # the download choice a new job or source starts with (core/presets.py), set in Settings
    default_preset: str = Field(
        default="compatible", sa_column=Column(String(16), nullable=False, server_default="compatible")
    )


class Session(SQLModel, table=True):
    """A browser sign-in. Only the token's SHA-256 is stored, so a database leak signs nobody in."""

    __tablename__ = "session"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int | None = _fk("user.id", nullable=False)
    created_at: datetime = _created()
    last_seen: datetime | None = _ts()
    expires_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts()
    user_agent: str | None = Field(default=None, sa_type=String(255))


class ApiToken(SQLModel, table=True):
    """A scoped bearer token for the extension and scripts; shown once, stored hashed."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    prefix: str = Field(sa_type=String(16), nullable=False)
    user_id: int | None = _fk("user.id", nullable=False)
    label: str = Field(default="", sa_type=String(128), nullable=False)
    scopes: list[str] = Field(default_factory=_empty_list, sa_column=Column(ARRAY(String(32)), nullable=False))
    created_at: datetime = _created()
    last_used: datetime | None = _ts()
    revoked_at: datetime | None = _ts()


class PairingStatus(enum.StrEnum):
    approved = "approved"
    denied = "denied"
    claimed = "claimed"


class PairingRequest(SQLModel, table=True):
    """A signed-in user's answer to a browser extension's pairing request (see core/pairing.py).

    ``challenge`` is the SHA-256 of a secret only the extension holds; the token is minted when
    the extension proves it knows the secret, so neither this row nor the pairing URL holds one.
    """

    __tablename__ = "pairing_request"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    challenge: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(sa_type=String(64), nullable=False)
    user_id: int | None = _fk("user.id", nullable=False)
    status: PairingStatus = Field(sa_type=_enum(PairingStatus, "pairing_status"), nullable=False)
    created_at: datetime = _created()
    expires_at: datetime = _ts(nullable=False)


class LoginFailure(SQLModel, table=True):
    """Failed sign-ins, counted per username and per address to rate-limit guessing."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_at", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    username: str = Field(sa_type=String(64), nullable=False, index=True)
    address: str = Field(default="", sa_type=String(64), nullable=False, index=True)
    at: datetime = _created()


SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', search_extra), 'B') || "
    "setweight(to_tsvector('simple', coalesce(description, '')), 'C')"
)


class Media(SQLModel, table=True):
    """One row per unique file: the bytes, never where they came from (see Source)."""

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_search", "search_vector", postgresql_using="gin"),
        Index("ix_media_created_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    sha256: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    path: str = Field(sa_type=String(255), nullable=False)
    kind: MediaKind = Field(sa_type=_enum(MediaKind, "media_kind"), nullable=False, index=True)
    mime: str = Field(sa_type=String(127), nullable=False)
    size_bytes: int = Field(sa_type=BigInteger, nullable=False)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    title: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    thumbnail_path: str | None = Field(default=None, sa_type=String(255))
    created_at: datetime = _created()
    # the download choice these bytes were made with (null: before choices existed, "compatible")
    preset: str | None = Field(default=None, sa_type=String(16))
    # Tags, uploaders, platforms and source URLs, kept current by database triggers (migration
    # 0002) so search sees them whichever code path links a tag or a source.
    search_extra: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    search_vector: str | None = Field(
        default=None, sa_column=Column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))
    )


class Source(SQLModel, table=True):
    """Where bytes came from: the same file posted twice keeps one Media and two Sources."""

    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_source_platform_external_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    url: str = Field(sa_type=Text, nullable=False)
    platform: str = Field(sa_type=String(64), nullable=False, index=True)
    external_id: str | None = Field(default=None, sa_type=String(255))
    uploader: str | None = Field(default=None, sa_type=String(255))
    posted_at: datetime | None = _ts()
    raw_metadata: dict[str, Any] = Field(default_factory=_empty_dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _created()


class MediaSource(SQLModel, table=True):
    """A media's source. Triggers copy the source's posted date and the media's download date onto
    the link (migration 0012), so the feed's posted-date range reads one index (catalog._posted_links)."""

    __tablename__ = "media_source"
    __table_args__ = (Index("ix_media_source_posted", "posted_at", "media_created_at", "media_id"),)

    media_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True)
    )
    source_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("source.id", ondelete="CASCADE"), primary_key=True, index=True),
    )
    posted_at: datetime | None = _ts()  # written by triggers only
    media_created_at: datetime | None = _ts()


class DownloadJob(SQLModel, table=True):
    """A requested download. Written before the Arq job is enqueued: PostgreSQL is the truth."""

    __tablename__ = "download_job"
    __table_args__ = (
        Index("ix_download_job_status", "status"),
        Index("ix_download_job_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    url: str = Field(sa_type=Text, nullable=False)
    requested_by: int | None = _fk("user.id", ondelete="SET NULL")
    folder_id: int | None = _fk("folder.id", ondelete="SET NULL", index=False)
    # the requester wants the sound only: yt-dlp makes MP3 even when the source is a video
    audio_only: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # the download choice (core/presets.py); "audio" goes with audio_only
    preset: str = Field(default="compatible", sa_column=Column(String(16), nullable=False, server_default="compatible"))
    status: JobStatus = Field(default=JobStatus.queued, sa_type=_enum(JobStatus, "job_status"), nullable=False)
    engine: str | None = Field(default=None, sa_type=String(32))
    attempts: int = Field(default=0, nullable=False)
    arq_job_id: str | None = Field(default=None, sa_type=String(64))
    stage: str | None = Field(default=None, sa_type=String(64))
    progress_bytes: int | None = Field(default=None, sa_type=BigInteger)
    progress_total: int | None = Field(default=None, sa_type=BigInteger)
    speed_bps: float | None = None
    eta_s: float | None = None
    error_message: str | None = Field(default=None, sa_type=Text)
    error_detail: str | None = Field(default=None, sa_type=Text)
    # the app page where the user fixes the failure (Connections, Engines), linked beside the sentence
    error_action: str | None = Field(default=None, sa_type=String(64))
    attempt_log: list[dict[str, Any]] = Field(default_factory=_empty_list, sa_column=Column(JSONB, nullable=False))
    worker_id: str | None = Field(default=None, sa_type=String(128))
    # a playlist or channel pasted as a one-off: take its first N items only (null: all of them)
    max_items: int | None = None
    # the subscription that queued it (null for a pasted link, or once the subscription is deleted)
    subscription_id: int | None = _fk("subscription.id", ondelete="SET NULL")
    # the batch it was queued in (many links at once, or one source check), for the dashboard's progress
    batch_id: int | None = _fk("download_batch.id", ondelete="SET NULL")
    created_at: datetime = _created()
    started_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    updated_at: datetime = _created()


class JobMedia(SQLModel, table=True):
    __tablename__ = "job_media"

    job_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("download_job.id", ondelete="CASCADE"), primary_key=True)
    )
    media_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True, index=True),
    )


class Folder(SQLModel, table=True):
    """A virtual folder: media are linked, never copied."""

    __tablename__ = "folder"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_folder_parent_name", postgresql_nulls_not_distinct=True),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    name: str = Field(sa_type=String(255), nullable=False)
    parent_id: int | None = _fk("folder.id")
    created_at: datetime = _created()
    # who made it: renaming, moving or deleting someone else's folder needs an admin
    created_by: int | None = _fk("user.id", ondelete="SET NULL", index=False)


class MediaFolder(SQLModel, table=True):
    __tablename__ = "media_folder"

    media_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True)
    )
    folder_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("folder.id", ondelete="CASCADE"), primary_key=True, index=True),
    )
    added_at: datetime = _created()


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    name: str = Field(sa_column=Column(String(128), unique=True, nullable=False))
    # who made it: renaming or deleting someone else's tag needs an admin
    created_by: int | None = _fk("user.id", ondelete="SET NULL", index=False)


class MediaTag(SQLModel, table=True):
    __tablename__ = "media_tag"

    media_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
    )
    # the site gave it (a hashtag, category or tag in the extractor's metadata), not a user
    from_source: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false")))


class CookieJar(SQLModel, table=True):
    """One user's cookies for one site, AES-GCM encrypted: the database alone reveals no cookie.

    A job uses its submitter's jar; ``shared`` (set by an admin on their own jar) lets everyone
    without a jar of their own for that site use it. At most one shared jar per site.
    """

    __tablename__ = "cookie_jar"
    __table_args__ = (
        UniqueConstraint("owner_id", "domain", name="uq_cookie_jar_owner_domain"),
        Index("uq_cookie_jar_shared_domain", "domain", unique=True, postgresql_where=text("shared")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    owner_id: int | None = _fk("user.id", nullable=False, index=False)
    domain: str = Field(sa_type=String(255), nullable=False)
    shared: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    cookie_count: int = Field(default=0, nullable=False)
    earliest_expiry: datetime | None = _ts()
    last_sync: datetime | None = _ts()
    last_validation: datetime | None = _ts()
    last_validation_ok: bool | None = None


class Event(SQLModel, table=True):
    """The dashboard's history, newest first."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    at: datetime = _created()
    kind: str = Field(sa_type=String(32), nullable=False)
    message: str = Field(sa_type=Text, nullable=False)
    user_id: int | None = _fk("user.id", ondelete="SET NULL", index=False)
    job_id: int | None = _fk("download_job.id", ondelete="SET NULL", index=False)
    media_id: int | None = _fk("media.id", ondelete="SET NULL", index=False)


class WorkerHeartbeat(SQLModel, table=True):
    """Each worker process stamps its row; the dashboard and crash recovery read the age."""

    __tablename__ = "worker_heartbeat"

    worker_id: str = Field(sa_type=String(128), primary_key=True)
    hostname: str = Field(sa_type=String(255), nullable=False)
    pid: int = Field(nullable=False)
    started_at: datetime = _created()
    seen_at: datetime = _created()


class MediaTombstone(SQLModel, table=True):
    """The hash of a deleted media: recovery never re-indexes those bytes from ``final/`` and its
    sweep removes any file of theirs a failed deletion left behind. A user's later download of the
    same bytes stores them again and removes the tombstone (worker/finalise.py)."""

    __tablename__ = "media_tombstone"

    sha256: str = Field(sa_type=String(64), primary_key=True)
    deleted_at: datetime = _created()
    deleted_by: int | None = _fk("user.id", ondelete="SET NULL", index=False)


class Subscription(SQLModel, table=True):
    """A followed channel, playlist, profile, board or feed: the worker lists it on schedule and
    queues what it has not seen (core/subscriptions.py). Called a "source" in the UI and the API;
    the ``source`` table is where one media came from."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_due", "next_check_at", postgresql_where=text("NOT paused")),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    owner_id: int | None = _fk("user.id", nullable=False)
    url: str = Field(sa_type=Text, nullable=False)
    name: str = Field(default="", sa_type=String(255), nullable=False)
    kind: str = Field(default="video", sa_type=String(16), nullable=False)  # what to keep: video, audio or image
    preset: str = Field(default="compatible", sa_column=Column(String(16), nullable=False, server_default="compatible"))
    folder_id: int | None = _fk("folder.id", ondelete="SET NULL", index=False)
    interval_minutes: int = Field(nullable=False)
    backfill: int = Field(default=0, nullable=False)  # the first check queues the N newest; 0: from now on
    paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    primed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    created_at: datetime = _created()
    next_check_at: datetime = _created()
    checking_since: datetime | None = _ts()  # a check holds the source: no second one starts meanwhile
    last_checked_at: datetime | None = _ts()
    last_found: int | None = None
    last_new_items: int | None = None
    last_skipped: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    failures: int = Field(default=0, nullable=False)  # checks failed in a row: the backoff grows with it


class SubscriptionItem(SQLModel, table=True):
    """An item a subscription has listed once: later checks queue only items not seen before."""

    __tablename__ = "subscription_item"

    subscription_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True),
    )
    url: str = Field(sa_column=Column(Text, primary_key=True))
    seen_at: datetime = _created()


class SubscriptionCheck(SQLModel, table=True):
    """One check of a subscription: when, what it found, queued and skipped, or why it failed."""

    __tablename__ = "subscription_check"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    subscription_id: int | None = _fk("subscription.id", nullable=False)
    started_at: datetime = _created()
    finished_at: datetime | None = _ts()
    found: int = Field(default=0, nullable=False)
    queued: int = Field(default=0, nullable=False)
    skipped: int = Field(default=0, nullable=False)
    error: str | None = Field(default=None, sa_type=Text)


class DownloadBatch(SQLModel, table=True):
    """Links queued together (a paste of many, or the new items of one source check): the
    dashboard shows their progress as one, with what was found, queued and skipped."""

    __tablename__ = "download_batch"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    owner_id: int | None = _fk("user.id", nullable=False)
    label: str = Field(sa_type=String(255), nullable=False)
    created_at: datetime = _created()
    found: int = Field(default=0, nullable=False)
    queued: int = Field(default=0, nullable=False)
    skipped: int = Field(default=0, nullable=False)  # refused, already archived or already queued


# --- Tallies (migration 0009): figures the feed and the dashboard show on every load, kept equal to
# a full count by statement-level triggers, so reading them costs a few rows at any library size.
# No foreign keys: a cascade may delete the counted row and its links in either order; readers join.


class JobTally(SQLModel, table=True):
    """How many jobs each user (0: nobody, the user was deleted) has in each status: the sum of
    the slots."""

    __tablename__ = "job_tally"

    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    status: JobStatus = Field(sa_type=_enum(JobStatus, "job_status"), primary_key=True)
    slot: int = Field(primary_key=True)  # the adding connection's: concurrent submits lock different rows
    n: int = Field(default=0, sa_type=BigInteger, nullable=False)


class MediaTally(SQLModel, table=True):
    """Media and their bytes per kind (Settings > Storage)."""

    __tablename__ = "media_tally"

    kind: MediaKind = Field(sa_type=_enum(MediaKind, "media_kind"), primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger, nullable=False)
    bytes: int = Field(default=0, sa_type=BigInteger, nullable=False)


class PlatformTally(SQLModel, table=True):
    """Sources per platform: the feed's platform list is the platforms with any."""

    __tablename__ = "platform_tally"

    platform: str = Field(sa_type=String(64), primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger, nullable=False)


class FolderTally(SQLModel, table=True):
    """Media linked directly into each folder."""

    __tablename__ = "folder_tally"

    folder_id: int = Field(sa_type=BigInteger, primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger, nullable=False)


class TagTally(SQLModel, table=True):
    """Media carrying each tag."""

    __tablename__ = "tag_tally"

    tag_id: int = Field(sa_type=BigInteger, primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger, nullable=False)
