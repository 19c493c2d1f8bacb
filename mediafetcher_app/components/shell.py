"""The signed-in layout: a sidebar on desktop, a bottom bar on a phone, the add box on top."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.state.auth import AuthState
from mediafetcher_app.state.feed import FeedState

from .add_url import add_url_box

NAV = (
    ("Feed", "/", "layout-grid"),
    ("Dashboard", "/dashboard", "activity"),
    ("Library", "/library", "folder-tree"),
    ("Sources", "/sources", "rss"),
    ("Settings", "/settings", "settings"),
)

DESKTOP = ["none", "none", "flex"]
PHONE = ["flex", "flex", "none"]


def _is_current(href: str) -> rx.Var:
    return AuthState.router.url.path == href


def _sidebar_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), spacing="3", align="center"),
        href=href,
        underline="none",
        padding="0.6em 0.9em",
        border_radius="var(--radius-3)",
        width="100%",
        color=rx.cond(_is_current(href), rx.color("accent", 11), rx.color("gray", 11)),
        background=rx.cond(_is_current(href), rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("gray", 3)},
    )


_POST_LOGOUT = (
    "fetch('/auth/logout', {method: 'POST', credentials: 'same-origin'})"
    ".then((response) => window.location.assign(response.url))"
)


def sign_out_button(label: str = "Sign out") -> rx.Component:
    """Posts to /auth/logout: the server revokes the session and clears the HttpOnly cookie."""
    return rx.button(
        rx.icon("log-out", size=16),
        label,
        variant="soft",
        color_scheme="gray",
        width="100%",
        on_click=rx.call_script(_POST_LOGOUT),
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("hard-drive-download", size=26, color=rx.color("accent", 9)),
            rx.heading("MediaFetcher", size="5"),
            align="center",
            spacing="2",
            padding_bottom="1em",
        ),
        *[_sidebar_link(*item) for item in NAV],
        rx.spacer(),
        rx.hstack(
            rx.avatar(fallback=AuthState.username[:2], size="2", radius="full"),
            rx.vstack(
                rx.text(AuthState.username, weight="bold", size="2"),
                rx.text(AuthState.role, size="1", color=rx.color("gray", 10)),
                spacing="0",
            ),
            align="center",
            width="100%",
        ),
        sign_out_button(),
        display=DESKTOP,
        width="15em",
        min_width="15em",
        height="100vh",
        position="sticky",
        top="0",
        padding="1.25em",
        border_right=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 1),
    )


def _bottom_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.vstack(rx.icon(icon, size=20), rx.text(label, size="1"), align="center", spacing="1"),
        href=href,
        underline="none",
        flex="1",
        padding_y="0.5em",
        color=rx.cond(_is_current(href), rx.color("accent", 11), rx.color("gray", 11)),
    )


def bottom_bar() -> rx.Component:
    return rx.hstack(
        *[_bottom_link(*item) for item in NAV],
        display=PHONE,
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="10",
        background=rx.color("gray", 1),
        border_top=f"1px solid {rx.color('gray', 4)}",
        justify="between",
        padding_bottom="env(safe-area-inset-bottom)",
    )


def search_box() -> rx.Component:
    """Global search: debounced, and the grid aborts the previous request, so the latest query wins."""
    return rx.debounce_input(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Search titles, tags, uploaders, links…",
            value=FeedState.q,
            on_change=FeedState.search,
            type="search",
            size="3",
            width="100%",
            id="search-input",
            aria_label="Search the archive",
        ),
        debounce_timeout=300,
    )


def shell(*content: rx.Component, title: str) -> rx.Component:
    """Every signed-in page: navigation, the add box and the page's own content."""
    return rx.hstack(
        sidebar(),
        rx.box(
            rx.vstack(
                rx.hstack(
                    rx.heading(title, size="6", white_space="nowrap"),
                    rx.box(search_box(), flex="1 1 14em", max_width="24em"),
                    rx.box(add_url_box(), flex="1 1 18em", max_width="36em"),
                    width="100%",
                    align="center",
                    spacing="4",
                    flex_wrap="wrap",
                ),
                *content,
                width="100%",
                spacing="5",
            ),
            flex="1",
            min_width="0",
            padding=["1em", "1.25em", "2em"],
            padding_bottom=["6em", "6em", "2em"],
        ),
        bottom_bar(),
        spacing="0",
        align="start",
        width="100%",
        min_height="100vh",
        # Filled once the page's sign-in check ran over the websocket (tests wait on it).
        data_user=AuthState.username,
        class_name="mf-shell",
    )


def empty_state(icon: str, title: str, hint: str) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 8)),
            rx.heading(title, size="4"),
            rx.text(hint, color=rx.color("gray", 10), text_align="center", max_width="28em"),
            align="center",
            spacing="2",
        ),
        padding="4em 1em",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="var(--radius-4)",
    )


def error_callout(message: rx.Var[str] | str, **props) -> rx.Component:
    """A refusal or failure, said in a sentence (read out by screen readers as it appears)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(message),
        color_scheme="red",
        role="alert",
        width="100%",
        **props,
    )
