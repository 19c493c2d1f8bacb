"""Managing accounts: one's own password, and (admins) everyone's role and access."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session as DBSession
from sqlmodel import select

from . import auth, events
from .errors import Conflict, InvalidInput, NotFound
from .models import Role, User


@dataclass(frozen=True)
class UserSummary:
    id: int
    username: str
    role: str
    disabled: bool
    created: str


def change_password(db: DBSession, who: auth.Principal, current: str, new: str) -> None:
    """Needs the current password, so an unattended signed-in browser cannot take the account."""
    user = db.get(User, who.user_id)
    assert user is not None
    if not auth.password_matches(user, current):
        raise InvalidInput("The current password is not right.")
    if current == new:
        raise InvalidInput("Choose a password different from the current one.")
    auth.set_password(db, user, new)
    events.record(db, "password", f"{user.username} changed their password", user_id=user.id)


def list_users(db: DBSession, who: auth.Principal) -> list[UserSummary]:
    who.require_admin()
    users = db.exec(select(User).order_by(func.lower(User.username))).all()
    return [
        UserSummary(u.id or 0, u.username, u.role.value, u.disabled, u.created_at.strftime("%Y-%m-%d")) for u in users
    ]


def _target(db: DBSession, who: auth.Principal, user_id: int) -> User:
    who.require_admin()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == who.user_id:
        raise Conflict("You cannot change your own role or access here.")
    return user


def _active_admins(db: DBSession) -> int:
    return db.exec(select(func.count()).select_from(User).where(User.role == Role.admin, ~User.disabled)).one()


def set_role(db: DBSession, who: auth.Principal, user_id: int, role: Role) -> None:
    user = _target(db, who, user_id)
    if user.role == Role.admin and role != Role.admin and _active_admins(db) <= 1:
        raise Conflict("The last administrator cannot be demoted.")
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
    who.require_admin()
    user = auth.create_user(db, username, password, role)
    events.record(db, "user", f"Created {role.value} '{user.username}'", user_id=who.user_id)
    return user
