"""Settings > Engines (administrators; anchor ``#engines``): the doctor's engine lines, updates
and one-click rollback."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.state.engines import EnginesState, FactRow, VersionRow


def _fact(fact: FactRow) -> rx.Component:
    return rx.hstack(
        rx.cond(
            fact["ok"],
            rx.icon("circle-check", size=16, color=rx.color("green", 9), flex_shrink="0"),
            rx.icon(
                "triangle-alert",
                size=16,
                color=rx.cond(fact["required"], rx.color("red", 9), rx.color("amber", 9)),
                flex_shrink="0",
            ),
        ),
        rx.vstack(
            rx.hstack(
                rx.text(fact["name"], weight="medium", size="2"),
                rx.text(fact["detail"], size="2", color=rx.color("gray", 11), word_break="break-word"),
                spacing="2",
                flex_wrap="wrap",
            ),
            rx.cond(fact["problem"] != "", rx.text(fact["problem"], size="1", color=rx.color("red", 11))),
            spacing="0",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        class_name="engine-fact",
        custom_attrs={"data-ok": fact["ok"].to(str), "data-name": fact["name"]},
    )


def _version(row: VersionRow) -> rx.Component:
    return rx.hstack(
        rx.text(row["package"], weight="medium", size="2"),
        rx.text(row["active"], size="2"),
        rx.cond(
            row["newer"],
            rx.badge("→ ", row["available"], color_scheme="green", variant="soft"),
            rx.badge("current", variant="soft"),
        ),
        spacing="2",
        align="center",
        class_name="engine-version",
        custom_attrs={"data-package": row["package"]},
    )


def _action(icon: str, label: str, on_click: rx.EventHandler | rx.event.EventSpec, **props) -> rx.Component:
    """A button of the section, disabled while something runs."""
    props.setdefault("disabled", EnginesState.busy != "")
    return rx.button(rx.icon(icon, size=16), label, on_click=on_click, size="2", **props)


def _body() -> rx.Component:
    return rx.vstack(
        rx.cond(
            EnginesState.facts.length() > 0,
            rx.vstack(rx.foreach(EnginesState.facts, _fact), spacing="2", width="100%", id="engine-facts"),
            rx.cond(EnginesState.busy == "", rx.text("No facts gathered yet.", color=rx.color("gray", 10))),
        ),
        rx.cond(
            EnginesState.versions.length() > 0,
            rx.vstack(rx.foreach(EnginesState.versions, _version), spacing="1", id="engine-versions"),
        ),
        rx.cond(
            EnginesState.busy != "",
            rx.hstack(rx.spinner(size="2"), rx.text(EnginesState.busy, size="2"), align="center", id="engines-busy"),
        ),
        rx.flex(
            _action("refresh-cw", "Check again", EnginesState.load(True), variant="soft"),
            _action("search", "Check for updates", EnginesState.check_updates, variant="soft"),
            _action("download", "Update engines", EnginesState.update),
            _action(
                "undo-2",
                "Roll back",
                EnginesState.rollback,
                variant="outline",
                color_scheme="orange",
                disabled=(EnginesState.busy != "") | ~EnginesState.rollback_ready,
            ),
            gap="2",
            flex_wrap="wrap",
        ),
        rx.text(
            "Updates of yt-dlp, yt-dlp-ejs and gallery-dl pass a self-test before engines use them from their "
            "next job; the installed versions stay as the fallback.",
            size="1",
            color=rx.color("gray", 10),
        ),
        spacing="3",
        width="100%",
    )


def engines_section() -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading("Engines", size="4"), _body(), spacing="3", width="100%"),
        width="100%",
        id="engines",
        on_mount=EnginesState.load(False),
    )
