"""Users and tokens for tests, made through the real services."""

from __future__ import annotations

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Role

PASSWORD = "correct horse battery"


def make_user(username: str = "alice", role: Role = Role.user, password: str = PASSWORD) -> int:
    with session_scope() as db:
        user = auth.create_user(db, username, password, role)
        assert user.id is not None
        return user.id


def make_token(username: str, scopes: tuple[str, ...] = auth.Scope.DEFAULT) -> str:
    with session_scope() as db:
        return auth.create_token(db, auth.get_user(db, username), "test", scopes)


def make_session(username: str) -> str:
    with session_scope() as db:
        return auth.create_session(db, auth.get_user(db, username))
