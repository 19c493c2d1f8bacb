"""The Reflex app: pages, our HTTP routes in front (api_transformer) and the broadcaster."""

import contextlib
from collections.abc import AsyncIterator

import reflex as rx

from mediafetcher_app.api import SecurityLayer, build_api
from mediafetcher_app.api.origins import socketio_origin_allowed
from mediafetcher_app.api.webapp import THEME_COLOR
from mediafetcher_app.pages.dashboard import dashboard_page
from mediafetcher_app.pages.feed import feed_page
from mediafetcher_app.pages.library import library_page
from mediafetcher_app.pages.login import login_page, setup_page
from mediafetcher_app.pages.pair import pair_page
from mediafetcher_app.pages.settings import settings_page
from mediafetcher_app.pages.share import share_page
from mediafetcher_app.pages.sources import sources_page
from mediafetcher_app.state.auth import AuthState
from mediafetcher_app.state.dashboard import DashboardState, live_updates
from mediafetcher_app.state.feed import FeedState
from mediafetcher_app.state.library import LibraryState
from mediafetcher_app.state.login import LoginState, SetupState
from mediafetcher_app.state.pairing import PairPageState
from mediafetcher_app.state.settings import SettingsState
from mediafetcher_app.state.share import ShareState
from mediafetcher_app.state.sources import SourcesState
from worker.client import close_pool

app = rx.App(
    # Our routes in front of Reflex's, then the security layer around everything (api/security.py).
    api_transformer=[build_api(), SecurityLayer],
    # Installable web app (api/webapp.py): the manifest and the non-caching service worker.
    head_components=[
        rx.el.meta(name="theme-color", content=THEME_COLOR),
        rx.el.link(rel="manifest", href="/manifest.webmanifest"),
        rx.el.link(rel="apple-touch-icon", href="/icons/icon-192.png"),
        rx.script(src="/sw-register.js"),
    ],
)
# Socket.IO checks the websocket's Origin itself, against rxconfig's cors_allowed_origins: a static
# list that cannot name our own origin (it is whatever Host the browser used). Give it our policy.
assert app.sio is not None
app.sio.eio.cors_allowed_origins = socketio_origin_allowed


def signed_in_page(component, route: str, title: str, state_load) -> None:
    """A page behind sign-in: the session is checked on load, then the page's own data loads."""
    app.add_page(component, route=route, title=f"{title} · MediaFetcher", on_load=[AuthState.require_login, state_load])


app.add_page(login_page, route="/login", title="Sign in · MediaFetcher", on_load=LoginState.load)
app.add_page(setup_page, route="/setup", title="Set up · MediaFetcher", on_load=SetupState.load)
app.add_page(pair_page, route="/pair", title="Pair a browser · MediaFetcher", on_load=PairPageState.load)
signed_in_page(feed_page, "/", "Feed", FeedState.load)
signed_in_page(dashboard_page, "/dashboard", "Dashboard", DashboardState.load)
signed_in_page(library_page, "/library", "Library", LibraryState.load)
signed_in_page(sources_page, "/sources", "Sources", SourcesState.load)
signed_in_page(settings_page, "/settings", "Settings", SettingsState.load)
# Its own sign-in check: signed out, the shared link must survive the trip through /login.
app.add_page(share_page, route="/share", title="Share · MediaFetcher", on_load=ShareState.load)
app.register_lifespan_task(live_updates)


@contextlib.asynccontextmanager
async def queue_connection() -> AsyncIterator[None]:
    """The Arq pool is opened on first enqueue; close it when the app stops."""
    yield
    await close_pool()


app.register_lifespan_task(queue_connection)
