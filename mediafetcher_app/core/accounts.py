"""Managing accounts: one's own password and sessions, and (admins) everyone's role and access.

Role and access changes run under ``auth.lock_users`` and re-read the acting admin after taking
it. An admin never changes their own role or access here, so every change leaves at least the
acting admin, and two admins demoting or disabling each other at once cannot both win: the
second finds itself no longer an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import select

from . import auth, events
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .models import Role, User


@dataclass(frozen=True)
class UserSummary:
    id: int
    username: str
    role: str
    disabled: bool
    created: str


def change_password(db: DBSession, who: auth.Principal, current: str, new: str, address: str = "") -> int:
    """Needs the current password (checked within the sign-in limit of ``address``), so an
    unattended signed-in browser cannot take the account. Ends the user's other sessions (the
    one asking stays signed in); returns how many ended."""
    user = db.get(User, who.user_id)
    assert user is not None
    if not auth.check_password(db, user, current, address):
        raise InvalidInput("The current password is not right.")
    if current == new:
        raise InvalidInput("Choose a password different from the current one.")
    auth.set_password(db, user, new)
    ended = auth.revoke_all_sessions(db, who.user_id, keep=who.session_id)
    events.record(db, "password", f"{user.username} changed their password", user_id=user.id)
    return ended


def sign_out_everywhere(db: DBSession, who: auth.Principal, *, revoke_tokens: bool) -> tuple[int, int]:
    """End every session of the user (this one too) and, if asked, revoke their API tokens;
    returns (sessions ended, tokens revoked)."""
    sessions = auth.revoke_all_sessions(db, who.user_id)
    tokens = auth.revoke_all_tokens(db, who.user_id) if revoke_tokens else 0
    events.record(
        db,
        "signed_out",
        f"{who.username} signed out everywhere ({sessions} sessions, {tokens} tokens)",
        user_id=who.user_id,
    )
    return sessions, tokens


def list_users(db: DBSession, who: auth.Principal) -> list[UserSummary]:
    who.require_admin()
    users = db.exec(select(User).order_by(func.lower(User.username))).all()
    return [
        UserSummary(u.id or 0, u.username, u.role.value, u.disabled, u.created_at.strftime("%Y-%m-%d")) for u in users
    ]


def _as_admin(db: DBSession, who: auth.Principal) -> None:
    """Take the users lock, then make sure ``who`` is still an enabled admin (a change committed
    while this request waited for the lock may have demoted them)."""
    who.require_admin()
    auth.lock_users(db)
    actor = db.get(User, who.user_id, populate_existing=True)
    if actor is None or actor.role != Role.admin or actor.disabled:
        raise Forbidden("Only an administrator can do this.")


def _target(db: DBSession, who: auth.Principal, user_id: int) -> User:
    _as_admin(db, who)
    user = db.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound("No such user.")
    if user.id == who.user_id:
        raise Conflict("You cannot change your own role or access here.")
    return user


def set_role(db: DBSession, who: auth.Principal, user_id: int, role: Role) -> None:
    user = _target(db, who, user_id)
    user.role = role
    db.add(user)
    events.record(db, "user", f"{user.username} is now {role.value}", user_id=who.user_id)


def set_disabled(db: DBSession, who: auth.Principal, user_id: int, disabled: bool) -> None:
    """Disabling also ends the user's sessions (their tokens stop working too: see auth)."""
    user = _target(db, who, user_id)
    user.disabled = disabled
    db.add(user)
    if disabled:
        auth.revoke_all_sessions(db, user_id)
    events.record(db, "user", f"{user.username} {'disabled' if disabled else 'enabled'}", user_id=who.user_id)


def create(db: DBSession, who: auth.Principal, username: str, password: str, role: Role) -> User:
    _as_admin(db, who)
    user = auth.create_user(db, username, password, role)
    events.record(db, "user", f"Created {role.value} '{user.username}'", user_id=who.user_id)
    return user
