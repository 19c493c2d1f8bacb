"""Media listing and files over HTTP: signed-in or token only, Range for seeking."""

from __future__ import annotations

from mediafetcher_app.core import auth
from tests.factories import make_media, make_session, make_token, make_user


async def test_files_need_a_session_or_a_token(client):
    media_id = make_media("Private")
    assert (await client.get(f"/media/{media_id}")).status_code == 401
    assert (await client.get(f"/thumbs/{media_id}")).status_code == 401
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    assert (await client.get(f"/media/{media_id}")).status_code == 200


async def test_range_requests_return_partial_content(client):
    content = bytes(range(256)) * 100
    media_id = make_media("Seekable", content=content)
    make_user("alice")
    headers = {"Authorization": f"Bearer {make_token('alice')}", "Range": "bytes=1000-1099"}
    response = await client.get(f"/media/{media_id}", headers=headers)
    assert response.status_code == 206
    assert response.content == content[1000:1100]
    assert response.headers["content-range"] == f"bytes 1000-1099/{len(content)}"
    assert response.headers["content-type"] == "video/mp4"


async def test_download_asks_the_browser_to_save_with_the_title(client):
    media_id = make_media("Holiday: part 1")
    make_user("alice")
    response = await client.get(
        f"/media/{media_id}?download=1", headers={"Authorization": f"Bearer {make_token('alice')}"}
    )
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-disposition"].endswith("''Holiday%20part%201.mp4")


async def test_missing_media_and_missing_thumbnail_are_404(client):
    media_id = make_media("No thumb")
    make_user("alice")
    headers = {"Authorization": f"Bearer {make_token('alice')}"}
    assert (await client.get("/media/999999", headers=headers)).status_code == 404
    assert (await client.get(f"/thumbs/{media_id}", headers=headers)).status_code == 404


async def test_list_pages_with_a_cursor_and_rejects_bad_filters(client):
    for n in range(5):
        make_media(f"Item {n}")
    make_user("alice")
    headers = {"Authorization": f"Bearer {make_token('alice')}"}
    first = (await client.get("/api/v1/media?limit=3", headers=headers)).json()
    assert [item["title"] for item in first["items"]] == ["Item 4", "Item 3", "Item 2"]
    second = (await client.get(f"/api/v1/media?limit=3&before={first['next']}", headers=headers)).json()
    assert [item["title"] for item in second["items"]] == ["Item 1", "Item 0"] and second["next"] is None
    bad = await client.get("/api/v1/media?kind=gif", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_filter"
    bad_date = await client.get("/api/v1/media?posted_from=yesterday", headers=headers)
    assert bad_date.status_code == 400


async def test_token_without_media_scope_is_refused(client):
    media_id = make_media("Scoped")
    make_user("alice")
    headers = {"Authorization": f"Bearer {make_token('alice', (auth.Scope.DOWNLOADS_READ,))}"}
    assert (await client.get(f"/media/{media_id}", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/media", headers=headers)).status_code == 403
