"""The JSON bodies and answers of /api/v1: one pydantic type each validates or shapes the JSON
and gives the OpenAPI document its schema (routing.py). Answers made by the core's own dataclasses
(FolderNode, MediaDetail, JobView, ...) are documented from those dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mediafetcher_app.core import folders_tags, jobs, media_queries, presets, subscriptions
from mediafetcher_app.core.accounts import UserSummary
from mediafetcher_app.core.auth import Scope
from mediafetcher_app.core.media_queries import MAX_ID

MAX_BULK = 1000  # media ids in one bulk action: a whole feed page many times over

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
MediaIds = Annotated[list[Id], Field(min_length=1, max_length=MAX_BULK)]
Name = Annotated[str, Field(max_length=200, description="Spaces are tidied; at most 128 characters remain.")]
RoleName = Literal["user", "admin"]
ScopeName = Literal[Scope.ALL]  # type: ignore[valid-type]


PresetName = Literal[presets.PRESETS]  # type: ignore[valid-type]
PRESET_HELP = "compatible: H.264/AAC MP4 up to 1080p; 720p; best: the best available as MP4; audio: MP3 192k."


class Body(BaseModel):
    """A request body: JSON types as they are (no "1" for 1) and no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Answer(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- bodies ---------------------------------------------------------------------------------


class DownloadCreate(Body):
    url: str
    folder_id: Id | None = None
    audio: bool = False
    max_items: int | None = Field(
        default=None, ge=1, le=jobs.MAX_BATCH, description="A playlist or channel: take its first N items only."
    )
    preset: PresetName | None = Field(default=None, description=PRESET_HELP + " Left out: your default.")


SourceKind = Literal["video", "audio", "image"]
Interval = Annotated[int, Field(ge=subscriptions.MIN_INTERVAL, le=subscriptions.MAX_INTERVAL)]
Backfill = Annotated[int, Field(ge=0, le=subscriptions.MAX_BACKFILL)]


class SourceCreate(Body):
    """Follow a channel, playlist, profile, board or RSS/Atom feed."""

    url: str
    interval_minutes: Interval = 60
    folder_id: Id | None = None
    kind: SourceKind = Field(default="video", description="What to keep: video, audio (MP3) or images.")
    backfill: Backfill = Field(default=0, description="The first check takes the N newest items; 0: from now on.")
    name: str = Field(default="", max_length=255)
    preset: PresetName | None = Field(default=None, description=PRESET_HELP + " Left out: your default.")


class SourceEdit(Body):
    """The settings to change; those left out stay. ``folder_id`` null files new items nowhere."""

    name: str | None = Field(default=None, max_length=255)
    interval_minutes: Interval | None = None
    folder_id: Id | None = None
    kind: SourceKind | None = None
    preset: PresetName | None = Field(default=None, description=PRESET_HELP)
    backfill: Backfill | None = None
    paused: bool | None = None


class DownloadBatch(Body):
    """Many links at once (a paste, a .txt file, every media a page showed the extension)."""

    urls: list[Any] = Field(
        min_length=1, max_length=jobs.MAX_BATCH, description="One link each; any value is answered."
    )
    folder_id: Id | None = None
    audio: bool = False
    preset: PresetName | None = Field(default=None, description=PRESET_HELP + " Left out: your default.")


class MediaEdit(Body):
    """New title and/or tags; ``tags`` is the whole list (tags left out are taken off)."""

    title: str | None = Field(default=None, max_length=folders_tags.MAX_TITLE * 2)
    tags: list[Name] | None = Field(default=None, max_length=100)


class FolderCreate(Body):
    name: Name
    parent_id: Id | None = None


class FolderEdit(Body):
    """Rename and/or move: ``parent_id`` null moves to the top level, left out keeps the place."""

    name: Name | None = None
    parent_id: Id | None = None


class MediaList(Body):
    media_ids: MediaIds


class TagMedia(Body):
    """Tag media with ``name`` (a new tag is created; no ``media_ids`` just creates it)."""

    name: Name
    media_ids: list[Id] = Field(default_factory=list, max_length=MAX_BULK)


class TagRename(Body):
    name: Name


class UserCreate(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: RoleName = "user"


class UserEdit(Body):
    role: RoleName | None = None
    disabled: bool | None = None


class TokenCreate(Body):
    label: str = Field(default="API token", max_length=128)
    scopes: list[ScopeName] = Field(
        default_factory=lambda: list(Scope.DEFAULT),
        max_length=len(Scope.ALL),
        description=f"Left out: {', '.join(Scope.DEFAULT)}.",
    )


class PairClaim(Body):
    code: str


# --- answers --------------------------------------------------------------------------------


class Error(Answer):
    error: dict[str, str] = Field(description='{"code": stable for programs, "message": a sentence for people}')


class Ping(Answer):
    ok: bool
    version: str
    user: dict[str, Any]


class Queued(Answer):
    job_id: int
    status: str


class BatchQueued(Answer):
    results: list[jobs.BatchLine] = Field(description="One per link, in order: its job_id, or the error sentence.")
    queued: int
    refused: int


class Created(Answer):
    id: int


class SourceList(Answer):
    items: list[subscriptions.SubscriptionView]


class MediaPage(Answer):
    items: list[media_queries.Card]
    next: str | None = Field(description="Pass as `before` for the next page; null on the last one.")


class FolderTree(Answer):
    folders: list[folders_tags.FolderNode]


class FolderChange(Answer):
    folder: folders_tags.FolderNode
    changed: int = Field(description="How many media were added (or removed); those already so are not counted.")


class TagList(Answer):
    tags: list[folders_tags.TagSummary]


class TagChange(Answer):
    tag: folders_tags.TagSummary
    changed: int = Field(description="How many media got (or lost) the tag.")


class UserList(Answer):
    users: list[UserSummary]


class TokenInfo(Answer):
    id: int
    label: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    scopes: list[str]
    created_at: datetime
    last_used: datetime | None
    revoked_at: datetime | None


class TokenList(Answer):
    tokens: list[TokenInfo]


class NewToken(TokenInfo):
    token: str = Field(description="The token itself: shown this once, only its digest is kept.")


class EventInfo(Answer):
    id: int
    at: datetime
    kind: str
    message: str
    job_id: int | None
    media_id: int | None


class EventList(Answer):
    events: list[EventInfo]


class CookieCounts(Answer):
    domains: dict[str, int]
    total: int


class CheckQueued(Answer):
    queued: bool


class PairState(Answer):
    status: str
    token: str | None = None
    username: str | None = None
    role: str | None = None
    scopes: list[str] | None = None
