"""Settings, Browser pairing: how to pair the extension, and the API tokens that exist."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.state.pairing import ApiTokensState, TokenRow


def _new_token() -> rx.Component:
    return rx.cond(
        ApiTokensState.new_token != "",
        rx.callout.root(
            rx.vstack(
                rx.text("Copy this token now: it is shown only once.", weight="bold"),
                rx.hstack(
                    rx.code(ApiTokensState.new_token, id="new-api-token", word_break="break-all"),
                    rx.icon_button(
                        rx.icon("copy", size=16),
                        on_click=rx.set_clipboard(ApiTokensState.new_token),
                        variant="soft",
                        aria_label="Copy the token",
                    ),
                    align="center",
                ),
                rx.button("Done", on_click=ApiTokensState.dismiss_token, size="1", variant="soft"),
                spacing="2",
            ),
            color_scheme="green",
            width="100%",
        ),
    )


def _token(token: TokenRow) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(token["label"], weight="medium"),
                rx.code(token["prefix"], size="1"),
                rx.cond(token["revoked"], rx.badge("revoked", color_scheme="gray")),
                align="center",
                flex_wrap="wrap",
            ),
            rx.text(
                token["scopes"],
                " · created ",
                token["created"],
                " · last used ",
                token["last_used"],
                size="1",
                color=rx.color("gray", 10),
            ),
            spacing="1",
            min_width="0",
        ),
        rx.spacer(),
        rx.cond(
            ~token["revoked"],
            rx.button(
                "Revoke", on_click=ApiTokensState.revoke(token["id"]), color_scheme="red", variant="soft", size="1"
            ),
        ),
        class_name="token-row",
        custom_attrs={"data-revoked": token["revoked"].to(str)},
        width="100%",
        align="center",
        padding_y="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        opacity=rx.cond(token["revoked"], "0.6", "1"),
    )


def _choice(name: str, text: str) -> rx.Component:
    """A checkbox adding scopes to the new token (state/pairing.py TOKEN_CHOICES)."""
    return rx.el.label(rx.hstack(rx.checkbox(name=name), rx.text(text, size="2"), align="center"))


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="label", placeholder="Label, e.g. backup script", size="2", flex="1 1 12em"),
            _choice("cookies", "may sync my cookies"),
            _choice("library", "may organise the library"),
            _choice("full", "full access (all my account may do)"),
            rx.button(rx.icon("plus", size=16), "Create token", type="submit", size="2"),
            align="center",
            flex_wrap="wrap",
            width="100%",
        ),
        on_submit=ApiTokensState.create,
        reset_on_submit=True,
        width="100%",
    )


def pairing_section() -> rx.Component:
    """Pairing instructions, the token list (revocable) and a form for tokens for scripts."""
    return rx.card(
        rx.vstack(
            rx.heading("Browser pairing", size="4"),
            rx.text(
                "Install the MediaFetcher extension and enter ",
                rx.code(ApiTokensState.server_address),
                " as the server address. It opens a page here where you allow it: nothing to copy. "
                "Each paired browser gets its own token below; revoke it to disconnect that browser.",
                size="2",
                color=rx.color("gray", 11),
            ),
            _new_token(),
            rx.cond(
                ApiTokensState.tokens.length() > 0,
                rx.vstack(rx.foreach(ApiTokensState.tokens, _token), spacing="0", width="100%"),
                rx.text("No paired browsers or tokens yet.", size="2", color=rx.color("gray", 10)),
            ),
            rx.text("A token for a script", weight="medium", size="2"),
            _create_form(),
            spacing="3",
            width="100%",
        ),
        id="settings-pairing",
        width="100%",
        on_mount=ApiTokensState.load,
    )
