"""Sources: the channels, playlists and feeds followed, each with its last and next check."""

import reflex as rx

from mediafetcher_app.components.forms import submit_when_live
from mediafetcher_app.components.shell import empty_state, shell
from mediafetcher_app.core import presets
from mediafetcher_app.state.sources import SourceRow, SourcesState

STATUS_COLORS = {"ok": "green", "waiting": "gray", "checking": "blue", "failing": "red", "paused": "orange"}
KINDS = [("video", "Video"), ("audio", "Audio (MP3)"), ("image", "Images")]


def _preset_select(default: rx.Var[str] | str = "") -> rx.Component:
    """The download choice; "" in the add form: the user's default from Settings."""
    options = [("", "My default choice")] if isinstance(default, str) else []
    return rx.el.select(
        *[rx.el.option(label, value=value) for value, label in [*options, *presets.LABELS.items()]],
        name="preset",
        default_value=default,
        aria_label="Download choice",
        style={"padding": "0.4em", "border_radius": "var(--radius-2)", "max_width": "100%"},
    )


def _folder_select(default: rx.Var[str] | str = "") -> rx.Component:
    return rx.el.select(
        rx.el.option("No folder", value=""),
        rx.foreach(SourcesState.folders, lambda f: rx.el.option(f["label"], value=f["value"])),
        name="folder_id",
        default_value=default,
        aria_label="Folder for new items",
        style={"padding": "0.4em", "border_radius": "var(--radius-2)", "max_width": "100%"},
    )


def _kind_select(default: rx.Var[str] | str = "video") -> rx.Component:
    return rx.el.select(
        *[rx.el.option(label, value=value) for value, label in KINDS],
        name="kind",
        default_value=default,
        aria_label="What to keep",
        style={"padding": "0.4em", "border_radius": "var(--radius-2)"},
    )


def add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.flex(
                rx.input(
                    name="url",
                    placeholder="Channel, playlist, profile or feed link…",
                    type="url",
                    required=True,
                    flex="1 1 16em",
                    id="source-url",
                    aria_label="Link to follow",
                ),
                rx.hstack(
                    rx.text("every", size="2"),
                    rx.input(
                        name="interval_minutes", default_value="60", width="5em", aria_label="Minutes between checks"
                    ),
                    rx.text("min", size="2"),
                    align="center",
                    spacing="1",
                ),
                _kind_select(),
                _preset_select(),
                _folder_select(),
                rx.hstack(
                    rx.text("take newest", size="2"),
                    rx.input(name="backfill", default_value="0", width="4em", aria_label="Newest items to take now"),
                    align="center",
                    spacing="1",
                ),
                submit_when_live(
                    rx.cond(SourcesState.busy, rx.spinner(size="2"), rx.icon("rss", size=16)),
                    "Follow",
                    busy=SourcesState.busy,
                    id="source-follow",
                ),
                gap="3",
                flex_wrap="wrap",
                align="center",
                width="100%",
            ),
            on_submit=SourcesState.follow,
            reset_on_submit=True,
        ),
        width="100%",
    )


def _edit_form(source: SourceRow) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(name="name", default_value=source["name"], flex="1 1 12em", aria_label="Name"),
            rx.input(
                name="interval_minutes",
                default_value=source["interval"].to_string(),
                width="5em",
                aria_label="Minutes between checks",
            ),
            _kind_select(source["kind"]),
            _preset_select(source["preset"]),
            _folder_select(source["folder"]),
            rx.button("Save", type="submit", size="2"),
            rx.button("Cancel", type="button", size="2", variant="soft", on_click=SourcesState.close_edit),
            gap="2",
            flex_wrap="wrap",
            align="center",
            width="100%",
        ),
        on_submit=SourcesState.save,
        width="100%",
    )


def _action(icon: str, label: str, on_click, color: str = "gray") -> rx.Component:
    return rx.icon_button(
        rx.icon(icon, size=16), on_click=on_click, variant="ghost", color_scheme=color, aria_label=label, title=label
    )


def _fact(label: str, value: rx.Var[str]) -> rx.Component:
    return rx.text(label, " ", rx.text.strong(value), size="1", color=rx.color("gray", 10))


def _status(status: rx.Var[str]) -> rx.Component:
    badges = [(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in STATUS_COLORS.items()]
    return rx.match(status, *badges, rx.badge(status))


def source_card(source: SourceRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                _status(source["status"]),
                rx.vstack(
                    rx.text(source["name"], weight="medium", truncate=True, max_width="100%"),
                    rx.link(source["url"], href=source["url"], is_external=True, size="1", truncate=True),
                    spacing="0",
                    min_width="0",
                    flex="1",
                ),
                _action(
                    rx.cond(source["paused"], "play", "pause"),
                    rx.cond(source["paused"], "Resume", "Pause"),
                    SourcesState.toggle_pause(source["id"], source["paused"]),
                ),
                _action("refresh-cw", "Check now", SourcesState.check_now(source["id"])),
                _action("pencil", "Edit", SourcesState.edit(source["id"])),
                _action("trash-2", "Delete", SourcesState.delete(source["id"]), "red"),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.flex(
                _fact("Last check", source["last_checked"]),
                _fact("Next", source["next_check"]),
                rx.cond(source["new_items"] != "", _fact("Found", source["new_items"])),
                _fact("Keeps", source["kind"]),
                _fact("As", source["preset"]),
                gap="3",
                flex_wrap="wrap",
            ),
            rx.cond(source["error"] != "", rx.text(source["error"], size="1", color=rx.color("red", 11))),
            rx.cond(SourcesState.editing == source["id"], _edit_form(source)),
            width="100%",
            spacing="2",
        ),
        width="100%",
        class_name="source-row",
        data_status=source["status"],
    )


def sources_page() -> rx.Component:
    return shell(
        add_form(),
        rx.hstack(
            rx.heading("Following", size="4"),
            rx.spacer(),
            _action("refresh-ccw", "Refresh", SourcesState.load),
            width="100%",
            align="center",
        ),
        rx.cond(
            SourcesState.loaded,
            rx.cond(
                SourcesState.sources.length() > 0,
                rx.vstack(rx.foreach(SourcesState.sources, source_card), width="100%", spacing="3", id="source-list"),
                empty_state(
                    "rss",
                    "Not following anything yet",
                    "Follow a channel, playlist or feed above: new posts are downloaded as they appear.",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
        ),
        title="Sources",
    )
