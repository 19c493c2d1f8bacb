"""The Reflex states' events, called as the websocket would call them, on the real database.

Each event must act for a signed-in user and refuse otherwise: signed out -> the sign-in page;
wrong role -> an error toast and nothing changed.
"""

from __future__ import annotations

import pytest
import reflex as rx
from sqlmodel import select

from mediafetcher_app.core import auth, folders_tags
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, Folder, JobStatus, Media, Role, User
from mediafetcher_app.state.add_url import AddUrlState
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.feed import FeedState
from mediafetcher_app.state.library import LibraryState
from mediafetcher_app.state.settings import SettingsState
from mediafetcher_app.state.viewer import ViewerState
from tests.factories import PASSWORD, make_media, make_user
from tests.states import call, is_error_toast, is_login_redirect, state


@pytest.mark.parametrize(
    "cls,event,args",
    [
        (LibraryState, "load", ()),
        (LibraryState, "delete_folder", (1,)),
        (FeedState, "load", ()),
        (ViewerState, "open", (1,)),
        (FeedState, "bulk_tag_selected", ()),
        (DashboardState, "load", ()),
        (DashboardState, "cancel", (1,)),
        (SettingsState, "load", ()),
        (SettingsState, "set_role", (1, "admin")),
    ],
)
async def test_signed_out_events_send_to_sign_in_and_touch_nothing(cls, event, args):
    make_user("root", Role.admin)
    assert is_login_redirect(await call(state(cls, None), event, *args))
    with session_scope() as db:
        assert db.exec(select(User)).one().role == Role.admin


async def test_a_revoked_session_is_refused_at_the_next_event(user_session):
    library = state(LibraryState, user_session)
    assert await call(library, "load") is None and library.loaded
    with session_scope() as db:
        auth.revoke_session(db, user_session)
    assert is_login_redirect(await call(library, "create_folder", {}))


async def test_library_events_create_rename_move_and_delete(user_session):
    library = state(LibraryState, user_session)
    await call(library, "load")
    library.new_folder = "Trips"
    await call(library, "create_folder", {})
    library.new_folder = "Japan"
    library.new_parent = str(library.folders[0]["id"])
    await call(library, "create_folder", {})
    assert [(f["name"], f["depth"]) for f in library.folders] == [("Trips", 0), ("Japan", 1)]
    assert library.new_folder == ""
    japan = library.folders[1]
    await call(library, "start_edit", japan)
    library.edit_name, library.edit_parent = "Japan 2026", "root"
    await call(library, "save_edit", {})
    assert sorted((f["name"], f["depth"]) for f in library.folders) == [("Japan 2026", 0), ("Trips", 0)]
    library.new_folder, library.new_parent = "trips", "root"
    assert is_error_toast(await call(library, "create_folder", {})), "a duplicate name is refused with a reason"
    await call(library, "delete_folder", japan["id"])
    assert [f["name"] for f in library.folders] == ["Trips"]


async def test_feed_viewer_edits_tags_and_folders_and_only_admins_delete(user_session, admin_session):
    media_id = make_media("Clip")
    with session_scope() as db:
        folder_id = folders_tags.create_folder(db, auth.principal_for_session(db, user_session), "Best").id
    viewer = state(ViewerState, user_session)
    feed = viewer.parent_state
    assert isinstance(feed, FeedState)
    await call(feed, "load")
    assert feed.tags == []
    await call(viewer, "open", media_id)
    assert viewer.viewer_open and viewer.v_title == "Clip" and viewer.v_sources[0]["platform"] == "youtube"
    viewer.v_new_tag = "Cats"
    await call(viewer, "add_tag")
    await call(viewer, "add_to_folder", str(folder_id))
    assert viewer.v_tags == ["cats"] and [f["name"] for f in viewer.v_folders] == ["Best"]
    assert feed.tags == ["cats"], "an edit in the viewer refreshes the feed's options"
    await call(viewer, "remove_tag", "cats")
    await call(viewer, "remove_from_folder", folder_id)
    assert viewer.v_tags == [] and viewer.v_folders == []
    assert is_error_toast(await call(viewer, "delete_media"))
    with session_scope() as db:
        assert db.get(Media, media_id) is not None
    admin_viewer = state(ViewerState, admin_session)
    await call(admin_viewer, "open", media_id)
    refresh_key = admin_viewer.parent_state.refresh_key
    await call(admin_viewer, "delete_media")
    assert not admin_viewer.viewer_open and admin_viewer.parent_state.refresh_key == refresh_key + 1
    with session_scope() as db:
        assert db.get(Media, media_id) is None


