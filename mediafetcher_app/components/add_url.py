"""The paste-a-link box shown at the top of every signed-in page."""

import reflex as rx

from mediafetcher_app.core import presets
from mediafetcher_app.state.add_url import AddUrlState

READ_TEXT_FILE = "document.getElementById('batch-file').files[0]?.text() ?? ''"


def _preset_choice() -> rx.Component:
    """This download's choice, shown once a link is typed (the audio button still means MP3)."""
    return rx.hstack(
        rx.text("Get", size="1"),
        rx.el.select(
            rx.el.option("my default", value=""),
            *[rx.el.option(label, value=value) for value, label in presets.LABELS.items() if value != presets.AUDIO],
            value=AddUrlState.preset,
            on_change=AddUrlState.set_preset,
            disabled=AddUrlState.audio_only,
            id="add-url-preset",
            aria_label="Download choice",
            style={"font_size": "var(--font-size-1)", "max_width": "100%"},
        ),
        align="center",
        spacing="2",
    )


def _collection_choice() -> rx.Component:
    """Shown for a playlist, channel or feed: how many to take now, or follow it instead."""
    return rx.hstack(
        rx.text("A playlist or channel: take the first", size="1"),
        rx.input(
            value=AddUrlState.take,
            on_change=AddUrlState.set_take,
            width="4em",
            size="1",
            id="add-url-take",
            aria_label="How many items to take",
        ),
        rx.text("items, or", size="1"),
        rx.button(
            rx.icon("rss", size=14),
            "Follow it",
            type="button",
            size="1",
            variant="soft",
            on_click=AddUrlState.follow,
            id="add-url-follow",
        ),
        align="center",
        spacing="2",
        flex_wrap="wrap",
        id="add-url-collection",
    )


def _batch_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(
                rx.icon("list-plus", size=16),
                type="button",
                size="3",
                variant="soft",
                aria_label="Add many links",
                title="Add many links (a list or a .txt file)",
                id="add-url-many",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Add many links"),
            rx.dialog.description("One link a line. Lines starting with # are skipped.", size="2"),
            rx.el.input(  # read in the browser into the list below: the form sends text only
                type="file",
                accept=".txt,text/plain",
                id="batch-file",
                aria_label="Load a .txt file",
                on_change=rx.call_script(READ_TEXT_FILE, callback=AddUrlState.set_batch_text),
                style={"margin": "0.75em 0"},
            ),
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="links",
                        value=AddUrlState.batch_text,
                        on_change=AddUrlState.set_batch_text,
                        rows="8",
                        width="100%",
                        id="batch-links",
                        aria_label="Links, one a line",
                    ),
                    rx.cond(
                        AddUrlState.batch_refused.length() > 0,
                        rx.vstack(
                            rx.text("Not queued:", size="2", weight="medium"),
                            rx.foreach(
                                AddUrlState.batch_refused,
                                lambda line: rx.text(line, size="1", color=rx.color("red", 11)),
                            ),
                            spacing="1",
                            id="batch-refused",
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Close", type="button", variant="soft")),
                        rx.button(
                            rx.cond(AddUrlState.busy, rx.spinner(size="2"), rx.icon("download", size=16)),
                            "Queue all",
                            type="submit",
                            disabled=AddUrlState.busy,
                            id="batch-submit",
                        ),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=AddUrlState.submit_batch,
                reset_on_submit=False,
            ),
            max_width="36em",
        ),
        open=AddUrlState.batch_open,
        on_open_change=AddUrlState.set_batch_open,
    )


def add_url_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _add_form(),
            _batch_dialog(),  # outside the form: it has its own
            width="100%",
            spacing="2",
        ),
        rx.cond(AddUrlState.url != "", _preset_choice()),
        rx.cond(AddUrlState.collection, _collection_choice()),
        width="100%",
        spacing="1",
    )


def _add_form() -> rx.Component:
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
        # Enter before the page's script runs submits natively: the link then waits on the share
        # page for a Download tap (a GET queues nothing), instead of being lost in a reload.
        action="/share",
        width="100%",
    )
