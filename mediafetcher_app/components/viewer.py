"""The media viewer: player or zoomable image, facts, sources, folders and tags in place."""

import reflex as rx

from mediafetcher_app.components.feed_grid import arrow_keys
from mediafetcher_app.components.platform_icon import platform_icon
from mediafetcher_app.state.feed import FeedState
from mediafetcher_app.state.viewer import FolderRef, FollowedRef, SourceRow, ViewerState


def _player() -> rx.Component:
    src = "/media/" + ViewerState.media_id.to_string()
    return rx.match(
        ViewerState.v_kind,
        (
            "video",
            rx.el.video(
                src=src,
                controls=True,
                auto_play=True,
                plays_inline=True,
                id="viewer-video",
                style={"width": "100%", "maxHeight": "70vh", "background": "black", "borderRadius": "var(--radius-3)"},
            ),
        ),
        (
            "audio",
            rx.vstack(
                rx.image(
                    src="/thumbs/" + ViewerState.media_id.to_string(), max_height="40vh", border_radius="12px", alt=""
                ),
                rx.el.audio(src=src, controls=True, auto_play=True, id="viewer-audio", style={"width": "100%"}),
                align="center",
                width="100%",
            ),
        ),
        rx.box(
            rx.image(
                src=src,
                alt=ViewerState.v_title,
                id="viewer-image",
                max_height=rx.cond(ViewerState.v_zoomed, "none", "70vh"),
                max_width=rx.cond(ViewerState.v_zoomed, "none", "100%"),
                width=rx.cond(ViewerState.v_zoomed, "auto", "100%"),
                object_fit="contain",
                cursor=rx.cond(ViewerState.v_zoomed, "zoom-out", "zoom-in"),
                on_click=ViewerState.toggle_zoom,
                title="Click to zoom",
            ),
            max_height="70vh",
            overflow="auto",
            width="100%",
        ),
    )


def _source(row: SourceRow) -> rx.Component:
    return rx.hstack(
        rx.badge(platform_icon(row["platform_icon"]), row["platform_label"], variant="soft"),
        rx.link(row["url"], href=row["url"], is_external=True, size="2", truncate=True, flex="1", min_width="0"),
        rx.cond(row["uploader"] != "", rx.text(row["uploader"], size="1", color=rx.color("gray", 10))),
        rx.cond(row["posted_at"] != "", rx.text(row["posted_at"], size="1", color=rx.color("gray", 10))),
        width="100%",
        align="center",
    )


def _followed(source: FollowedRef) -> rx.Component:
    return rx.link(rx.badge(source["name"], variant="soft", color_scheme="orange"), href="/sources")


def _folder_chip(folder: FolderRef) -> rx.Component:
    return rx.badge(
        rx.icon("folder", size=12),
        folder["name"],
        rx.icon(
            "x",
            size=12,
            cursor="pointer",
            on_click=ViewerState.remove_from_folder(folder["id"]),
            aria_label="Remove from folder",
        ),
        variant="surface",
        size="2",
    )


def _tag_chip(name: rx.Var[str]) -> rx.Component:
    return rx.badge(
        "#",
        name,
        rx.icon("x", size=12, cursor="pointer", on_click=ViewerState.remove_tag(name), aria_label="Remove tag"),
        variant="soft",
        color_scheme="gray",
        size="2",
    )


def _source_tag_chip(name: rx.Var[str]) -> rx.Component:
    """A tag the site gave: marked apart from the users' own, and not removed by a click."""
    return rx.badge(
        rx.icon("globe", size=12),
        name,
        title="Tag from the source site",
        class_name="mf-source-tag",
        variant="outline",
        color_scheme="blue",
        size="2",
    )


