"""Accounts, sessions and tokens against the real database."""

from __future__ import annotations

import pytest
from sqlmodel import select

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, RateLimited
from mediafetcher_app.core.models import ApiToken, Role, Session, User
from tests.factories import PASSWORD, make_session, make_token, make_user


def test_passwords_are_stored_as_argon2_hashes():
    make_user("alice")
    with session_scope() as db:
        stored = db.exec(select(User)).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_authenticate_accepts_the_right_password_case_insensitively_by_name():
    make_user("Alice")
    with session_scope() as db:
        assert auth.authenticate(db, "alice", PASSWORD).username == "Alice"


@pytest.mark.parametrize("username,password", [("alice", "wrong password"), ("nobody", PASSWORD)])
def test_authenticate_rejects_wrong_credentials_with_one_message(username, password):
    make_user("alice")
    with session_scope() as db, pytest.raises(NotAuthenticated, match="Wrong username or password"):
        auth.authenticate(db, username, password)


def test_disabled_user_cannot_sign_in():
    make_user("alice")
    with session_scope() as db:
        db.exec(select(User)).one().disabled = True
    with session_scope() as db, pytest.raises(NotAuthenticated):
        auth.authenticate(db, "alice", PASSWORD)


def test_repeated_failures_are_rate_limited_even_with_the_right_password():
    make_user("alice")
    for _ in range(5):
        with session_scope() as db, pytest.raises(NotAuthenticated):
            auth.authenticate(db, "alice", "guess", "10.0.0.5")
    with session_scope() as db, pytest.raises(RateLimited):
        auth.authenticate(db, "alice", PASSWORD, "10.0.0.5")


def test_failures_count_per_name_and_address_pair():
    """Failures for other names from the same address, or for the same name from another
    address, do not slow this pair down (issue 8: nobody locks a name out from elsewhere)."""
    make_user("alice")
    for name in ("u1", "u2", "u3", "u4", "u5"):
        with session_scope() as db, pytest.raises(NotAuthenticated):
            auth.authenticate(db, name, "guess", "10.0.0.9")
    with session_scope() as db:
        assert auth.authenticate(db, "alice", PASSWORD, "10.0.0.9").username == "alice"
    for _ in range(5):
        with session_scope() as db, pytest.raises(NotAuthenticated):
            auth.authenticate(db, "alice", "guess", "10.0.0.9")
    with session_scope() as db, pytest.raises(RateLimited):
        auth.authenticate(db, "alice", PASSWORD, "10.0.0.9")
    with session_scope() as db:
        assert auth.authenticate(db, "alice", PASSWORD, "10.0.0.10").username == "alice"


def test_duplicate_username_and_weak_inputs_are_refused():
    make_user("alice")
    with session_scope() as db, pytest.raises(Conflict):
        auth.create_user(db, "ALICE", PASSWORD)
    with session_scope() as db, pytest.raises(InvalidInput):
        auth.create_user(db, "bob", "short")
    with session_scope() as db, pytest.raises(InvalidInput):
        auth.create_user(db, "bad name!", PASSWORD)


def test_first_admin_is_created_only_when_no_user_exists():
    with session_scope() as db:
        assert auth.ensure_first_admin(db, "root", PASSWORD).role == Role.admin
    with session_scope() as db:
        assert auth.ensure_first_admin(db, "second", PASSWORD) is None


def test_session_token_is_stored_hashed_and_resolves_to_the_user():
    make_user("alice", Role.admin)
    token = make_session("alice")
    with session_scope() as db:
        stored = db.exec(select(Session)).one().token_hash
        principal = auth.principal_for_session(db, token)
    assert stored == auth.digest(token) and token not in stored
    assert principal.username == "alice" and principal.is_admin


def test_revoked_session_and_sign_out_everywhere():
    user_id = make_user("alice")
    first, second = make_session("alice"), make_session("alice")
    with session_scope() as db:
        auth.revoke_session(db, first)
    with session_scope() as db, pytest.raises(NotAuthenticated):
        auth.principal_for_session(db, first)
    with session_scope() as db:
        assert auth.principal_for_session(db, second).user_id == user_id
        assert auth.revoke_all_sessions(db, user_id) == 1
    with session_scope() as db, pytest.raises(NotAuthenticated):
        auth.principal_for_session(db, second)


def test_token_carries_only_its_scopes_and_is_stored_hashed():
    make_user("alice")
    token = make_token("alice", (auth.Scope.DOWNLOADS_READ,))
    with session_scope() as db:
        principal = auth.principal_for_token(db, token)
        row = db.exec(select(ApiToken)).one()
    assert principal.scopes == {auth.Scope.DOWNLOADS_READ}
    assert row.token_hash == auth.digest(token) and row.prefix == token[:10]
    with pytest.raises(Forbidden):
        principal.require_scope(auth.Scope.DOWNLOADS_WRITE)


def test_revoked_token_is_refused():
    make_user("alice")
    token = make_token("alice")
    with session_scope() as db:
        principal = auth.principal_for_token(db, token)
        [row] = auth.list_tokens(db, principal.user_id)
        auth.revoke_token(db, principal, row.id)
    with session_scope() as db, pytest.raises(NotAuthenticated, match="revoked"):
        auth.principal_for_token(db, token)


def test_user_cannot_revoke_someone_elses_token_but_may_mint_cookie_scope():
    make_user("alice")
    make_user("bob")
    token = make_token("alice")
    with session_scope() as db:
        alice_token = auth.list_tokens(db, auth.principal_for_token(db, token).user_id)[0]
        bob = auth.principal_for_token(db, make_token("bob"))
        with pytest.raises(Exception, match="No such token"):
            auth.revoke_token(db, bob, alice_token.id)
        cookie_token = auth.create_token(db, auth.get_user(db, "bob"), "x", (auth.Scope.COOKIES_WRITE,))
        assert auth.principal_for_token(db, cookie_token).scopes == {auth.Scope.COOKIES_WRITE}
