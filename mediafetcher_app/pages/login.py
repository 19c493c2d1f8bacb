"""Sign-in and first-run setup: centred cards that work on a phone."""

import reflex as rx

from mediafetcher_app.components.forms import submit_when_live
from mediafetcher_app.state.login import LoginState, SetupState


def _card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("hard-drive-download", size=28, color=rx.color("accent", 9)),
                    rx.heading("MediaFetcher", size="6"),
                    align="center",
                    spacing="2",
                ),
                *children,
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="24em",
        ),
        min_height="100vh",
        padding="1em",
        background=rx.color("gray", 2),
    )


# Reflex forms always preventDefault, so the form is posted with fetch: the password goes
# straight to /auth/login (never through Reflex state) and the response sets the HttpOnly
# cookie; the browser then follows the redirect the server chose (next page, or the error).
# ``next`` is read from the address bar, not from state: the page's load event may not have
# answered yet when a quick hand (or a password manager) submits, and then state still says "/".
_POST_LOGIN = """
const form = document.getElementById('login-form');
const body = new URLSearchParams(new FormData(form));
body.set('next', new URLSearchParams(window.location.search).get('next') || '/');
fetch('/auth/login', {method: 'POST', body, credentials: 'same-origin'})
  .then((response) => window.location.assign(response.url))
  .catch(() => window.location.assign('/login?error=' + encodeURIComponent('The server cannot be reached.')));
"""


def _field(label: str, name: str, kind: str = "text", autocomplete: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="var(--font-size-2)", font_weight="500"),
        rx.input(id=name, name=name, type=kind, required=True, size="3", width="100%", auto_complete=autocomplete),
        spacing="1",
        width="100%",
    )


def _error(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(message),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
    )


def login_page() -> rx.Component:
    """Sign-in goes to /auth/login over HTTP: only an HTTP response can set the HttpOnly cookie."""
    return _card(
        rx.text("Sign in to your archive.", color=rx.color("gray", 11)),
        _error(LoginState.error),
        rx.el.form(
            rx.vstack(
                _field("Username", "username", autocomplete="username"),
                _field("Password", "password", "password", "current-password"),
                rx.button("Sign in", type="submit", size="3", width="100%", id="login-submit"),
                spacing="3",
                width="100%",
            ),
            id="login-form",
            action="/auth/login",
            method="post",
            on_submit=rx.call_script(_POST_LOGIN),
            width="100%",
        ),
    )


def setup_page() -> rx.Component:
    return _card(
        rx.text("Welcome! Create the administrator account to start.", color=rx.color("gray", 11)),
        _error(SetupState.error),
        rx.form(
            rx.vstack(
                _field("Username", "username", autocomplete="username"),
                _field("Password (8+ characters)", "password", "password", "new-password"),
                _field("Repeat the password", "confirm", "password", "new-password"),
                submit_when_live("Create administrator", size="3", width="100%", id="setup-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=SetupState.create_admin,
            width="100%",
        ),
    )
