"""Accounts, browser sessions and API tokens (DESIGN.md §6).

Secrets (session tokens, API tokens) are random, shown once, and stored only as SHA-256 digests.
Passwords use argon2id (argon2-cffi).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_
from sqlmodel import Session as DBSession
from sqlmodel import select

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
    ALL = (DOWNLOADS_READ, DOWNLOADS_WRITE, MEDIA_READ, COOKIES_WRITE)
    DEFAULT = (DOWNLOADS_READ, DOWNLOADS_WRITE, MEDIA_READ)


_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")


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

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This credential lacks the '{scope}' permission.")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only an administrator can do this.")


def _principal(user: User, scopes: frozenset[str], via_token: bool = False) -> Principal:
    assert user.id is not None
    return Principal(user.id, user.username, user.role, scopes, via_token)


def session_scopes(role: Role) -> frozenset[str]:
    """A signed-in browser may do everything; cookie writes are still checked against the role."""
    return frozenset(Scope.ALL if role == Role.admin else Scope.DEFAULT)


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


def create_user(db: DBSession, username: str, password: str, role: Role = Role.user) -> User:
    name = validate_username(username)
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


def ensure_first_admin(db: DBSession, username: str | None, password: str | None) -> User | None:
    """Create the first admin from MF_ADMIN_USER/MF_ADMIN_PASSWORD when the table is empty."""
    if not username or not password or db.exec(select(User.id).limit(1)).first() is not None:
        return None
    return create_user(db, username, password, Role.admin)


def has_users(db: DBSession) -> bool:
    return db.exec(select(User.id).limit(1)).first() is not None


# --- sign-in and sessions ----------------------------------------------------------------------


def _recent_failures(db: DBSession, username: str, address: str) -> int:
    since = utcnow() - timedelta(seconds=get_settings().login_window_s)
    conditions = [func.lower(LoginFailure.username) == username.lower()]
    if address:
        conditions.append(LoginFailure.address == address)
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since, or_(*conditions))
    return db.exec(query).one()


def authenticate(db: DBSession, username: str, password: str, address: str = "") -> User:
    """Check a password, counting failures per name and per address; too many -> RateLimited."""
    name = username.strip()[:64]
    if _recent_failures(db, name, address) >= get_settings().login_max_failures:
        raise RateLimited("Too many failed sign-ins. Wait a few minutes and try again.")
    user = db.exec(select(User).where(func.lower(User.username) == name.lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        db.add(LoginFailure(username=name, address=address[:64]))
        db.commit()
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
    return _principal(user, session_scopes(user.role))


def revoke_session(db: DBSession, token: str | None) -> None:
    if not token:
        return
    session = db.exec(select(Session).where(Session.token_hash == digest(token))).first()
    if session and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.add(session)


def revoke_all_sessions(db: DBSession, user_id: int) -> int:
    sessions = db.exec(select(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))).all()
    for session in sessions:
        session.revoked_at = utcnow()
        db.add(session)
    return len(sessions)


# --- API tokens -------------------------------------------------------------------------------


def create_token(db: DBSession, user: User, label: str = "", scopes: tuple[str, ...] = Scope.DEFAULT) -> str:
    """Mint a token; returns it once. Only its digest and a short prefix are kept."""
    unknown = set(scopes) - set(Scope.ALL)
    if unknown:
        raise InvalidInput(f"Unknown scope(s): {', '.join(sorted(unknown))}.")
    if Scope.COOKIES_WRITE in scopes and user.role != Role.admin:
        raise Forbidden("Only an administrator's token may write cookies.")
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


def revoke_token(db: DBSession, principal: Principal, token_id: int) -> None:
    api_token = db.get(ApiToken, token_id)
    if api_token is None or (api_token.user_id != principal.user_id and not principal.is_admin):
        raise NotFound("No such token.")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        db.add(api_token)
