"""Settings, Connections: which sites have cookies in the vault, and whether they still work."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.state.connections import ConnectionsState, JarRow

STATE_BADGES = {
    "expired": rx.badge("expired", color_scheme="red", variant="solid"),
    "expiring": rx.badge("expires soon", color_scheme="amber", variant="soft"),
    "ok": rx.badge("ok", color_scheme="green", variant="soft"),
}


def _row(jar: JarRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(jar["domain"], weight="medium")),
        rx.table.cell(jar["count"]),
        rx.table.cell(rx.hstack(rx.match(jar["state"], *STATE_BADGES.items(), rx.fragment()), jar["earliest_expiry"])),
        rx.table.cell(jar["last_sync"]),
        rx.table.cell(jar["last_check"]),
        rx.table.cell(
            rx.button(
                "Check",
                on_click=ConnectionsState.check(jar["domain"]),
                disabled=~jar["checkable"],
                title=rx.cond(jar["checkable"], "Try the cookies on a signed-in page", "No check exists for this site"),
                size="1",
                variant="soft",
            )
        ),
        class_name="jar-row",
        custom_attrs={"data-state": jar["state"]},
        background=rx.match(
            jar["state"], ("expired", rx.color("red", 2)), ("expiring", rx.color("amber", 2)), "transparent"
        ),
    )


def _table() -> rx.Component:
    header = ("Site", "Cookies", "Earliest expiry", "Last sync", "Last check", "")
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for title in header])),
            rx.table.body(rx.foreach(ConnectionsState.jars, _row)),
            size="2",
            width="100%",
            white_space="nowrap",  # on a phone the table scrolls sideways instead of wrapping every cell
        ),
        overflow_x="auto",
        width="100%",
    )


def _body() -> rx.Component:
    return rx.cond(
        ~ConnectionsState.allowed,
        rx.text("Only an administrator can see and manage the cookie vault.", color=rx.color("gray", 10)),
        rx.cond(
            ConnectionsState.jars.length() > 0,
            _table(),
            rx.text(
                "No cookies yet. Pair the browser extension below and tick the sites whose sign-in it should sync.",
                color=rx.color("gray", 10),
            ),
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
                "Sign-in cookies the extension synced from your browser, per site, so downloads work as you. "
                "They are stored encrypted; only their count and dates are shown.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.cond(ConnectionsState.loaded, _body(), rx.spinner()),
            spacing="3",
            width="100%",
        ),
        id="settings-connections",
        width="100%",
        on_mount=ConnectionsState.load,
    )
