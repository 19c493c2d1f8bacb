"""Dashboard: counters, live downloads with progress, recent history."""

import reflex as rx

from mediafetcher_app.components.jobs import active_job, history_job
from mediafetcher_app.components.shell import empty_state, shell
from mediafetcher_app.state.dashboard import DashboardState


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


def dashboard_page() -> rx.Component:
    return shell(
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
                rx.heading("Active downloads", size="4"),
                rx.cond(
                    DashboardState.active_jobs.length() > 0,
                    rx.vstack(rx.foreach(DashboardState.active_jobs, active_job), width="100%", spacing="3"),
                    rx.text("Nothing downloading right now.", color=rx.color("gray", 10)),
                ),
                rx.heading("History", size="4", padding_top="1em"),
                rx.cond(
                    DashboardState.history.length() > 0,
                    rx.vstack(
                        rx.foreach(DashboardState.history, history_job), width="100%", spacing="0", id="job-history"
                    ),
                    empty_state(
                        "history", "No downloads yet", "Paste a link above to fetch your first video, song or picture."
                    ),
                ),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
        ),
        title="Dashboard",
    )
