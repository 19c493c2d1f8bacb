"""Settings: account, users (admin), connections (everyone's own; admins also everyone's), pairing, storage,
engines (admin)."""

import reflex as rx

from mediafetcher_app.components.forms import submit_when_live
from mediafetcher_app.components.settings_connections import connections_section
from mediafetcher_app.components.settings_engines import engines_section
from mediafetcher_app.components.settings_pairing import pairing_section
from mediafetcher_app.components.shell import shell
from mediafetcher_app.core import presets
from mediafetcher_app.state.settings import SettingsState, UserRow


def _password_field(label: str, name: str, autocomplete: str) -> rx.Component:
    return rx.input(
        placeholder=label,
        name=name,
        type="password",
        required=True,
        size="2",
        auto_complete=autocomplete,
        aria_label=label,
    )


def account_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Account", size="4"),
            rx.hstack(
                rx.avatar(fallback=SettingsState.username[:2], radius="full"),
                rx.vstack(rx.text(SettingsState.username, weight="bold"), rx.badge(SettingsState.role), spacing="1"),
                align="center",
            ),
            rx.form(
                rx.flex(
                    _password_field("Current password", "current", "current-password"),
                    _password_field("New password (8+)", "new", "new-password"),
                    _password_field("Repeat new password", "confirm", "new-password"),
                    submit_when_live("Change password", size="2", id="change-password-submit"),
                    gap="2",
                    flex_wrap="wrap",
                ),
                on_submit=SettingsState.change_password,
                reset_on_submit=True,
            ),
            rx.flex(
                rx.button(
                    rx.icon("log-out", size=16),
                    "Sign out everywhere",
                    variant="soft",
                    color_scheme="red",
                    size="2",
                    on_click=SettingsState.sign_out_everywhere(False),
                ),
                rx.cond(
                    SettingsState.token_count > 0,
                    rx.button(
                        rx.icon("key-round", size=16),
                        "Sign out everywhere and revoke ",
                        SettingsState.token_count,
                        " API token(s)",
                        variant="outline",
                        color_scheme="red",
                        size="2",
                        on_click=SettingsState.sign_out_everywhere(True),
                    ),
                ),
                gap="2",
                flex_wrap="wrap",
            ),
            rx.text(
                "Changing the password signs out your other sessions. API tokens (paired browsers, scripts) "
                "keep working until you revoke them.",
                size="1",
                color=rx.color("gray", 10),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="settings-account",
    )


def _user_row(user: UserRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(user["username"], weight="medium")),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(rx.select.item("admin", value="admin"), rx.select.item("user", value="user")),
                value=user["role"],
                size="1",
                on_change=lambda role: SettingsState.set_role(user["id"], role),
            )
        ),
        rx.table.cell(
            rx.switch(
                checked=~user["disabled"],
                on_change=lambda on: SettingsState.set_disabled(user["id"], ~on),
                aria_label="Account enabled",
            )
        ),
        rx.table.cell(user["created"], display=["none", "table-cell"]),
    )


def users_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Users", size="4"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("User"),
                        rx.table.column_header_cell("Role"),
                        rx.table.column_header_cell("Enabled"),
                        rx.table.column_header_cell("Since", display=["none", "table-cell"]),
                    )
                ),
                rx.table.body(rx.foreach(SettingsState.users, _user_row)),
                width="100%",
                size="1",
            ),
            rx.form(
                rx.flex(
                    rx.input(placeholder="Username", name="username", required=True, size="2"),
                    rx.input(
                        placeholder="Password (8+)",
                        name="password",
                        type="password",
                        required=True,
                        size="2",
                        auto_complete="new-password",
                    ),
                    rx.select.root(
                        rx.select.trigger(),
                        rx.select.content(rx.select.item("user", value="user"), rx.select.item("admin", value="admin")),
                        name="role",
                        default_value="user",
                        size="2",
                    ),
                    submit_when_live(rx.icon("user-plus", size=16), "Add user", size="2", id="add-user-submit"),
                    gap="2",
                    flex_wrap="wrap",
                ),
                on_submit=SettingsState.create_user,
                reset_on_submit=True,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="settings-users",
    )


def storage_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Storage", size="4"),
            rx.text(
                SettingsState.disk_used,
                " used of ",
                SettingsState.disk_total,
                " · ",
                SettingsState.disk_free,
                " free",
                size="2",
            ),
            rx.progress(value=SettingsState.disk_percent, max=100, width="100%"),
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="gigabytes", name="GB", fill=rx.color("accent", 9), radius=6),
                rx.recharts.x_axis(data_key="kind"),
                rx.recharts.y_axis(unit=" GB", width=70),
                rx.recharts.graphing_tooltip(),
                data=SettingsState.usage,
                height=220,
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    SettingsState.usage,
                    lambda u: rx.badge(u["kind"], ": ", u["count"], " · ", u["label"], variant="soft"),
                ),
                flex_wrap="wrap",
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="settings-storage",
    )


def downloads_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Downloads", size="4"),
            rx.text("What new downloads and sources get, unless you choose otherwise:", size="2"),
            rx.radio_group.root(
                rx.vstack(
                    *[_preset_choice(value, label) for value, label in presets.LABELS.items()],
                    spacing="2",
                ),
                value=SettingsState.default_preset,
                on_change=SettingsState.set_default_preset,
                id="default-preset",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="settings-downloads",
    )


def _preset_choice(value: str, label: str) -> rx.Component:
    return rx.el.label(rx.hstack(rx.radio_group.item(value=value), rx.text(label, size="2"), align="center"))


def settings_page() -> rx.Component:
    return shell(
        rx.grid(
            account_section(),
            downloads_section(),
            pairing_section(),
            rx.cond(SettingsState.is_admin, users_section()),
            connections_section(),
            storage_section(),
            rx.cond(SettingsState.is_admin, engines_section()),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        title="Settings",
    )
