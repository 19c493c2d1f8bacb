"""Pairing a browser: approval on the signed-in side, one claim for one token, nothing else."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from mediafetcher_app.core import auth, pairing
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Conflict, Forbidden, InvalidInput
from mediafetcher_app.core.models import ApiToken, Event, PairingRequest, Role
from tests.factories import make_session, make_token, make_user

BASE = "http://mf.test"


def new_code() -> tuple[str, str]:
    """What the extension makes: a secret code and its SHA-256 challenge (the only part in the URL)."""
    code = secrets.token_urlsafe(32)
    return code, auth.digest(code)


def answer_as(username: str, challenge: str, approve: bool = True, name: str = "Chromium on Linux") -> None:
    with session_scope() as db:
        who = auth.principal_for_session(db, make_session(username))
        pairing.answer(db, who, challenge, name, approve)


async def claim(client: httpx.AsyncClient, code: object) -> httpx.Response:
    return await client.post("/api/v1/pair/claim", json={"code": code})


async def test_claim_is_pending_until_approved_then_returns_a_working_token_once(client):
    make_user("alice")
    code, challenge = new_code()
    pending = await claim(client, code)
    assert pending.status_code == 202 and pending.json() == {"status": "pending"}

    answer_as("alice", challenge)
    paired = await claim(client, code)
    assert paired.status_code == 200
    body = paired.json()
    assert body["username"] == "alice" and body["role"] == "user"
    assert body["scopes"] == sorted((*auth.Scope.DEFAULT, auth.Scope.COOKIES_WRITE)), "syncs alice's own cookies"
    assert paired.headers["cache-control"] == "no-store"
    ping = await client.get("/api/v1/ping", headers={"Authorization": f"Bearer {body['token']}"})
    assert ping.status_code == 200 and ping.json()["user"]["username"] == "alice"

    again = await claim(client, code)
    assert again.status_code == 410 and again.json()["error"]["code"] == "pairing_expired"
    with session_scope() as db:
        tokens = db.exec(select(ApiToken)).all()
        assert [t.label for t in tokens] == ["Browser: Chromium on Linux"]
        assert tokens[0].token_hash != body["token"], "stored hashed"
        assert db.exec(select(Event).where(Event.kind == "paired")).one().message == "alice paired Chromium on Linux"


async def test_an_admin_pairing_may_sync_cookies(client):
    make_user("root", Role.admin)
    code, challenge = new_code()
    answer_as("root", challenge)
    body = (await claim(client, code)).json()
    assert auth.Scope.COOKIES_WRITE in body["scopes"]
    synced = await client.post(
        "/api/v1/cookies",
        json={"cookies": [{"name": "sid", "value": "v", "domain": ".youtube.com", "expirationDate": 4102444800}]},
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert synced.status_code == 200 and synced.json()["domains"] == {"youtube.com": 1}


async def test_a_denied_request_is_refused_and_mints_nothing(client):
    make_user("alice")
    code, challenge = new_code()
    answer_as("alice", challenge, approve=False)
    refused = await claim(client, code)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "pairing_denied"
    with session_scope() as db:
        assert db.exec(select(ApiToken)).first() is None


async def test_the_challenge_alone_claims_nothing_and_an_expired_approval_is_gone(client):
    make_user("alice")
    code, challenge = new_code()
    answer_as("alice", challenge)
    assert (await claim(client, challenge)).status_code == 202, "the URL's challenge is not the secret"
    with session_scope() as db:
        request = db.exec(select(PairingRequest)).one()
        request.expires_at = request.expires_at - pairing.PAIRING_TTL - timedelta(seconds=1)
        db.add(request)
    assert (await claim(client, code)).status_code == 410


@pytest.mark.parametrize("code", [None, 42, "", "short", "x" * 200, "has spaces in it but is long enough ok"])
async def test_malformed_codes_are_a_clear_400(client, code):
    response = await claim(client, code)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_code"


def test_an_answer_needs_a_session_a_valid_challenge_and_happens_once():
    make_user("alice")
    _, challenge = new_code()
    with session_scope() as db:
        via_token = auth.principal_for_token(db, make_token("alice"))
        with pytest.raises(Forbidden):
            pairing.answer(db, via_token, challenge, "x", True)
    with pytest.raises(InvalidInput):
        answer_as("alice", "not-a-sha256")
    answer_as("alice", challenge)
    with pytest.raises(Conflict):
        answer_as("alice", challenge, approve=False)


def test_answers_purge_expired_requests():
    make_user("alice")
    _, old = new_code()
    answer_as("alice", old)
    with session_scope() as db:
        request = db.exec(select(PairingRequest)).one()
        request.expires_at = request.expires_at - 2 * pairing.PAIRING_TTL
        db.add(request)
    answer_as("alice", new_code()[1])
    with session_scope() as db:
        assert len(db.exec(select(PairingRequest)).all()) == 1
        assert db.exec(select(PairingRequest).where(PairingRequest.challenge == old)).first() is None


def test_names_are_cleaned_and_the_confirmation_code_is_short():
    assert pairing.clean_name("  Firefox\x00 on\n  Mac  ") == "Firefox on Mac"
    assert pairing.clean_name(None) == pairing.DEFAULT_NAME
    assert len(pairing.clean_name("x" * 500)) == 64
    assert pairing.confirmation_code("ab12cd34" + "0" * 56) == "AB12-CD34"


async def test_unpair_revokes_the_calling_token(client):
    make_user("alice")
    token = make_token("alice")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/api/v1/pair/unpair", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/ping", headers=headers)).status_code == 401
    assert (await client.post("/api/v1/pair/unpair", headers=headers)).status_code == 401
