"""Subscriptions ("sources"): channels, playlists and feeds the worker lists on schedule.

A check is claimed on the row first (``begin_check``: one atomic UPDATE, so two workers never
check one source at once), the worker lists the source without downloading, and ``finish_check``
queues the items this source never listed before and the library does not hold yet. A failed
check records its sentence and backs off; it never holds up another source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import batches, events, jobs, media_records, presets
from .auth import Principal, Scope
from .egress_policy import EgressRefused
from .errors import Conflict, InvalidInput, NotFound
from .models import (
    ACTIVE_STATUSES,
    DownloadJob,
    Folder,
    JobMedia,
    Media,
    MediaSource,
    Source,
    Subscription,
    SubscriptionCheck,
    SubscriptionItem,
    utcnow,
)
from .urls import check_destination, validate_url

KINDS = ("video", "audio", "image")
MIN_INTERVAL, MAX_INTERVAL = 5, 30 * 24 * 60  # minutes
MAX_BACKFILL = 500
MAX_BACKOFF = timedelta(days=1)
STALE_CHECK = timedelta(minutes=15)  # a check held this long lost its worker: another may start


@dataclass(frozen=True)
class SubscriptionView:
    """What clients see of a subscription (API and UI)."""

    id: int
    url: str
    name: str
    kind: str
    preset: str
    folder_id: int | None
    interval_minutes: int
    backfill: int
    paused: bool
    status: str  # paused, checking, failing, waiting (never checked) or ok
    created_at: str
    last_checked_at: str | None
    next_check_at: str | None
    last_found: int | None
    last_new_items: int | None
    last_skipped: int | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Listed:
    """One item of a flat listing: enough to know it without downloading it."""

    url: str
    platform: str | None = None
    external_id: str | None = None
    title: str | None = None
    posted_at: float | None = None  # POSIX seconds, when the listing says


@dataclass(frozen=True)
class CheckResult:
    found: int
    queued: int
    skipped: int
    job_ids: list[int]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def status_of(sub: Subscription) -> str:
    if sub.paused:
        return "paused"
    if sub.checking_since is not None:
        return "checking"
    if sub.last_error:
        return "failing"
    return "ok" if sub.last_checked_at else "waiting"


def view(sub: Subscription) -> SubscriptionView:
    assert sub.id is not None
    return SubscriptionView(
        id=sub.id,
        url=sub.url,
        name=sub.name or sub.url,
        kind=sub.kind,
        preset=sub.preset,
        folder_id=sub.folder_id,
        interval_minutes=sub.interval_minutes,
        backfill=sub.backfill,
        paused=sub.paused,
        status=status_of(sub),
        created_at=sub.created_at.isoformat(),
        last_checked_at=_iso(sub.last_checked_at),
        next_check_at=None if sub.paused else _iso(sub.next_check_at),
        last_found=sub.last_found,
        last_new_items=sub.last_new_items,
        last_skipped=sub.last_skipped,
        last_error=sub.last_error,
    )


# --- what a user does -----------------------------------------------------------------------


def _check_settings(db: DBSession, values: dict[str, Any]) -> None:
    """Refuse a setting out of range with a sentence naming it."""
    interval = values.get("interval_minutes")
    if interval is not None and not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise InvalidInput(
            f"The check interval must be from {MIN_INTERVAL} minutes to {MAX_INTERVAL // 1440} days.",
            code="invalid_interval",
        )
    backfill = values.get("backfill")
    if backfill is not None and not 0 <= backfill <= MAX_BACKFILL:
        raise InvalidInput(f"Backfill takes from 0 to {MAX_BACKFILL} items.", code="invalid_backfill")
    kind = values.get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"What to keep must be one of {', '.join(KINDS)}.", code="invalid_kind")
    if values.get("preset") is not None:
        presets.checked(values["preset"])
    folder_id = values.get("folder_id")
    if folder_id is not None and db.get(Folder, folder_id) is None:
        raise InvalidInput(f"There is no folder with id {folder_id}.", code="invalid_folder")


def create(
    db: DBSession,
    principal: Principal,
    raw_url: object,
    interval_minutes: int = 60,
    folder_id: int | None = None,
    kind: str = "video",
    backfill: int = 0,
    name: str = "",
    preset: str | None = None,
) -> Subscription:
    """Follow a URL; the first check runs as soon as a worker sees it is due (now)."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    url = validate_url(raw_url)
    try:
        check_destination(url)
    except EgressRefused as exc:
        raise InvalidInput(exc.message, code="blocked_url") from exc
    values = {
        "interval_minutes": interval_minutes,
        "folder_id": folder_id,
        "kind": kind,
        "backfill": backfill,
        "preset": jobs.chosen_preset(db, principal, preset),
    }
    _check_settings(db, values)
    known = select(Subscription.id).where(Subscription.owner_id == principal.user_id, Subscription.url == url)
    if db.exec(known).first() is not None:
        raise Conflict("You already follow this link.", code="duplicate_source")
    sub = Subscription(owner_id=principal.user_id, url=url, name=name.strip()[:255], **values)
    db.add(sub)
    db.flush()
    events.record(db, "source added", f"Following {url}", user_id=principal.user_id)
    return sub


