"""Issue 13 item 3: users (administrators), one's own API tokens and the event history over /api/v1,
with the Settings page's and the dashboard's rules (core/accounts.py, core/auth.py)."""

from __future__ import annotations

import httpx
import pytest

from mediafetcher_app.core import auth, events
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Role
from tests.factories import PASSWORD, bearer, make_session, make_token, make_user

EVERYTHING = auth.Scope.ALL


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


async def users(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict]:
    return {u["username"]: u for u in (await client.get("/api/v1/users", headers=headers)).json()["users"]}


async def test_an_admin_lists_creates_re_roles_and_disables_users(client):
    make_user("root", Role.admin)
    root = bearer(make_token("root", EVERYTHING))
    created = await client.post("/api/v1/users", json={"username": "carol", "password": PASSWORD}, headers=root)
    assert created.status_code == 201
    carol = created.json()
    assert carol["username"] == "carol" and carol["role"] == "user" and carol["disabled"] is False
    carol_token = bearer(make_token("carol"))
    promoted = await client.patch(f"/api/v1/users/{carol['id']}", json={"role": "admin"}, headers=root)
    assert promoted.json()["role"] == "admin"
    disabled = await client.patch(f"/api/v1/users/{carol['id']}", json={"disabled": True}, headers=root)
    assert disabled.json()["disabled"] is True
    assert (await client.get("/api/v1/ping", headers=carol_token)).status_code == 401  # her token stops working
    assert sorted(await users(client, root)) == ["carol", "root"]


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"username": "root", "password": PASSWORD}, 409, "conflict"),
        ({"username": "dave", "password": "short"}, 400, "invalid_input"),
        ({"username": "dave", "password": PASSWORD, "role": "owner"}, 400, "invalid_body"),
        ({"username": "dave"}, 400, "invalid_body"),
    ],
)
async def test_a_bad_new_user_is_refused_with_a_sentence_and_nothing_is_created(client, body, status, code):
    make_user("root", Role.admin)
    root = bearer(make_token("root", EVERYTHING))
    response = await client.post("/api/v1/users", json=body, headers=root)
    assert error(response, status) == code and response.json()["error"]["message"].endswith(".")
    assert list(await users(client, root)) == ["root"]


async def test_an_admin_cannot_change_their_own_role_or_access(client):
    root_id = make_user("root", Role.admin)
    root = bearer(make_token("root", EVERYTHING))
    assert error(await client.patch(f"/api/v1/users/{root_id}", json={"role": "user"}, headers=root), 409)
    assert error(await client.patch(f"/api/v1/users/{root_id}", json={"disabled": True}, headers=root), 409)
    assert error(await client.patch("/api/v1/users/999", json={"role": "user"}, headers=root), 404) == "not_found"
    assert (await users(client, root))["root"]["role"] == "admin"


async def test_a_non_admin_cannot_use_user_admin_even_with_the_admin_scope(client):
    make_user("root", Role.admin)
    alice_id = make_user("alice")
    alice = bearer(make_token("alice", EVERYTHING))
    attempts = [
        await client.get("/api/v1/users", headers=alice),
        await client.post("/api/v1/users", json={"username": "eve", "password": PASSWORD}, headers=alice),
        await client.post("/api/v1/users", json={"bad": "body"}, headers=alice),
        await client.patch(f"/api/v1/users/{alice_id}", json={"role": "admin"}, headers=alice),
    ]
    assert [error(response, 403) for response in attempts] == ["forbidden"] * 4
    assert sorted(await users(client, bearer(make_token("root", EVERYTHING)))) == ["alice", "root"]


async def test_an_admin_token_without_the_admin_scope_is_refused(client):
    make_user("root", Role.admin)
    narrow = bearer(make_token("root", tuple(s for s in EVERYTHING if s != auth.Scope.ADMIN)))
    response = await client.post("/api/v1/users", json={"username": "eve", "password": PASSWORD}, headers=narrow)
    assert error(response, 403) == "forbidden" and "'admin'" in response.json()["error"]["message"]
    assert error(await client.get("/api/v1/users", headers=narrow), 403)


