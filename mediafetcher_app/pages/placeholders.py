"""Feed, Library and Settings in the foundation build: real pages with honest empty states."""

import reflex as rx

from mediafetcher_app.components.shell import empty_state, shell, sign_out_button
from mediafetcher_app.state.auth import AuthState


def library_page() -> rx.Component:
    return shell(
        empty_state(
            "folder-tree", "No folders yet", "Folders group media without copying files. They arrive with the library."
        ),
        title="Library",
    )


def settings_page() -> rx.Component:
    return shell(
        rx.card(
            rx.vstack(
                rx.heading("Account", size="4"),
                rx.data_list.root(
                    rx.data_list.item(rx.data_list.label("Username"), rx.data_list.value(AuthState.username)),
                    rx.data_list.item(rx.data_list.label("Role"), rx.data_list.value(AuthState.role)),
                ),
                rx.box(sign_out_button(), max_width="12em"),
                spacing="3",
            ),
            width="100%",
        ),
        title="Settings",
    )
