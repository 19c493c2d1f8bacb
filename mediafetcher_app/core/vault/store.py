"""The encrypted cookie jars, one per (user, site): save a sync, report status, hand a job its copy.

Jars belong to the user who synced them (docs/ARCHITECTURE.md §6). A job uses its submitter's jar for the
URL's site; only when they have none, a jar an admin chose to share with everyone stands in
(``jar_for_job``). A sync replaces each site it mentions wholesale in the syncing user's jars
(the browser is the truth for that site, so a cookie the browser dropped is dropped here too)
and leaves every other jar untouched.
Rows hold the site's Netscape text sealed with AES-GCM (see ``crypto``) plus plain metadata the
status page needs (count, earliest expiry, last sync), so status never decrypts anything.
Nothing here logs or returns a cookie name or value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from .. import events
from ..auth import Principal
from ..errors import Conflict, InvalidInput, NotFound
from ..models import CookieJar, Role, User, utcnow
from .crypto import current_key, seal, unseal
from .parse import ERROR_CODE, Cookie, format_netscape, parse_netscape
from .sites import site_for_domain, site_for_url

log = logging.getLogger(__name__)

EXPIRING_WINDOW = timedelta(days=7)
JOB_COOKIE_FILE = "cookies.txt"
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _when(expires: int) -> datetime:
    return datetime.fromtimestamp(expires, UTC) if expires < _LATEST.timestamp() else _LATEST


def save_cookies(
    db: DBSession,
    cookies: Sequence[Cookie],
    *,
    owner_id: int,
    key: bytes | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Store ``owner_id``'s sync: one sealed jar per site, replacing their jars of those sites;
    returns {site: count}.

    Runs in the caller's transaction (an upsert per site, so two syncs racing on a new site do
    not collide on the unique (owner, domain)), and records a ``cookies_synced`` event with
    counts only. A jar's ``shared`` flag survives a re-sync.
    """
    if not cookies:
        raise InvalidInput("No cookies to store.", code=ERROR_CODE)
    secret = key if key is not None else current_key()
    synced_at = now or utcnow()
    by_site: dict[str, list[Cookie]] = {}
    for cookie in cookies:
        by_site.setdefault(site_for_domain(cookie.domain), []).append(cookie)
    counts: dict[str, int] = {}
    for site in sorted(by_site):
        jar = by_site[site]
        expiries = [c.expires for c in jar if not c.is_session]
        values: dict[str, Any] = {
            "ciphertext": seal(secret, site, format_netscape(jar).encode()),
            "cookie_count": len(jar),
            "earliest_expiry": _when(min(expiries)) if expiries else None,
            "last_sync": synced_at,
            # a check of the old jar says nothing about the new one
            "last_validation": None,
            "last_validation_ok": None,
        }
        upsert = insert(CookieJar).values(owner_id=owner_id, domain=site, **values)
        db.exec(upsert.on_conflict_do_update(index_elements=["owner_id", "domain"], set_=values))  # type: ignore[call-overload]
        counts[site] = len(jar)
    summary = ", ".join(f"{site} ({n})" for site, n in counts.items())
    events.record(db, "cookies_synced", f"Cookies synced: {summary}.", user_id=owner_id)
    log.info("cookies synced for %d site(s): %s", len(counts), summary)
    return counts


def own_jar(db: DBSession, site: str, owner_id: int) -> CookieJar | None:
    """``owner_id``'s jar for ``site`` (a site name as ``site_for_domain`` gives it)."""
    return db.exec(select(CookieJar).where(CookieJar.owner_id == owner_id, col(CookieJar.domain) == site)).first()


def jar_for_job(db: DBSession, site: str, user_id: int | None, *, use_shared: bool = True) -> CookieJar | None:
    """The jar a job submitted by ``user_id`` uses for ``site``: their own, else (``use_shared``)
    the one an enabled admin shares with everyone (a share lapses while its owner is no
    admin), else None. One query: every job asks, and most find no jar at all."""
    if not use_shared:
        return own_jar(db, site, user_id) if user_id is not None else None
    own = col(CookieJar.owner_id) == user_id
    shared = col(CookieJar.shared) & (User.role == Role.admin) & ~col(User.disabled)
    return db.exec(
        select(CookieJar)
        .join(User, col(User.id) == col(CookieJar.owner_id))
        .where(col(CookieJar.domain) == site, own | shared)
        .order_by(own.desc())
        .limit(1)
    ).first()


def _decrypt(jar: CookieJar, key: bytes | None) -> list[Cookie]:
    plaintext = unseal(key if key is not None else current_key(), jar.domain, bytes(jar.ciphertext))
    return parse_netscape(plaintext.decode())


def load_cookies(db: DBSession, site_or_domain: str, *, owner_id: int, key: bytes | None = None) -> list[Cookie]:
    """Decrypt ``owner_id``'s jar of one site (server side only; [] when they have none).
    Raises CookieDecryptError."""
    jar = own_jar(db, site_for_domain(site_or_domain), owner_id)
    return [] if jar is None else _decrypt(jar, key)


