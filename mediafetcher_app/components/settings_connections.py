"""Settings, Connections: which sites you have cookies for, whether they still work, and (for
administrators) everyone's cookie status and sharing."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.state.connections import ConnectionsState, JarRow

STATE_BADGES = {
    "expired": rx.badge("expired", color_scheme="red", variant="solid"),
    "expiring": rx.badge("expires soon", color_scheme="amber", variant="soft"),
    "ok": rx.badge("ok", color_scheme="green", variant="soft"),
}


def _status_cells(jar: JarRow) -> list[rx.Component]:
    return [
        rx.table.cell(jar["count"]),
        rx.table.cell(rx.hstack(rx.match(jar["state"], *STATE_BADGES.items(), rx.fragment()), jar["earliest_expiry"])),
        rx.table.cell(jar["last_sync"]),
        rx.table.cell(jar["last_check"]),
    ]


def _row_background(jar: JarRow) -> rx.Var:
    return rx.match(jar["state"], ("expired", rx.color("red", 2)), ("expiring", rx.color("amber", 2)), "transparent")


def _share_button(jar: JarRow) -> rx.Component:
    return rx.cond(
        ConnectionsState.is_admin,
        rx.button(
            rx.cond(jar["shared"], "Unshare", "Share"),
            on_click=ConnectionsState.set_shared(jar["domain"], ~jar["shared"]),
            title=rx.cond(
                jar["shared"],
                "Stop letting everyone's downloads use these cookies",
                "Let downloads of people without their own cookies for this site use these",
            ),
            size="1",
            variant=rx.cond(jar["shared"], "solid", "outline"),
        ),
    )


def _row(jar: JarRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(jar["domain"], weight="medium"),
                rx.cond(jar["shared"], rx.badge("shared", color_scheme="iris", variant="soft")),
                align="center",
            )
        ),
        *_status_cells(jar),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Check",
                    on_click=ConnectionsState.check(jar["domain"]),
                    disabled=~jar["checkable"],
                    title=rx.cond(
                        jar["checkable"], "Try the cookies on a signed-in page", "No check exists for this site"
                    ),
                    size="1",
                    variant="soft",
                ),
                _share_button(jar),
            )
        ),
        class_name="jar-row",
        custom_attrs={"data-state": jar["state"], "data-shared": jar["shared"].to(str)},
        background=_row_background(jar),
    )


def _owner_row(jar: JarRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(jar["domain"], weight="medium")),
        rx.table.cell(jar["owner"], rx.cond(jar["shared"], rx.badge("shared", color_scheme="iris", variant="soft"))),
        *_status_cells(jar),
        class_name="owner-jar-row",
        custom_attrs={"data-state": jar["state"]},
        background=_row_background(jar),
    )


def _table(header: tuple[str, ...], rows: rx.Var, render) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for title in header])),
            rx.table.body(rx.foreach(rows, render)),
            size="2",
            width="100%",
            white_space="nowrap",  # on a phone the table scrolls sideways instead of wrapping every cell
        ),
        overflow_x="auto",
        width="100%",
    )


def _own() -> rx.Component:
    return rx.cond(
        ConnectionsState.jars.length() > 0,
        _table(("Site", "Cookies", "Earliest expiry", "Last sync", "Last check", ""), ConnectionsState.jars, _row),
        rx.text(
            "No cookies yet. Pair the browser extension below and tick the sites whose sign-in it should sync.",
            color=rx.color("gray", 10),
        ),
    )


def _everyone() -> rx.Component:
    """Admins: every user's jars by owner; status only, never a value."""
    return rx.cond(
        ConnectionsState.everyone.length() > 0,
        rx.vstack(
            rx.text("Everyone's cookies", weight="medium", size="2"),
            _table(
                ("Site", "Owner", "Cookies", "Earliest expiry", "Last sync", "Last check"),
                ConnectionsState.everyone,
                _owner_row,
            ),
            spacing="2",
            width="100%",
            id="connections-everyone",
        ),
    )


def connections_section() -> rx.Component:
    """Cookie status per site (count, earliest expiry, last sync, last check); values never shown."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Connections", size="4"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("refresh-cw", size=16),
                    on_click=ConnectionsState.load,
                    variant="ghost",
                    aria_label="Refresh cookie status",
                ),
                width="100%",
                align="center",
            ),
            rx.text(
                "Sign-in cookies the extension synced from your browser, per site, so your downloads work as you. "
                "They are yours: stored encrypted, used only for your downloads (unless an administrator shares "
                "their own), and only their count and dates are shown.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.cond(ConnectionsState.loaded, rx.vstack(_own(), _everyone(), spacing="4", width="100%"), rx.spinner()),
            spacing="3",
            width="100%",
        ),
        id="settings-connections",
        width="100%",
        on_mount=ConnectionsState.load,
    )