def _organise() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.foreach(ViewerState.v_folders, _folder_chip), flex_wrap="wrap", spacing="2"),
        rx.select.root(
            rx.select.trigger(placeholder="Add to folder…", width="100%"),
            rx.select.content(rx.foreach(FeedState.folders, lambda f: rx.select.item(f["label"], value=f["value"]))),
            value="",
            on_change=ViewerState.add_to_folder,
            size="2",
        ),
        rx.hstack(
            rx.foreach(ViewerState.v_source_tags, _source_tag_chip),
            rx.foreach(ViewerState.v_tags, _tag_chip),
            flex_wrap="wrap",
            spacing="2",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    placeholder="Add a tag",
                    value=ViewerState.v_new_tag,
                    on_change=ViewerState.set_new_tag,
                    size="2",
                    flex="1",
                    id="viewer-tag-input",
                ),
                rx.button("Tag", size="2", type="submit", variant="soft"),
                width="100%",
            ),
            on_submit=lambda _form: ViewerState.add_tag(),
            width="100%",
        ),
        width="100%",
        spacing="2",
    )


def _actions() -> rx.Component:
    return rx.hstack(
        rx.icon_button(
            rx.icon("chevron-left"),
            on_click=ViewerState.step(False),
            variant="soft",
            aria_label="Previous",
            title="Previous (←)",
        ),
        rx.icon_button(
            rx.icon("chevron-right"),
            on_click=ViewerState.step(True),
            variant="soft",
            aria_label="Next",
            title="Next (→)",
        ),
        rx.spacer(),
        rx.link(
            rx.button(rx.icon("download", size=16), "Original", variant="soft"),
            href="/media/" + ViewerState.media_id.to_string() + "?download=1",
        ),
        rx.cond(
            FeedState.is_admin,
            rx.cond(
                ViewerState.v_confirm_delete,
                rx.button(
                    rx.icon("trash-2", size=16),
                    "Delete for good",
                    color_scheme="red",
                    on_click=ViewerState.delete_media,
                    id="viewer-delete-confirm",
                ),
                rx.button(
                    rx.icon("trash-2", size=16),
                    "Delete",
                    color_scheme="red",
                    variant="soft",
                    on_click=ViewerState.ask_delete,
                ),
            ),
        ),
        rx.dialog.close(rx.icon_button(rx.icon("x"), variant="ghost", aria_label="Close")),
        width="100%",
        align="center",
        flex_wrap="wrap",
    )


def viewer() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                _actions(),
                _player(),
                rx.dialog.title(ViewerState.v_title, size="5", margin="0"),
                rx.cond(
                    ViewerState.v_byline != "",
                    rx.text(ViewerState.v_byline, size="2", weight="medium", id="viewer-byline"),
                ),
                rx.hstack(
                    rx.foreach(ViewerState.v_facts, lambda f: rx.text(f, size="2", color=rx.color("gray", 10))),
                    spacing="3",
                    flex_wrap="wrap",
                ),
                rx.cond(
                    ViewerState.v_description != "",
                    rx.text(
                        ViewerState.v_description, size="2", white_space="pre-wrap", max_height="8em", overflow_y="auto"
                    ),
                ),
                rx.vstack(rx.foreach(ViewerState.v_sources, _source), width="100%", spacing="1"),
                rx.cond(
                    ViewerState.v_followed.length() > 0,
                    rx.hstack(
                        rx.icon("rss", size=14, color=rx.color("gray", 10)),
                        rx.text("From your source", size="2", color=rx.color("gray", 10)),
                        rx.foreach(ViewerState.v_followed, _followed),
                        align="center",
                        flex_wrap="wrap",
                        id="viewer-followed",
                    ),
                ),
                _organise(),
                arrow_keys(
                    active=ViewerState.viewer_open, on_previous=ViewerState.step(False), on_next=ViewerState.step(True)
                ),
                spacing="3",
                width="100%",
            ),
            max_width="min(1100px, 96vw)",
            width="96vw",
            id="viewer",
        ),
        open=ViewerState.viewer_open,
        on_open_change=ViewerState.close_viewer,
    )
