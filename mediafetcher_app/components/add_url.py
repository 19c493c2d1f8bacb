"""The paste-a-link box shown at the top of every signed-in page."""

import reflex as rx

from mediafetcher_app.state.add_url import AddUrlState


def add_url_box() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("link", size=16)),
                name="url",
                value=AddUrlState.url,
                on_change=AddUrlState.set_url,
                placeholder="Paste a link to a video, song or image…",
                type="url",
                size="3",
                width="100%",
                id="add-url-input",
                aria_label="Link to download",
            ),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("music", size=16),
                    type="button",
                    size="3",
                    variant=rx.cond(AddUrlState.audio_only, "solid", "soft"),
                    on_click=AddUrlState.toggle_audio_only,
                    aria_label="Audio only (MP3)",
                    aria_pressed=AddUrlState.audio_only,
                    id="add-url-audio",
                ),
                content="Audio only: save as MP3 192 kbit/s",
            ),
            rx.button(
                rx.cond(AddUrlState.busy, rx.spinner(size="2"), rx.icon("download", size=16)),
                rx.text("Fetch", display=["none", "inline"]),
                type="submit",
                size="3",
                disabled=AddUrlState.busy,
                id="add-url-submit",
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=AddUrlState.submit,
        reset_on_submit=False,
        width="100%",
    )
