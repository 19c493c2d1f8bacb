"""Accounts, browser sessions and API tokens (docs/ARCHITECTURE.md §6).

Secrets (session tokens, API tokens) are random, shown once, and stored only as SHA-256 digests.
Passwords use argon2id (argon2-cffi). Password checks are limited per (name, address) pair with
growing delays (``throttle``), so guessing from one address never locks the name out elsewhere.
Who exists and who is admin changes under one advisory lock (``lock_users``): two first admins
cannot both be created, and two admins demoting each other cannot leave none.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from .errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, RateLimited
from .models import ApiToken, LoginFailure, Role, Session, User, utcnow
from .settings import get_settings

SESSION_COOKIE = "mf_session"
TOKEN_PREFIX = "mft_"


class Scope:
    """What an API token may do. A browser session carries every scope its role allows."""

    DOWNLOADS_READ = "downloads:read"
    DOWNLOADS_WRITE = "downloads:write"
    MEDIA_READ = "media:read"
    COOKIES_WRITE = "cookies:write"
    LIBRARY_READ = "library:read"  # the folder tree and the tags
    LIBRARY_WRITE = "library:write"  # edit media, folders and tags (deleting media also needs the admin role)
    EVENTS_READ = "events:read"  # the history the dashboard shows
    TOKENS_WRITE = "tokens:write"  # list, mint and revoke one's own API tokens
    ADMIN = "admin"  # manage users; only works for an administrator's credential
    ALL = (
        DOWNLOADS_READ,
        DOWNLOADS_WRITE,
        MEDIA_READ,
        COOKIES_WRITE,
        LIBRARY_READ,
        LIBRARY_WRITE,
        EVENTS_READ,
        TOKENS_WRITE,
        ADMIN,
    )
    DEFAULT = (DOWNLOADS_READ, DOWNLOADS_WRITE, MEDIA_READ)


_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
# advisory lock keys (any constants, distinct from migrations'): who exists / is admin; one
# (name, address) pair's sign-in attempts
_USERS_LOCK = 0x4D46_5553
_LOGIN_LOCK = 0x4D46_4C47


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, plus the scopes of the credential they used."""

    user_id: int
    username: str
    role: Role
    scopes: frozenset[str]
    via_token: bool = False
    session_id: int | None = None  # the browser session it came from (kept when the password changes)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This credential lacks the '{scope}' permission.")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only an administrator can do this.")


# A signed-in browser may do everything its role allows; admin-only actions check the role.
SESSION_SCOPES = frozenset(Scope.ALL)


def _principal(user: User, scopes: frozenset[str], via_token: bool = False, session_id: int | None = None) -> Principal:
    assert user.id is not None
    return Principal(user.id, user.username, user.role, scopes, via_token, session_id)


# --- users -----------------------------------------------------------------------------------


def validate_username(username: str) -> str:
    name = username.strip()
    if not (1 <= len(name) <= 64) or not all(c.isalnum() or c in "._-" for c in name):
        raise InvalidInput("A username is 1-64 letters, digits, '.', '_' or '-'.")
    return name


def validate_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("A password needs at least 8 characters.")
    return password


def lock_users(db: DBSession) -> None:
    """Serialise changes to who exists and who is admin until this transaction ends."""
    db.exec(select(func.pg_advisory_xact_lock(_USERS_LOCK)))  # type: ignore[call-overload]


def create_user(db: DBSession, username: str, password: str, role: Role = Role.user) -> User:
    name = validate_username(username)
    lock_users(db)  # two "Alice"/"alice" at once: the second sees the first
    if db.exec(select(User).where(func.lower(User.username) == name.lower())).first():
        raise Conflict(f"The user '{name}' already exists.")
    user = User(username=name, password_hash=_hasher.hash(validate_password(password)), role=role)
    db.add(user)
    db.flush()
    return user


