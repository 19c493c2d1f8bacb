"""Issue 13 item 3: the library over /api/v1 (media edits, folders, tags, bulk filing), through the
real Starlette app and database, with the web UI's rules (core/folders_tags.py)."""

from __future__ import annotations

import httpx
import pytest

from mediafetcher_app.core import auth, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Media, Role
from tests.factories import bearer, make_media, make_token, make_user

LIBRARY = (auth.Scope.MEDIA_READ, auth.Scope.LIBRARY_READ, auth.Scope.LIBRARY_WRITE)


@pytest.fixture
def alice() -> dict[str, str]:
    make_user("alice")
    return bearer(make_token("alice", LIBRARY))


@pytest.fixture
def bob() -> dict[str, str]:
    make_user("bob")
    return bearer(make_token("bob", LIBRARY))


@pytest.fixture
def root() -> dict[str, str]:
    make_user("root", Role.admin)
    return bearer(make_token("root", LIBRARY))


def error(response: httpx.Response, status: int) -> str:
    """The JSON error's code, after checking the status."""
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


async def folder(client: httpx.AsyncClient, headers: dict[str, str], name: str, parent_id: int | None = None) -> int:
    response = await client.post("/api/v1/folders", json={"name": name, "parent_id": parent_id}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def tree(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict]:
    return {f["name"]: f for f in (await client.get("/api/v1/folders", headers=headers)).json()["folders"]}


async def test_a_media_title_and_tags_are_edited_and_shown_in_its_detail(client, alice):
    media_id = make_media("Old title")
    edited = await client.patch(
        f"/api/v1/media/{media_id}", json={"title": "  New   title ", "tags": ["Cats", "dogs"]}, headers=alice
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "New title" and edited.json()["tags"] == ["cats", "dogs"]
    again = await client.patch(f"/api/v1/media/{media_id}", json={"tags": ["dogs", "birds"]}, headers=alice)
    assert again.json()["tags"] == ["birds", "dogs"] and again.json()["title"] == "New title"
    detail = (await client.get(f"/api/v1/media/{media_id}", headers=alice)).json()
    assert detail["title"] == "New title" and detail["tags"] == ["birds", "dogs"]
    cleared = await client.patch(f"/api/v1/media/{media_id}", json={"tags": []}, headers=alice)
    assert cleared.json()["tags"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({"title": 5}, "title"),
        ({"title": "ok", "colour": "red"}, "colour"),
        ({"tags": "cats"}, "tags"),
        ({"tags": ["x" * 300]}, "tags.0"),
        ({"title": "   "}, ""),
        ({}, ""),
    ],
)
async def test_a_bad_media_edit_is_a_400_with_a_sentence_and_changes_nothing(client, alice, body, field):
    media_id = make_media("Kept")
    response = await client.patch(f"/api/v1/media/{media_id}", json=body, headers=alice)
    assert error(response, 400) in ("invalid_body", "invalid_input")
    assert field in response.json()["error"]["message"]
    detail = (await client.get(f"/api/v1/media/{media_id}", headers=alice)).json()
    assert detail["title"] == "Kept" and detail["tags"] == []


async def test_a_body_that_is_not_json_is_a_400(client, alice):
    response = await client.post("/api/v1/folders", content=b"{name: trips", headers=alice)
    assert error(response, 400) == "invalid_json"


async def test_editing_or_deleting_missing_media_is_a_404(client, root):
    assert error(await client.patch("/api/v1/media/999", json={"title": "x"}, headers=root), 404) == "not_found"
    assert error(await client.delete("/api/v1/media/999", headers=root), 404) == "not_found"


async def test_deleting_media_needs_an_admin_and_removes_its_file(client, alice, root):
    media_id = make_media("Doomed")
    with session_scope() as db:
        path = storage.absolute(db.get(Media, media_id).path)
    assert error(await client.delete(f"/api/v1/media/{media_id}", headers=alice), 403) == "forbidden"
    assert path.is_file()
    assert (await client.delete(f"/api/v1/media/{media_id}", headers=root)).status_code == 204
    assert not path.exists()
    assert (await client.get(f"/api/v1/media/{media_id}", headers=root)).status_code == 404


async def test_folders_are_created_renamed_moved_and_deleted(client, alice):
    trips = await folder(client, alice, "Trips")
    inbox = await folder(client, alice, "Inbox")
    renamed = await client.patch(f"/api/v1/folders/{trips}", json={"name": "Travel"}, headers=alice)
    assert renamed.json() == {"id": trips, "name": "Travel", "parent_id": None, "depth": 0, "count": 0}
    moved = await client.patch(f"/api/v1/folders/{trips}", json={"parent_id": inbox}, headers=alice)
    assert moved.json()["parent_id"] == inbox and moved.json()["depth"] == 1
    back = await client.patch(f"/api/v1/folders/{trips}", json={"parent_id": None}, headers=alice)
    assert back.json()["parent_id"] is None
    assert (await client.delete(f"/api/v1/folders/{inbox}", headers=alice)).status_code == 204
    assert list(await tree(client, alice)) == ["Travel"]


async def test_folder_conflicts_and_missing_folders_are_409_and_404(client, alice):
    trips = await folder(client, alice, "Trips")
    taken = await client.post("/api/v1/folders", json={"name": "trips"}, headers=alice)
    assert error(taken, 409) == "conflict" and "already exists" in taken.json()["error"]["message"]
    inside = await client.patch(f"/api/v1/folders/{trips}", json={"parent_id": trips}, headers=alice)
    assert error(inside, 400) == "invalid_input"
    assert error(await client.post("/api/v1/folders", json={"name": "X", "parent_id": 999}, headers=alice), 404)
    assert error(await client.patch("/api/v1/folders/999", json={"name": "Y"}, headers=alice), 404)
    assert error(await client.delete("/api/v1/folders/999", headers=alice), 404)
    assert error(await client.patch(f"/api/v1/folders/{trips}", json={}, headers=alice), 400) == "invalid_body"
    assert error(await client.patch("/api/v1/folders/abc", json={"name": "Z"}, headers=alice), 400) == "invalid_id"
    assert list(await tree(client, alice)) == ["Trips"]


async def test_a_user_cannot_rename_move_or_delete_what_someone_else_created(client, alice, bob, root):
    trips = await folder(client, alice, "Trips")
    elsewhere = await folder(client, bob, "Bob's")
    tag = (await client.post("/api/v1/tags", json={"name": "cats"}, headers=alice)).json()["tag"]["id"]
    refused = [
        await client.patch(f"/api/v1/folders/{trips}", json={"name": "Mine now"}, headers=bob),
        await client.patch(f"/api/v1/folders/{trips}", json={"parent_id": elsewhere}, headers=bob),
        await client.delete(f"/api/v1/folders/{trips}", headers=bob),
        await client.patch(f"/api/v1/tags/{tag}", json={"name": "dogs"}, headers=bob),
        await client.delete(f"/api/v1/tags/{tag}", headers=bob),
    ]
    assert [error(response, 403) for response in refused] == ["forbidden"] * 5
    assert (await tree(client, alice))["Trips"]["parent_id"] is None
    assert [t["name"] for t in (await client.get("/api/v1/tags", headers=alice)).json()["tags"]] == ["cats"]
    assert (await client.patch(f"/api/v1/tags/{tag}", json={"name": "kittens"}, headers=root)).status_code == 200
    assert (await client.delete(f"/api/v1/folders/{trips}", headers=root)).status_code == 204


async def test_bulk_filing_adds_and_removes_media_and_names_missing_ids(client, alice, bob):
    media = [make_media(f"Clip {n}") for n in range(3)]
    trips = await folder(client, alice, "Trips")
    added = await client.post(f"/api/v1/folders/{trips}/media", json={"media_ids": media}, headers=bob)
    assert added.json() == {"folder": {**(await tree(client, bob))["Trips"], "count": 3}, "changed": 3}
    again = await client.post(f"/api/v1/folders/{trips}/media", json={"media_ids": media[:1]}, headers=bob)
    assert again.json()["changed"] == 0
    missing = await client.post(f"/api/v1/folders/{trips}/media/remove", json={"media_ids": [*media, 999]}, headers=bob)
    assert error(missing, 404) == "not_found" and "999" in missing.json()["error"]["message"]
    assert (await tree(client, bob))["Trips"]["count"] == 3  # nothing removed
    removed = await client.post(f"/api/v1/folders/{trips}/media/remove", json={"media_ids": media[:2]}, headers=bob)
    assert removed.json()["changed"] == 2 and removed.json()["folder"]["count"] == 1
    assert error(await client.post(f"/api/v1/folders/{trips}/media", json={"media_ids": []}, headers=bob), 400)
    over = {"media_ids": list(range(1, 1002))}
    assert error(await client.post(f"/api/v1/folders/{trips}/media", json=over, headers=bob), 400) == "invalid_body"
    assert error(await client.post("/api/v1/folders/999/media", json={"media_ids": media}, headers=bob), 404)


async def test_tags_are_listed_renamed_deleted_and_put_on_and_taken_off_media_in_bulk(client, alice):
    media = [make_media(f"Clip {n}") for n in range(3)]
    created = await client.post("/api/v1/tags", json={"name": "Cats", "media_ids": media[:2]}, headers=alice)
    tag = created.json()["tag"]
    assert tag["name"] == "cats" and tag["count"] == 2 and created.json()["changed"] == 2
    more = await client.post(f"/api/v1/tags/{tag['id']}/media", json={"media_ids": media}, headers=alice)
    assert more.json()["changed"] == 1 and more.json()["tag"]["count"] == 3
    fewer = await client.post(f"/api/v1/tags/{tag['id']}/media/remove", json={"media_ids": media[1:]}, headers=alice)
    assert fewer.json() == {"tag": {**tag, "count": 1}, "changed": 2}
    renamed = await client.patch(f"/api/v1/tags/{tag['id']}", json={"name": "Felines"}, headers=alice)
    assert renamed.json() == {"id": tag["id"], "name": "felines", "count": 1}
    await client.post("/api/v1/tags", json={"name": "dogs"}, headers=alice)
    clash = await client.patch(f"/api/v1/tags/{tag['id']}", json={"name": "dogs"}, headers=alice)
    assert error(clash, 409) == "conflict"
    listed = (await client.get("/api/v1/tags", headers=alice)).json()["tags"]
    assert [(t["name"], t["count"]) for t in listed] == [("dogs", 0), ("felines", 1)]
    assert (await client.delete(f"/api/v1/tags/{tag['id']}", headers=alice)).status_code == 204
    assert error(await client.delete(f"/api/v1/tags/{tag['id']}", headers=alice), 404) == "not_found"
    assert (await client.get(f"/api/v1/media/{media[0]}", headers=alice)).json()["tags"] == []


@pytest.mark.parametrize(
    "method,path,body,scope",
    [
        ("GET", "/api/v1/folders", None, auth.Scope.LIBRARY_READ),
        ("GET", "/api/v1/tags", None, auth.Scope.LIBRARY_READ),
        ("POST", "/api/v1/folders", {"name": "Trips"}, auth.Scope.LIBRARY_WRITE),
        ("PATCH", "/api/v1/media/{media}", {"title": "Mine"}, auth.Scope.LIBRARY_WRITE),
        ("POST", "/api/v1/tags", {"name": "cats", "media_ids": ["{media}"]}, auth.Scope.LIBRARY_WRITE),
    ],
)
async def test_a_token_without_the_library_scope_is_refused_and_changes_nothing(client, method, path, body, scope):
    media_id = make_media("Untouched")
    make_user("alice")
    others = tuple(s for s in auth.Scope.ALL if s != scope)
    if body and "media_ids" in body:
        body = {**body, "media_ids": [media_id]}
    url = path.format(media=media_id)
    response = await client.request(method, url, json=body, headers=bearer(make_token("alice", others)))
    assert error(response, 403) == "forbidden" and scope in response.json()["error"]["message"]
    everything = bearer(make_token("alice", auth.Scope.ALL))
    detail = (await client.get(f"/api/v1/media/{media_id}", headers=everything)).json()
    assert detail["title"] == "Untouched" and detail["tags"] == [] and await tree(client, everything) == {}


async def test_an_anonymous_caller_gets_401_before_any_body_check(client):
    response = await client.post("/api/v1/folders", json={"name": 5})
    assert error(response, 401) == "not_authenticated"
