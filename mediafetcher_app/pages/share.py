"""``/share``: confirm a shared link (after signing in), or see why it could not be used. A link
typed into the add box before that page's script ran lands here too (components/add_url.py)."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.components.shell import empty_state, error_callout, shell
from mediafetcher_app.state.share import ShareState


def _confirm() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Download this link?", size="4"),
            rx.code(ShareState.link, id="share-link", word_break="break-all", white_space="normal"),
            rx.button(
                rx.icon("download", size=16),
                "Download",
                on_click=ShareState.download,
                loading=ShareState.busy,
                size="3",
                id="share-download",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def share_page() -> rx.Component:
    return shell(
        rx.cond(ShareState.error != "", error_callout(ShareState.error, id="share-error")),
        rx.cond(
            ShareState.shared != "",
            rx.text("What was shared: ", rx.code(ShareState.shared, word_break="break-all"), size="2"),
        ),
        rx.cond(
            ShareState.link != "",
            _confirm(),
            rx.cond(
                ShareState.error == "",
                empty_state("share-2", "Nothing shared", "Share a link from another app to MediaFetcher to fetch it."),
            ),
        ),
        title="Share",
    )
