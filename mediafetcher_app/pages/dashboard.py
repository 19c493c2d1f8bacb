"""Dashboard: counters, live downloads with progress, recent history."""

import reflex as rx

from mediafetcher_app.components.jobs import active_job, batch_card, checking_card, history_job
from mediafetcher_app.components.shell import empty_state, shell
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.dashboard_view import EventRow

EVENT_ICONS = {
    "added": ("plus", "blue"),
    "finished": ("circle-check", "green"),
    "failed": ("circle-x", "red"),
    "cancelled": ("ban", "orange"),
    "deleted": ("trash-2", "red"),
    "cookies_synced": ("cookie", "violet"),
    "engines": ("cpu", "iris"),
    "source checked": ("rss", "blue"),
    "source failed": ("rss", "red"),
}


def _counter(label: str, value: rx.Var[int], icon: str, color: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=22, color=rx.color(color, 9)),
            rx.vstack(rx.text(label, size="2", color=rx.color("gray", 10)), rx.heading(value, size="6"), spacing="0"),
            align="center",
            spacing="3",
        ),
        flex="1",
        min_width="9em",
    )


def _status(label: str, ok: rx.Var[bool], detail: rx.Var | str) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="0.6em",
            height="0.6em",
            border_radius="50%",
            background=rx.cond(ok, rx.color("green", 9), rx.color("red", 9)),
        ),
        rx.text(label, size="2", weight="medium"),
        rx.text(detail, size="1", color=rx.color("gray", 10)),
        align="center",
        spacing="2",
        class_name="mf-status",
    )


def system_status() -> rx.Component:
    health = DashboardState.health
    return rx.card(
        rx.flex(
            _status("Database", health["database"], rx.cond(health["database"], "connected", "unreachable")),
            _status("Queue", health["queue"], rx.cond(health["queue"], "connected", "unreachable")),
            _status("Workers", health["workers_ok"], health["workers"].to_string() + " · " + health["worker_age"]),
            _status(
                "NAS",
                health["disk_percent"] < 95,
                health["disk_used"] + " used of " + health["disk_total"] + " · " + health["disk_free"] + " free",
            ),
            _status("Engines", health["engines_ok"], rx.cond(health["engines_ok"], health["engines"], "")),
            # Room between the items whether they sit on one line or wrap (a phone: one per line).
            column_gap="2em",
            row_gap="0.6em",
            flex_wrap="wrap",
        ),
        rx.cond(
            ~health["engines_ok"],
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert", size=16)),
                rx.callout.text(
                    health["engines"],
                    rx.cond(DashboardState.is_admin, rx.link(" Open Settings: Engines", href="/settings#engines")),
                ),
                color_scheme="red",
                size="1",
                margin_top="0.75em",
                id="engines-warning",
            ),
        ),
        width="100%",
        id="system-status",
    )


@rx.memo
def event_row(kind: rx.Var[str], message: rx.Var[str], at: rx.Var[str]) -> rx.Component:
    """A history line: a memo keyed by the event's id, so a push renders only the new lines."""
    return rx.hstack(
        rx.match(
            kind,
            *[(name, rx.icon(icon, size=16, color=rx.color(color, 9))) for name, (icon, color) in EVENT_ICONS.items()],
            rx.icon("dot", size=16, color=rx.color("gray", 9)),
        ),
        rx.text(message, size="2", flex="1", min_width="0", truncate=True),
        rx.text(at, size="1", color=rx.color("gray", 10), white_space="nowrap"),
        width="100%",
        align="center",
        padding_y="0.35em",
        content_visibility="auto",
        contain_intrinsic_size="auto 2.2em",
    )


def _event(event: EventRow) -> rx.Component:
    return event_row(kind=event["kind"], message=event["message"], at=event["at"], key=event["id"])


def dashboard_page() -> rx.Component:
    return shell(
        system_status(),
        rx.flex(
            _counter("In progress", DashboardState.counters["active"], "loader", "blue"),
            _counter("Succeeded", DashboardState.counters["done"], "circle-check", "green"),
            _counter("Failed", DashboardState.counters["failed"], "circle-x", "red"),
            gap="3",
            width="100%",
            flex_wrap="wrap",
        ),
        rx.cond(
            DashboardState.loaded,
            rx.vstack(
                rx.cond(
                    (DashboardState.batches.length() > 0) | (DashboardState.checking.length() > 0),
                    rx.vstack(
                        rx.heading("Batches and sources", size="4"),
                        rx.foreach(DashboardState.checking, checking_card),
                        rx.foreach(DashboardState.batches, batch_card),
                        width="100%",
                        spacing="3",
                        id="batches",
                    ),
                ),
                rx.heading("Active downloads", size="4"),
                rx.cond(
                    DashboardState.active_jobs.length() > 0,
                    rx.vstack(rx.foreach(DashboardState.active_jobs, active_job), width="100%", spacing="3"),
                    rx.text("Nothing downloading right now.", color=rx.color("gray", 10)),
                ),
                rx.heading("Recent downloads", size="4", padding_top="1em"),
                rx.cond(
                    DashboardState.history.length() > 0,
                    rx.vstack(
                        rx.foreach(DashboardState.history, history_job), width="100%", spacing="0", id="job-history"
                    ),
                    empty_state(
                        "history", "No downloads yet", "Paste a link above to fetch your first video, song or picture."
                    ),
                ),
                rx.heading("History", size="4", padding_top="1em"),
                rx.vstack(rx.foreach(DashboardState.events, _event), width="100%", spacing="0", id="event-log"),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
        ),
        title="Dashboard",
    )