async def test_feed_bulk_actions_and_filters(user_session):
    first, second = make_media("One"), make_media("Two", kind="image")
    with session_scope() as db:
        folder_id = folders_tags.create_folder(db, auth.principal_for_session(db, user_session), "Pile").id
    feed = state(FeedState, user_session)
    await call(feed, "load")
    await call(feed, "toggle_selecting")
    await call(feed, "toggle", first)
    await call(feed, "toggle", second)
    feed.bulk_folder = str(folder_id)
    await call(feed, "bulk_add_to_folder")
    assert feed.selected == [] and not feed.selecting
    with session_scope() as db:
        assert {n.name: n.count for n in folders_tags.folder_tree(db)} == {"Pile": 2}
    await call(feed, "set_filter", "kind", "image")
    assert feed.query == "kind=image"
    assert is_error_toast(await call(feed, "set_filter", "kind", "gif")) and feed.kind == ""
    viewer = feed.get_substate([ViewerState.get_name()])
    await call(viewer, "open", first)
    await call(viewer, "step", True)
    assert viewer.media_id in (first, second)


async def test_settings_users_are_admin_only(user_session, admin_session):
    with session_scope() as db:
        alice_id = db.exec(select(User.id).where(User.username == "alice")).one()
    user_settings = state(SettingsState, user_session)
    await call(user_settings, "load")
    assert user_settings.users == [] and user_settings.disk_total
    assert is_error_toast(await call(user_settings, "set_role", alice_id, "admin"))
    assert is_error_toast(await call(user_settings, "create_user", {"username": "eve", "password": PASSWORD}))
    with session_scope() as db:
        assert db.get(User, alice_id).role == Role.user
        assert db.exec(select(User).where(User.username == "eve")).first() is None
    admin_settings = state(SettingsState, admin_session)
    await call(admin_settings, "load")
    assert [u["username"] for u in admin_settings.users] == ["alice", "root"]
    await call(admin_settings, "set_role", alice_id, "admin")
    await call(admin_settings, "set_disabled", alice_id, True)
    assert admin_settings.users[0] | {"created": ""} == {
        "id": alice_id,
        "username": "alice",
        "role": "admin",
        "disabled": True,
        "created": "",
    }


async def test_change_password_checks_the_current_one(user_session):
    settings = state(SettingsState, user_session)
    assert is_error_toast(
        await call(settings, "change_password", {"current": "nope", "new": "x" * 9, "confirm": "x" * 9})
    )
    await call(settings, "change_password", {"current": PASSWORD, "new": "new-password-1", "confirm": "new-password-1"})
    with session_scope() as db:
        assert auth.authenticate(db, "alice", "new-password-1")


async def submit(adder: rx.State, url: str) -> list:
    """Run the add box's submit (an async generator of UI updates) to its end."""
    return await call(adder, "submit", {"url": url})


async def test_add_url_creates_and_enqueues_a_job_or_says_why_not(user_session):
    adder = state(AddUrlState, user_session)
    steps = await submit(adder, "ftp://example.com/x")
    assert any(is_error_toast(step) for step in steps) and not adder.busy
    adder.audio_only = True
    await submit(adder, "https://example.com/song")
    with session_scope() as db:
        job = db.exec(select(DownloadJob)).one()
    assert job.url == "https://example.com/song" and job.audio_only and job.arq_job_id
    assert adder.url == "" and not adder.busy


async def test_dashboard_cancel_and_retry(user_session):
    await submit(state(AddUrlState, user_session), "https://example.com/v")
    dashboard = state(DashboardState, user_session)
    await call(dashboard, "load")
    [row] = dashboard.active_jobs
    assert row["status"] == "queued" and dashboard.counters["active"] == 1
    await call(dashboard, "cancel", row["id"])
    assert dashboard.history[0]["status"] == "cancelled" and dashboard.active_jobs == []
    await call(dashboard, "retry", row["id"])
    assert dashboard.active_jobs[0]["status"] == "queued"
    with session_scope() as db:
        assert db.get(DownloadJob, row["id"]).status == JobStatus.queued
        assert db.exec(select(Folder)).all() == []


async def test_a_settings_token_with_the_library_choice_can_organise_the_library_and_no_more(user_session):
    from mediafetcher_app.state.pairing import ApiTokensState

    tokens = state(ApiTokensState, user_session)
    await call(tokens, "create", {"label": "organiser", "library": "on"})
    with session_scope() as db:
        who = auth.principal_for_token(db, tokens.new_token)
    assert who.username == "alice"
    assert {auth.Scope.LIBRARY_READ, auth.Scope.LIBRARY_WRITE, auth.Scope.MEDIA_READ} <= who.scopes
    assert auth.Scope.ADMIN not in who.scopes and auth.Scope.COOKIES_WRITE not in who.scopes
    await call(tokens, "create", {"label": "everything", "full": "on"})
    with session_scope() as db:
        assert auth.principal_for_token(db, tokens.new_token).scopes == frozenset(auth.Scope.ALL)
    assert [row["label"] for row in tokens.tokens] == ["everything", "organiser"]