def get(db: DBSession, principal: Principal, sub_id: int) -> Subscription:
    """A subscription its owner (or an admin) may see; others get NotFound, not a hint it exists."""
    principal.require_scope(Scope.DOWNLOADS_READ)
    sub = db.get(Subscription, sub_id)
    if sub is None or (sub.owner_id != principal.user_id and not principal.is_admin):
        raise NotFound(f"No source with id {sub_id}.")
    return sub


def list_for(db: DBSession, principal: Principal) -> list[Subscription]:
    principal.require_scope(Scope.DOWNLOADS_READ)
    query = select(Subscription).order_by(col(Subscription.id))
    if not principal.is_admin:
        query = query.where(Subscription.owner_id == principal.user_id)
    return list(db.exec(query).all())


EDITABLE = ("name", "interval_minutes", "folder_id", "kind", "preset", "backfill", "paused")


def update_settings(db: DBSession, principal: Principal, sub_id: int, changes: dict[str, Any]) -> Subscription:
    """Change what ``changes`` names (a key of ``EDITABLE``); resuming makes the source due now."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    sub = get(db, principal, sub_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"A source has no setting {sorted(unknown)[0]!r}.", code="invalid_body")
    _check_settings(db, changes)
    if sub.paused and changes.get("paused") is False:
        sub.next_check_at = utcnow()
    if "interval_minutes" in changes and sub.last_checked_at is not None and not sub.failures:
        sub.next_check_at = sub.last_checked_at + timedelta(minutes=changes["interval_minutes"])
    for key, value in changes.items():
        setattr(sub, key, value.strip()[:255] if key == "name" else value)
    db.add(sub)
    db.flush()
    return sub


def delete(db: DBSession, principal: Principal, sub_id: int) -> None:
    """Stop following; what it downloaded stays in the library (its jobs just forget it)."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    sub = get(db, principal, sub_id)
    events.record(db, "source deleted", f"Stopped following {sub.url}", user_id=principal.user_id)
    db.delete(sub)
    db.flush()


def request_check(db: DBSession, principal: Principal, sub_id: int) -> Subscription:
    """ "Check now": due at once; the caller enqueues the check."""
    principal.require_scope(Scope.DOWNLOADS_WRITE)
    sub = get(db, principal, sub_id)
    if sub.paused:
        raise Conflict("This source is paused: resume it to check it.", code="paused")
    sub.next_check_at = utcnow()
    db.add(sub)
    db.flush()
    return sub


# --- what the worker does -------------------------------------------------------------------


def _free() -> Any:
    return or_(col(Subscription.checking_since).is_(None), col(Subscription.checking_since) < func.now() - STALE_CHECK)


