"""``/pair``: the page the extension opens; the signed-in user allows or refuses that browser."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.components.shell import error_callout
from mediafetcher_app.state.pairing import PairPageState


def _question() -> rx.Component:
    return rx.vstack(
        rx.heading(
            rx.cond(
                PairPageState.is_admin,
                f"Allow “{PairPageState.browser}” to send downloads and sync cookies?",
                f"Allow “{PairPageState.browser}” to send downloads?",
            ),
            size="4",
        ),
        rx.text(
            "It will be able to add downloads and follow their progress as ",
            rx.text.strong(PairPageState.username),
            rx.cond(
                PairPageState.is_admin,
                ", and to upload this browser's cookies for the sites you tick in it.",
                ". Cookie sync needs an administrator, so it stays off.",
            ),
            color=rx.color("gray", 11),
        ),
        rx.callout.root(
            rx.callout.icon(rx.icon("shield-check")),
            rx.callout.text(
                "Allow only if the extension's window shows this same code. A different code, or no "
                "pairing started by you: deny, someone else is asking."
            ),
            color_scheme="amber",
            width="100%",
        ),
        rx.code(PairPageState.confirmation, size="9", id="pair-confirmation", letter_spacing="0.1em"),
        rx.hstack(
            rx.button(
                f"The extension shows {PairPageState.confirmation}: allow",
                on_click=PairPageState.approve,
                size="3",
                id="pair-allow",
            ),
            rx.button("Deny", on_click=PairPageState.deny, size="3", variant="soft", color_scheme="gray"),
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _outcome() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon(rx.cond(PairPageState.outcome == "approved", "circle-check", "circle-x"))),
        rx.callout.text(
            rx.cond(
                PairPageState.outcome == "approved",
                "Paired. The extension finishes on its own; you can close this tab.",
                "Refused. The extension was not paired.",
            )
        ),
        color_scheme=rx.cond(PairPageState.outcome == "approved", "green", "gray"),
        id="pair-outcome",
        width="100%",
    )


def _error() -> rx.Component:
    return error_callout(PairPageState.error)


def pair_page() -> rx.Component:
    """Never framed: security.py sends ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("plug", size=26, color=rx.color("accent", 9)),
                    rx.heading("Pair a browser", size="6"),
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    PairPageState.error != "",
                    _error(),
                    rx.cond(
                        PairPageState.outcome != "", _outcome(), rx.cond(PairPageState.challenge != "", _question())
                    ),
                ),
                rx.link("Back to MediaFetcher", href="/", size="2"),
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="30em",
        ),
        min_height="100vh",
        padding="1em",
        background=rx.color("gray", 2),
    )
