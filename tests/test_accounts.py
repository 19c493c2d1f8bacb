"""Account management rules: own password, and admin-only user management."""

from __future__ import annotations

import pytest

from mediafetcher_app.core import accounts, auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from mediafetcher_app.core.models import Role
from tests.factories import PASSWORD, make_session, make_token, make_user


def principal(name: str) -> auth.Principal:
    with session_scope() as db:
        return auth.principal_for_token(db, make_token(name))


def test_change_password_needs_the_current_one():
    make_user("alice")
    who = principal("alice")
    with session_scope() as db, pytest.raises(InvalidInput, match="current password"):
        accounts.change_password(db, who, "wrong", "a-new-password")
    with session_scope() as db:
        accounts.change_password(db, who, PASSWORD, "a-new-password")
    with session_scope() as db:
        assert auth.authenticate(db, "alice", "a-new-password").username == "alice"


def test_users_list_and_changes_are_admin_only():
    make_user("alice")
    bob_id = make_user("bob")
    who = principal("alice")
    with session_scope() as db:
        with pytest.raises(Forbidden):
            accounts.list_users(db, who)
        with pytest.raises(Forbidden):
            accounts.set_role(db, who, bob_id, Role.admin)
        with pytest.raises(Forbidden):
            accounts.create(db, who, "eve", PASSWORD, Role.admin)


def test_disabling_a_user_ends_their_sessions_and_tokens():
    make_user("root", Role.admin)
    bob_id = make_user("bob")
    session, token = make_session("bob"), make_token("bob")
    with session_scope() as db:
        accounts.set_disabled(db, principal("root"), bob_id, True)
    with session_scope() as db, pytest.raises(NotAuthenticated):
        auth.principal_for_session(db, session)
    with session_scope() as db, pytest.raises(NotAuthenticated):
        auth.principal_for_token(db, token)


def test_the_last_admin_cannot_be_demoted_and_nobody_edits_themselves():
    root_id = make_user("root", Role.admin)
    other_id = make_user("other", Role.admin)
    root, other = principal("root"), principal("other")
    with session_scope() as db:
        with pytest.raises(Conflict):
            accounts.set_role(db, root, root_id, Role.user)
        accounts.set_role(db, root, other_id, Role.user)
    with session_scope() as db, pytest.raises(Forbidden):
        accounts.set_role(db, principal("other"), root_id, Role.user)
    del other
    with session_scope() as db:
        assert [u.role for u in accounts.list_users(db, root)] == ["user", "admin"]