def claim_due(db: DBSession, limit: int = 100) -> list[int]:
    """Due, unpaused sources not being checked; each is pushed one interval ahead so the next
    scheduler run does not hand it out again. Rows another scheduler holds are skipped (SKIP
    LOCKED), never waited for."""
    query = (
        select(Subscription)
        .where(col(Subscription.paused).is_(False), col(Subscription.next_check_at) <= func.now(), _free())
        .order_by(col(Subscription.next_check_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list(db.exec(query).all())
    for sub in due:
        sub.next_check_at = utcnow() + timedelta(minutes=sub.interval_minutes)
        db.add(sub)
    db.flush()
    return [sub.id for sub in due if sub.id is not None]


def begin_check(db: DBSession, sub_id: int) -> Subscription | None:
    """Hold the source for one check; None when it is paused, gone or another check holds it.

    One UPDATE decides: of two workers, the second waits for the first's commit and then finds
    the row held."""
    claimed = db.exec(  # type: ignore[call-overload]
        update(Subscription)
        .where(col(Subscription.id) == sub_id, col(Subscription.paused).is_(False), _free())
        .values(checking_since=func.clock_timestamp())
        .returning(Subscription.id)
    ).first()
    if claimed is None:
        return None
    sub = db.get(Subscription, sub_id)
    if sub is not None:
        db.refresh(sub)
    return sub


def _archived(db: DBSession, item: Listed, preset: str) -> bool:
    """The library holds this item already, as the source's download choice asks for it."""
    if item.platform and item.external_id:
        known = media_records.archived_media_ids(db, item.platform, item.external_id, None, preset)
        if known:
            return True
    query = (
        select(Media.kind, Media.preset, Media.height)
        .join(MediaSource, col(Media.id) == col(MediaSource.media_id))
        .join(Source, col(Source.id) == col(MediaSource.source_id))
        .where(Source.url == item.url)
    )
    return any(presets.satisfies(kind.value, fetched_as, height, preset) for kind, fetched_as, height in db.exec(query))


def _queued(db: DBSession, url: str) -> bool:
    query = select(DownloadJob.id).where(DownloadJob.url == url, col(DownloadJob.status).in_(ACTIVE_STATUSES))
    return db.exec(query.limit(1)).first() is not None


def _unseen(db: DBSession, sub_id: int, items: list[Listed]) -> list[Listed]:
    """Items this source never listed before, in listing order, each URL once."""
    urls = [item.url for item in items]
    seen = set(
        db.exec(
            select(SubscriptionItem.url).where(
                SubscriptionItem.subscription_id == sub_id, col(SubscriptionItem.url).in_(urls)
            )
        ).all()
    )
    fresh: dict[str, Listed] = {}
    for item in items:
        if item.url not in seen and item.url not in fresh:
            fresh[item.url] = item
    return list(fresh.values())


def newest(items: list[Listed], count: int) -> list[Listed]:
    """The ``count`` newest: by date when every item has one, else the listing's own order
    (channels, playlists and feeds list newest first)."""
    if items and all(item.posted_at is not None for item in items):
        items = sorted(items, key=lambda item: item.posted_at or 0.0, reverse=True)
    return items[:count]


def finish_check(db: DBSession, sub_id: int, items: list[Listed]) -> CheckResult | None:
    """Queue what is new, remember every listed item, record the check; None if the source was
    deleted meanwhile. The first check takes the ``backfill`` newest (none: from now on)."""
    sub = db.get(Subscription, sub_id, with_for_update=True)
    if sub is None:
        return None
    fresh = _unseen(db, sub_id, items)
    wanted = fresh if sub.primed else newest(fresh, sub.backfill)
    job_ids, skipped = [], 0
    preset = presets.AUDIO if sub.kind == "audio" else sub.preset
    for item in wanted:
        try:
            url = validate_url(item.url)
        except InvalidInput:
            skipped += 1
            continue
        if _archived(db, item, preset) or _queued(db, url):
            skipped += 1
            continue
        job = DownloadJob(
            url=url,
            requested_by=sub.owner_id,
            folder_id=sub.folder_id,
            audio_only=preset == presets.AUDIO,
            preset=preset,
            subscription_id=sub_id,
        )
        db.add(job)
        db.flush()
        assert job.id is not None
        job_ids.append(job.id)
    if fresh:
        rows = [{"subscription_id": sub_id, "url": item.url, "seen_at": utcnow()} for item in fresh]
        db.exec(insert(SubscriptionItem).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]
    result = CheckResult(found=len(items), queued=len(job_ids), skipped=skipped, job_ids=job_ids)
    _record(db, sub, result, None)
    if job_ids:
        assert sub.owner_id is not None
        batches.record(db, sub.owner_id, f"New from {sub.name or sub.url}", len(wanted), job_ids)
        what = "1 new item" if len(job_ids) == 1 else f"{len(job_ids)} new items"
        events.record(db, "source checked", f"Queued {what} from {sub.name or sub.url}", user_id=sub.owner_id)
    return result


def name_if_unnamed(db: DBSession, sub_id: int, title: str) -> None:
    """Name a source after its listing's title, unless its owner named it."""
    db.exec(  # type: ignore[call-overload]
        update(Subscription).where(col(Subscription.id) == sub_id, Subscription.name == "").values(name=title[:255])
    )


def fail_check(db: DBSession, sub_id: int, message: str) -> None:
    """Record a failed check and back off: the wait doubles with each failure in a row."""
    sub = db.get(Subscription, sub_id, with_for_update=True)
    if sub is None:
        return
    _record(db, sub, CheckResult(0, 0, 0, []), message)
    events.record(db, "source failed", f"{sub.name or sub.url}: {message}", user_id=sub.owner_id)


def backoff(interval_minutes: int, failures: int) -> timedelta:
    """The wait after ``failures`` failed checks in a row (at least the interval, at most a day)."""
    wait = timedelta(minutes=interval_minutes) * (2 ** min(failures, 10))
    return max(timedelta(minutes=interval_minutes), min(wait, MAX_BACKOFF))


def _record(db: DBSession, sub: Subscription, result: CheckResult, error: str | None) -> None:
    now = utcnow()
    started = sub.checking_since or now
    db.add(
        SubscriptionCheck(
            subscription_id=sub.id,
            started_at=started,
            finished_at=now,
            found=result.found,
            queued=result.queued,
            skipped=result.skipped,
            error=error,
        )
    )
    sub.failures = sub.failures + 1 if error else 0
    sub.primed = sub.primed or error is None
    sub.checking_since = None
    sub.last_checked_at = now
    sub.last_error = error
    sub.last_found, sub.last_new_items, sub.last_skipped = result.found, result.queued, result.skipped
    sub.next_check_at = now + backoff(sub.interval_minutes, sub.failures)
    db.add(sub)
    db.flush()


def checks_of(db: DBSession, sub_id: int, limit: int = 20) -> list[SubscriptionCheck]:
    query = select(SubscriptionCheck).where(SubscriptionCheck.subscription_id == sub_id)
    return list(db.exec(query.order_by(col(SubscriptionCheck.id).desc()).limit(limit)).all())


def names_of_media(db: DBSession, media_id: int) -> list[tuple[int, str]]:
    """The subscriptions that queued this media's downloads (for the viewer)."""
    query = (
        select(Subscription.id, Subscription.name, Subscription.url)
        .join(DownloadJob, col(DownloadJob.subscription_id) == col(Subscription.id))
        .join(JobMedia, col(JobMedia.job_id) == col(DownloadJob.id))
        .where(JobMedia.media_id == media_id)
        .distinct()
    )
    return [(sub_id, name or url) for sub_id, name, url in db.exec(query).all() if sub_id is not None]