def set_shared(db: DBSession, who: Principal, site: str, shared: bool) -> None:
    """An admin shares one of their own jars with everyone (or stops); one shared jar per site."""
    who.require_admin()
    name = site_for_domain(site)
    jar = own_jar(db, name, who.user_id)
    if jar is None:
        raise NotFound(f"You have no cookies stored for {name}.", code="unknown_site")
    if shared and not jar.shared:
        other = db.exec(
            select(User.username)
            .join(CookieJar, col(CookieJar.owner_id) == col(User.id))
            .where(col(CookieJar.domain) == name, col(CookieJar.shared), col(CookieJar.id) != jar.id)
        ).first()
        if other is not None:
            raise Conflict(f"{other} already shares cookies for {name}; only one jar per site can be shared.")
    jar.shared = shared
    db.add(jar)
    verb = "shares" if shared else "no longer shares"
    events.record(
        db, "cookies_shared", f"{who.username} {verb} their cookies for {name} with everyone.", user_id=who.user_id
    )


@dataclass(frozen=True)
class JarStatus:
    """What may be seen of a jar: no cookie, only its owner, counts and dates (ISO 8601, UTC).

    ``expired``/``expiring_soon`` look at the earliest expiry among non-session cookies:
    expired when it has passed, expiring soon when it falls within ``EXPIRING_WINDOW``.
    ``state`` is the one-word summary: "expired", "expiring" or "ok".
    """

    domain: str
    owner: str
    shared: bool
    cookie_count: int
    earliest_expiry: str | None
    expired: bool
    expiring_soon: bool
    state: str
    last_sync: str | None
    last_check: str | None
    last_check_ok: bool | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def cookie_status(db: DBSession, *, owner_id: int | None, now: datetime | None = None) -> list[JarStatus]:
    """Status of ``owner_id``'s jars (None: everyone's, for an admin's overview), by domain then
    owner. Reads metadata columns only, never the jar."""
    moment = now or utcnow()
    query = (
        select(
            CookieJar.domain,
            User.username,
            CookieJar.shared,
            CookieJar.cookie_count,
            CookieJar.earliest_expiry,
            CookieJar.last_sync,
            CookieJar.last_validation,
            CookieJar.last_validation_ok,
        )
        .join(User, col(User.id) == col(CookieJar.owner_id))
        .order_by(col(CookieJar.domain), func.lower(User.username))
    )
    if owner_id is not None:
        query = query.where(CookieJar.owner_id == owner_id)
    result = []
    for domain, owner, shared, count, earliest, last_sync, last_check, last_check_ok in db.exec(query).all():
        expired = earliest is not None and earliest <= moment
        expiring = earliest is not None and not expired and earliest <= moment + EXPIRING_WINDOW
        result.append(
            JarStatus(
                domain=domain,
                owner=owner,
                shared=shared,
                cookie_count=count,
                earliest_expiry=_iso(earliest),
                expired=expired,
                expiring_soon=expiring,
                state="expired" if expired else "expiring" if expiring else "ok",
                last_sync=_iso(last_sync),
                last_check=_iso(last_check),
                last_check_ok=last_check_ok,
            )
        )
    return result


def record_check(
    db: DBSession, site: str, ok: bool, reason: str, *, owner_id: int, checked_at: datetime | None = None
) -> None:
    """Store a check's verdict on ``owner_id``'s jar of the site and log it as a ``cookies_checked`` event.

    ``checked_at`` is when the check read the jar; a sync after that replaced the cookies the
    verdict is about, so the new jar keeps its empty "never checked". ``reason`` is the engine's
    outcome as a sentence (never a cookie).
    """
    name = site_for_domain(site)
    moment = checked_at or utcnow()
    jar = own_jar(db, name, owner_id)
    if jar is not None and (jar.last_sync is None or jar.last_sync <= moment):
        jar.last_validation, jar.last_validation_ok = moment, ok
        db.add(jar)
    verdict = "they work" if ok else "they do not work"
    events.record(db, "cookies_checked", f"Cookies for {name} checked: {verdict}. {reason}", user_id=owner_id)
    log.info("cookie check of %s: %s (%s)", name, "ok" if ok else "failed", reason)


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` as 0600 from the first byte (never world-readable, whatever the umask)."""
    path.unlink(missing_ok=True)  # a leftover of an earlier attempt in the same tmp dir
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def write_job_cookie_file(
    db: DBSession,
    url: str,
    directory: Path,
    *,
    user_id: int | None,
    use_shared: bool = True,
    key: bytes | None = None,
) -> Path | None:
    """Write ``user_id``'s cookies for ``url``'s site into ``directory/cookies.txt`` (mode 0600) for one job.

    The jar is theirs, or with ``use_shared`` the one an admin shares when they have none (see
    ``jar_for_job``; a cookie check passes False: it checks the asking user's own jar).
    Returns the path, or None when there is no such jar (run without cookies). Only that
    site's jar is written (x.com and twitter.com share one). The engines get this copy and may
    rewrite it (yt-dlp does); the stored jar is never touched. ``directory`` is private (the
    worker's ``cookie_dirs``: 0700, under the data dir, never the media share) and the caller
    removes it when the job ends. Cookies whose value holds a tab are left
    out: yt-dlp skips such lines (printing them) and gallery-dl fails on them. Raises
    CookieDecryptError when the jar cannot be decrypted with the current key.
    """
    site = site_for_url(url)
    if site is None:
        return None
    jar = jar_for_job(db, site, user_id, use_shared=use_shared)
    stored = [] if jar is None else _decrypt(jar, key)
    usable = [c for c in stored if "\t" not in c.value]
    if len(usable) < len(stored):
        log.warning("%d cookie(s) of %s hold a tab in their value and were left out", len(stored) - len(usable), site)
    if not usable:
        return None
    path = Path(directory) / JOB_COOKIE_FILE
    _write_private(path, format_netscape(usable))
    log.info("wrote %d cookie(s) of %s for a job into %s", len(usable), site, directory)
    return path
