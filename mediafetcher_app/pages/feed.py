"""The feed (home): filters, the masonry grid, the viewer and bulk actions on a selection."""

import reflex as rx

from mediafetcher_app.components.feed_grid import feed_grid
from mediafetcher_app.components.platform_icon import platform_icon
from mediafetcher_app.components.shell import shell
from mediafetcher_app.components.viewer import viewer
from mediafetcher_app.state.feed import FeedState, PlatformOption
from mediafetcher_app.state.viewer import ViewerState


def _select(name: str, placeholder: str, items: list[tuple[str, str]] | rx.Var, value: rx.Var) -> rx.Component:
    options = (
        [rx.select.item(label, value=key) for key, label in items]
        if isinstance(items, list)
        else [rx.foreach(items, lambda item: rx.select.item(item, value=item))]
    )
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, aria_label=placeholder),
        rx.select.content(rx.select.item(f"All {placeholder.lower()}s", value="all"), *options),
        value=rx.cond(value == "", "all", value),
        on_change=lambda v: FeedState.set_filter(name, v),
        size="2",
    )


def _platform_item(option: PlatformOption) -> rx.Component:
    return rx.select.item(
        rx.hstack(platform_icon(option["platform_icon"]), option["platform_label"], align="center", spacing="2"),
        value=option["value"],
    )


def _date(name: str, label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10)),
        rx.input(type="date", value=value, on_change=lambda v: FeedState.set_filter(name, v), size="1"),
        spacing="0",
    )


def filter_bar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                rx.segmented_control.item("All", value="all"),
                rx.segmented_control.item("Video", value="video"),
                rx.segmented_control.item("Audio", value="audio"),
                rx.segmented_control.item("Images", value="image"),
                value=rx.cond(FeedState.kind == "", "all", FeedState.kind),
                on_change=lambda v: FeedState.set_filter("kind", v),
                id="kind-filter",
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Platform", aria_label="Platform"),
                rx.select.content(
                    rx.select.item("All platforms", value="all"),
                    rx.foreach(FeedState.platforms, _platform_item),
                ),
                value=rx.cond(FeedState.platform == "", "all", FeedState.platform),
                on_change=lambda v: FeedState.set_filter("platform", v),
                size="2",
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Folder", aria_label="Folder"),
                rx.select.content(
                    rx.select.item("All folders", value="all"),
                    rx.foreach(FeedState.folders, lambda f: rx.select.item(f["label"], value=f["value"])),
                ),
                value=rx.cond(FeedState.folder_id == "", "all", FeedState.folder_id),
                on_change=lambda v: FeedState.set_filter("folder_id", v),
                size="2",
            ),
            _select("tag", "Tag", FeedState.tags, FeedState.tag),
            _select("sort", "Order", [("newest", "Newest first"), ("oldest", "Oldest first")], FeedState.sort),
            rx.popover.root(
                rx.popover.trigger(rx.button(rx.icon("calendar", size=16), "Dates", variant="soft", size="2")),
                rx.popover.content(
                    rx.grid(
                        _date("downloaded_from", "Downloaded from", FeedState.downloaded_from),
                        _date("downloaded_to", "to", FeedState.downloaded_to),
                        _date("posted_from", "Posted from", FeedState.posted_from),
                        _date("posted_to", "to", FeedState.posted_to),
                        columns="2",
                        spacing="3",
                    )
                ),
            ),
            rx.cond(
                FeedState.filtered, rx.button("Clear", variant="ghost", size="2", on_click=FeedState.clear_filters)
            ),
            rx.spacer(),
            rx.button(
                rx.icon("square-check", size=16),
                rx.cond(FeedState.selecting, "Done", "Select"),
                variant=rx.cond(FeedState.selecting, "solid", "soft"),
                size="2",
                on_click=FeedState.toggle_selecting,
                id="select-toggle",
            ),
            width="100%",
            flex_wrap="wrap",
            spacing="2",
            align="center",
        ),
        rx.cond(FeedState.selecting, bulk_bar()),
        width="100%",
    )


def bulk_bar() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.text(FeedState.selected.length(), " selected", weight="medium"),
            rx.select.root(
                rx.select.trigger(placeholder="Folder…"),
                rx.select.content(
                    rx.foreach(FeedState.folders, lambda f: rx.select.item(f["label"], value=f["value"]))
                ),
                value=FeedState.bulk_folder,
                on_change=FeedState.set_bulk_folder,
                size="2",
            ),
            rx.button(
                "Add to folder",
                size="2",
                on_click=FeedState.bulk_add_to_folder,
                disabled=FeedState.selected.length() == 0,
                id="bulk-add-folder",
            ),
            rx.input(
                placeholder="Tag…", value=FeedState.bulk_tag, on_change=FeedState.set_bulk_tag, size="2", width="9em"
            ),
            rx.button(
                "Tag",
                size="2",
                variant="soft",
                on_click=FeedState.bulk_tag_selected,
                disabled=FeedState.selected.length() == 0,
            ),
            flex_wrap="wrap",
            align="center",
            spacing="2",
        ),
        width="100%",
    )


def feed_page() -> rx.Component:
    return shell(
        filter_bar(),
        rx.cond(
            FeedState.folder_name != "",
            rx.heading(rx.icon("folder-open", size=20), " ", FeedState.folder_name, size="4"),
        ),
        feed_grid(
            query=FeedState.query,
            refresh_key=FeedState.refresh_key,
            selecting=FeedState.selecting,
            selected=FeedState.selected,
            on_open=ViewerState.open,
            on_toggle=FeedState.toggle,
            empty_title=rx.cond(FeedState.query == "", "Your archive is empty", "Nothing matches"),
            empty_hint=rx.cond(
                FeedState.query == "",
                "Paste a link above: finished downloads appear here.",
                "Try fewer words or clear the filters.",
            ),
        ),
        viewer(),
        title="Feed",
    )