def get_user(db: DBSession, username: str) -> User:
    user = db.exec(select(User).where(func.lower(User.username) == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"No user named '{username}'.")
    return user


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(db: DBSession, user: User, password: str) -> None:
    user.password_hash = _hasher.hash(validate_password(password))
    db.add(user)


def create_first_admin(db: DBSession, username: str, password: str) -> User | None:
    """The first admin, only while no user exists (None once one does), whoever else tries at once:
    /setup, the start-up's MF_ADMIN_USER and the CLI all go through ``lock_users``."""
    lock_users(db)
    if has_users(db):
        return None
    return create_user(db, username, password, Role.admin)


def ensure_first_admin(db: DBSession, username: str | None, password: str | None) -> User | None:
    """Create the first admin from MF_ADMIN_USER/MF_ADMIN_PASSWORD when the table is empty."""
    if not username or not password:
        return None
    return create_first_admin(db, username, password)


def has_users(db: DBSession) -> bool:
    return db.exec(select(User.id).limit(1)).first() is not None


# --- sign-in and sessions ----------------------------------------------------------------------


def retry_delay(failures: int) -> float:
    """Seconds to wait after the last failure of a pair with ``failures`` recent ones: none for the
    first MF_LOGIN_MAX_FAILURES, then MF_LOGIN_DELAY doubling per failure, at most MF_LOGIN_MAX_DELAY."""
    settings = get_settings()
    over = failures - settings.login_max_failures
    if over < 0:
        return 0.0
    return float(min(settings.login_delay_s * 2 ** min(over, 32), settings.login_max_delay_s))


def throttle(db: DBSession, username: str, address: str) -> None:
    """Refuse a password check for this (name, address) pair while its delay runs (RateLimited).

    Failures count per pair within MF_LOGIN_WINDOW, so failures from one address never slow the
    same name down from another. The pair is locked until the transaction ends: parallel guesses
    are checked one after the other, each seeing the failures before it.
    """
    name, where = username.strip()[:64].lower(), address[:64]
    db.exec(select(func.pg_advisory_xact_lock(_LOGIN_LOCK, func.hashtext(f"{name}\n{where}"))))  # type: ignore[call-overload]
    since = utcnow() - timedelta(seconds=get_settings().login_window_s)
    failures, last = db.exec(
        select(func.count(), func.max(LoginFailure.at)).where(
            func.lower(LoginFailure.username) == name, LoginFailure.address == where, LoginFailure.at >= since
        )
    ).one()
    wait = retry_delay(failures) - ((utcnow() - last).total_seconds() if last else 0.0)
    if wait > 0:
        raise RateLimited(f"Too many failed password attempts. Try again in {max(1, round(wait))} seconds.")


def record_failure(db: DBSession, username: str, address: str) -> None:
    """Count one failed password check for the pair; committed at once, since the caller then fails."""
    db.add(LoginFailure(username=username.strip()[:64], address=address[:64]))
    db.commit()


def check_password(db: DBSession, user: User, password: str, address: str) -> bool:
    """A signed-in user's password check (e.g. before changing it), limited like a sign-in."""
    throttle(db, user.username, address)
    if password_matches(user, password):
        return True
    record_failure(db, user.username, address)
    return False


def authenticate(db: DBSession, username: str, password: str, address: str = "") -> User:
    """Check a password within the (name, address) pair's limit (``throttle``)."""
    name = username.strip()[:64]
    throttle(db, name, address)
    user = db.exec(select(User).where(func.lower(User.username) == name.lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        record_failure(db, name, address)
        raise NotAuthenticated("Wrong username or password.")
    assert user is not None
    if _hasher.check_needs_rehash(user.password_hash):
        set_password(db, user, password)
    return user


def create_session(db: DBSession, user: User, user_agent: str = "") -> str:
    """Start a browser session; returns the raw token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    db.add(
        Session(
            token_hash=digest(token),
            user_id=user.id,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
            last_seen=utcnow(),
            user_agent=user_agent[:255] or None,
        )
    )
    db.flush()
    return token


def principal_for_session(db: DBSession, token: str | None) -> Principal:
    if not token:
        raise NotAuthenticated("Please sign in.")
    row = db.exec(
        select(Session, User)
        .join(User, User.id == Session.user_id)
        .where(Session.token_hash == digest(token), Session.revoked_at.is_(None))
    ).first()
    now = utcnow()
    if row is None or row[0].expires_at <= now or row[1].disabled:
        raise NotAuthenticated("Your session has ended. Please sign in again.")
    session, user = row
    if session.last_seen is None or now - session.last_seen > timedelta(minutes=5):
        session.last_seen = now
        db.add(session)
    return _principal(user, SESSION_SCOPES, session_id=session.id)


def principals_for_sessions(db: DBSession, digests: Collection[str]) -> dict[str, Principal]:
    """The live sessions among ``digests`` (SHA-256 of session tokens), in one query: a digest
    whose session ended, was revoked or whose user is disabled is absent from the result."""
    if not digests:
        return {}
    rows = db.exec(
        select(Session, User)
        .join(User, col(User.id) == col(Session.user_id))
        .where(
            col(Session.token_hash).in_(list(digests)),
            col(Session.revoked_at).is_(None),
            col(Session.expires_at) > utcnow(),
            ~col(User.disabled),
        )
    ).all()
    return {session.token_hash: _principal(user, SESSION_SCOPES, session_id=session.id) for session, user in rows}


def revoke_session(db: DBSession, token: str | None) -> None:
    if not token:
        return
    session = db.exec(select(Session).where(Session.token_hash == digest(token))).first()
    if session and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.add(session)


def revoke_all_sessions(db: DBSession, user_id: int, *, keep: int | None = None) -> int:
    """End every session of the user but ``keep`` (a session id); returns how many ended."""
    query = select(Session).where(Session.user_id == user_id, col(Session.revoked_at).is_(None))
    if keep is not None:
        query = query.where(Session.id != keep)
    sessions = db.exec(query).all()
    for session in sessions:
        session.revoked_at = utcnow()
        db.add(session)
    return len(sessions)


# --- API tokens -------------------------------------------------------------------------------


def _known_scopes(scopes: Collection[str]) -> None:
    unknown = set(scopes) - set(Scope.ALL)
    if unknown:
        raise InvalidInput(f"Unknown scope(s): {', '.join(sorted(unknown))}.", code="invalid_scope")


def create_token(db: DBSession, user: User, label: str = "", scopes: tuple[str, ...] = Scope.DEFAULT) -> str:
    """Mint a token; returns it once. Only its digest and a short prefix are kept."""
    _known_scopes(scopes)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    db.add(
        ApiToken(
            token_hash=digest(token),
            prefix=token[:10],
            user_id=user.id,
            label=label[:128],
            scopes=sorted(set(scopes)),
        )
    )
    db.flush()
    return token


def create_own_token(db: DBSession, who: Principal, label: str, scopes: tuple[str, ...]) -> tuple[ApiToken, str]:
    """A token for the one asking, with at most the scopes of the credential asking: a token
    never mints a stronger one. Returns the row and the token (shown once)."""
    _known_scopes(scopes)
    beyond = set(scopes) - who.scopes
    if beyond:
        raise Forbidden(f"A new token cannot have permissions this credential lacks: {', '.join(sorted(beyond))}.")
    user = db.get(User, who.user_id)
    assert user is not None
    token = create_token(db, user, label, scopes)
    return db.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).one(), token


def principal_for_token(db: DBSession, token: str | None) -> Principal:
    if not token:
        raise NotAuthenticated("An API token is required.")
    row = db.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or row[1].disabled:
        raise NotAuthenticated("This API token is not valid (revoked or unknown). Pair again.")
    api_token, user = row
    now = utcnow()
    if api_token.last_used is None or now - api_token.last_used > timedelta(minutes=1):
        api_token.last_used = now
        db.add(api_token)
    return _principal(user, frozenset(api_token.scopes), via_token=True)


def list_tokens(db: DBSession, user_id: int) -> list[ApiToken]:
    return list(db.exec(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())).all())


def _live_tokens(db: DBSession, user_id: int) -> list[ApiToken]:
    return [token for token in list_tokens(db, user_id) if token.revoked_at is None]


def live_token_count(db: DBSession, user_id: int) -> int:
    return len(_live_tokens(db, user_id))


def revoke_all_tokens(db: DBSession, user_id: int) -> int:
    """Revoke every API token of the user (paired browsers, scripts); returns how many."""
    tokens = _live_tokens(db, user_id)
    for token in tokens:
        token.revoked_at = utcnow()
        db.add(token)
    return len(tokens)


def revoke_token(db: DBSession, principal: Principal, token_id: int) -> None:
    api_token = db.get(ApiToken, token_id)
    if api_token is None or (api_token.user_id != principal.user_id and not principal.is_admin):
        raise NotFound("No such token.")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        db.add(api_token)
