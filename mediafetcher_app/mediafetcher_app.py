"""The Reflex app: pages, our HTTP routes in front (api_transformer) and the broadcaster."""

import reflex as rx

from mediafetcher_app.api import build_api
from mediafetcher_app.pages.dashboard import dashboard_page
from mediafetcher_app.pages.feed import feed_page
from mediafetcher_app.pages.login import login_page, setup_page
from mediafetcher_app.pages.placeholders import library_page, settings_page
from mediafetcher_app.state import broadcaster
from mediafetcher_app.state.auth import AuthState
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.feed import FeedState
from mediafetcher_app.state.login import LoginState, SetupState

app = rx.App(
    api_transformer=build_api(),
    head_components=[rx.el.meta(name="theme-color", content="#5b5bd6")],
)

app.add_page(login_page, route="/login", title="Sign in · MediaFetcher", on_load=LoginState.load)
app.add_page(setup_page, route="/setup", title="Set up · MediaFetcher", on_load=SetupState.load)
app.add_page(feed_page, route="/", title="Feed · MediaFetcher", on_load=[AuthState.require_login, FeedState.load])
app.add_page(
    dashboard_page,
    route="/dashboard",
    title="Dashboard · MediaFetcher",
    on_load=[AuthState.require_login, DashboardState.load],
)
app.add_page(library_page, route="/library", title="Library · MediaFetcher", on_load=AuthState.require_login)
app.add_page(settings_page, route="/settings", title="Settings · MediaFetcher", on_load=AuthState.require_login)
app.register_lifespan_task(broadcaster.run)

from mediafetcher_app.pages.pair import pair_page  # noqa: E402
from mediafetcher_app.state.pairing import PairPageState  # noqa: E402

app.add_page(pair_page, route="/pair", title="Pair a browser · MediaFetcher", on_load=PairPageState.load)
