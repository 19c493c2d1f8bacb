"""Library: the folder tree (create, rename, move, delete) and tags (rename, delete, browse)."""

import reflex as rx

from mediafetcher_app.components.shell import empty_state, shell
from mediafetcher_app.state.library import ROOT, FolderRow, LibraryState, TagRow


def _parent_select(value: rx.Var[str], on_change, exclude: rx.Var[int] | int = 0) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="Inside…", aria_label="Parent folder"),
        rx.select.content(
            rx.select.item("Top level", value=ROOT),
            rx.foreach(
                LibraryState.folders,
                lambda f: rx.cond(f["id"] != exclude, rx.select.item(f["name"], value=f["id"].to_string())),
            ),
        ),
        value=value,
        on_change=on_change,
        size="2",
    )


def _edit_row(folder: FolderRow) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                value=LibraryState.edit_name,
                on_change=LibraryState.set_edit_name,
                size="2",
                flex="1",
                aria_label="Folder name",
                auto_focus=True,
            ),
            _parent_select(LibraryState.edit_parent, LibraryState.set_edit_parent, folder["id"]),
            rx.button("Save", size="2", type="submit"),
            rx.button("Cancel", size="2", variant="ghost", type="button", on_click=LibraryState.cancel_edit),
            width="100%",
            flex_wrap="wrap",
        ),
        on_submit=LibraryState.save_edit,
        width="100%",
    )


def _view_row(folder: FolderRow) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.hstack(
                rx.icon("folder", size=18, color=rx.color("accent", 9)),
                rx.text(folder["name"], weight="medium"),
                align="center",
            ),
            href="/?folder_id=" + folder["id"].to_string(),
            underline="none",
            color=rx.color("gray", 12),
        ),
        rx.badge(folder["count"], variant="soft", color_scheme="gray", title="media in this folder"),
        rx.spacer(),
        rx.cond(
            LibraryState.confirm_delete == folder["id"],
            rx.hstack(
                rx.text("Delete the folder (media stay)?", size="1", color=rx.color("red", 11)),
                rx.button("Delete", size="1", color_scheme="red", on_click=LibraryState.delete_folder(folder["id"])),
                align="center",
            ),
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    size="1",
                    variant="ghost",
                    title="Rename or move",
                    aria_label="Rename or move",
                    on_click=LibraryState.start_edit(folder),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    title="Delete folder",
                    aria_label="Delete folder",
                    on_click=LibraryState.ask_delete(folder["id"]),
                ),
            ),
        ),
        width="100%",
        align="center",
    )


def _folder(folder: FolderRow) -> rx.Component:
    return rx.box(
        rx.cond(LibraryState.editing == folder["id"], _edit_row(folder), _view_row(folder)),
        padding_left=folder["indent"],
        padding_y="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="folder-row",
        data_name=folder["name"],
    )


def _tag(tag: TagRow) -> rx.Component:
    return rx.cond(
        LibraryState.tag_editing == tag["name"],
        rx.form(
            rx.hstack(
                rx.input(
                    value=LibraryState.tag_new_name,
                    on_change=LibraryState.set_tag_new_name,
                    size="1",
                    width="10em",
                    auto_focus=True,
                ),
                rx.button("Rename", size="1", type="submit"),
            ),
            on_submit=LibraryState.rename_tag,
        ),
        rx.badge(
            rx.link("#", tag["name"], href="/?tag=" + tag["name"], underline="none"),
            rx.text(tag["count"], color=rx.color("gray", 10)),
            rx.icon(
                "pencil",
                size=12,
                cursor="pointer",
                on_click=LibraryState.start_tag_edit(tag["name"]),
                aria_label="Rename tag",
            ),
            rx.icon(
                "x", size=12, cursor="pointer", on_click=LibraryState.delete_tag(tag["name"]), aria_label="Delete tag"
            ),
            size="2",
            variant="surface",
        ),
    )


def library_page() -> rx.Component:
    return shell(
        rx.card(
            rx.form(
                rx.hstack(
                    rx.input(
                        placeholder="New folder name",
                        value=LibraryState.new_folder,
                        on_change=LibraryState.set_new_folder,
                        size="2",
                        flex="1",
                        id="new-folder-name",
                    ),
                    _parent_select(LibraryState.new_parent, LibraryState.set_new_parent),
                    rx.button(rx.icon("folder-plus", size=16), "Create", size="2", type="submit", id="create-folder"),
                    width="100%",
                    flex_wrap="wrap",
                ),
                on_submit=LibraryState.create_folder,
            ),
            width="100%",
        ),
        rx.cond(
            LibraryState.loaded,
            rx.cond(
                LibraryState.folders.length() > 0,
                rx.vstack(rx.foreach(LibraryState.folders, _folder), width="100%", spacing="0", id="folder-tree"),
                empty_state(
                    "folder-tree",
                    "No folders yet",
                    "Folders group media without copying a single file. Create one above, then add "
                    "media from the feed's viewer or with Select.",
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
        rx.heading("Tags", size="4"),
        rx.cond(
            LibraryState.tags.length() > 0,
            rx.flex(rx.foreach(LibraryState.tags, _tag), gap="2", flex_wrap="wrap"),
            rx.text("No tags yet: add them in the viewer.", color=rx.color("gray", 10)),
        ),
        title="Library",
    )