async def test_tokens_are_listed_created_and_revoked_for_oneself(client):
    make_user("alice")
    alice = bearer(make_token("alice", EVERYTHING))
    created = await client.post("/api/v1/tokens", json={"label": "backup script"}, headers=alice)
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    new = created.json()
    assert new["token"].startswith(auth.TOKEN_PREFIX) and new["scopes"] == sorted(auth.Scope.DEFAULT)
    fresh = bearer(new["token"])
    assert (await client.get("/api/v1/ping", headers=fresh)).status_code == 200
    listed = (await client.get("/api/v1/tokens", headers=alice)).json()["tokens"]
    assert [t["label"] for t in listed] == ["backup script", "test"]
    assert all("token" not in t and new["token"] not in str(t) for t in listed)
    assert (await client.delete(f"/api/v1/tokens/{new['id']}", headers=alice)).status_code == 204
    assert (await client.get("/api/v1/ping", headers=fresh)).status_code == 401
    listed = (await client.get("/api/v1/tokens", headers=alice)).json()["tokens"]
    assert listed[0]["revoked_at"] is not None


async def test_a_token_cannot_mint_a_token_with_more_than_it_has(client):
    make_user("alice")
    narrow = bearer(make_token("alice", (auth.Scope.TOKENS_WRITE, auth.Scope.MEDIA_READ)))
    wider = await client.post("/api/v1/tokens", json={"scopes": ["media:read", "cookies:write"]}, headers=narrow)
    assert error(wider, 403) == "forbidden" and "cookies:write" in wider.json()["error"]["message"]
    unknown = await client.post("/api/v1/tokens", json={"scopes": ["everything"]}, headers=narrow)
    assert error(unknown, 400) == "invalid_body"
    same = await client.post("/api/v1/tokens", json={"scopes": ["media:read"]}, headers=narrow)
    assert same.status_code == 201 and same.json()["scopes"] == ["media:read"]
    assert len((await client.get("/api/v1/tokens", headers=narrow)).json()["tokens"]) == 2


async def test_a_user_cannot_see_or_revoke_another_users_token(client):
    make_user("alice")
    make_user("bob")
    alice = bearer(make_token("alice", EVERYTHING))
    bob = bearer(make_token("bob", EVERYTHING))
    alice_ids = [t["id"] for t in (await client.get("/api/v1/tokens", headers=alice)).json()["tokens"]]
    bob_ids = [t["id"] for t in (await client.get("/api/v1/tokens", headers=bob)).json()["tokens"]]
    assert not set(alice_ids) & set(bob_ids)
    assert error(await client.delete(f"/api/v1/tokens/{alice_ids[0]}", headers=bob), 404) == "not_found"
    assert (await client.get("/api/v1/ping", headers=alice)).status_code == 200


async def test_a_token_without_the_tokens_scope_cannot_list_or_mint(client):
    make_user("alice")
    default = bearer(make_token("alice"))
    assert error(await client.get("/api/v1/tokens", headers=default), 403) == "forbidden"
    assert error(await client.post("/api/v1/tokens", json={}, headers=default), 403) == "forbidden"


async def test_events_show_a_user_their_own_and_an_admin_everything(client):
    alice_id, bob_id = make_user("alice"), make_user("bob")
    make_user("root", Role.admin)
    with session_scope() as db:
        events.record(db, "user", "alice did a thing", user_id=alice_id)
        events.record(db, "user", "bob did a thing", user_id=bob_id)
    alice = bearer(make_token("alice", EVERYTHING))
    root = bearer(make_token("root", EVERYTHING))
    mine = (await client.get("/api/v1/events", headers=alice)).json()["events"]
    assert [e["message"] for e in mine] == ["alice did a thing"]
    everyone = (await client.get("/api/v1/events?limit=1", headers=root)).json()["events"]
    assert [e["message"] for e in everyone] == ["bob did a thing"]
    assert error(await client.get("/api/v1/events?limit=0", headers=root), 400) == "invalid_filter"
    assert error(await client.get("/api/v1/events?limit=many", headers=root), 400) == "invalid_filter"
    assert error(await client.get("/api/v1/events", headers=bearer(make_token("alice"))), 403) == "forbidden"


async def test_a_session_mints_a_token_only_from_the_apps_own_origin(client):
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    forged = await client.post("/api/v1/tokens", json={"label": "x"}, headers={"Origin": "https://evil.example"})
    assert error(forged, 403) == "forbidden"
    assert (await client.get("/api/v1/tokens")).json()["tokens"] == []
    own = await client.post("/api/v1/tokens", json={"label": "mine"}, headers={"Origin": "http://mf.test"})
    assert own.status_code == 201 and own.json()["label"] == "mine"
