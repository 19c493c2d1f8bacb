"""Download rows for the dashboard: progress while running, the reason when failed."""

import reflex as rx

from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.dashboard_view import BatchRow, JobRow

STATUS_COLORS = {
    "queued": "gray",
    "probing": "blue",
    "downloading": "blue",
    "processing": "violet",
    "done": "green",
    "failed": "red",
    "cancelled": "orange",
}


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in STATUS_COLORS.items()],
        rx.badge(status),
    )


def _url(url: rx.Var[str]) -> rx.Component:
    return rx.link(url, href=url, is_external=True, size="2", weight="medium", truncate=True, max_width="100%")


# A push replaces the whole job list, yet most rows come back the same: each row is a memo (React
# re-renders it only when one of its own fields changed) keyed by the job's id (a new job at the
# top moves the others instead of making every row below it render again). Measured with 50
# Chromium tabs on a 2-core server: a job's end seen at p95 9.5 -> 6.9 s (bench/INTAKE_RESULTS.md).


@rx.memo
def active_row(
    job_id: rx.Var[int],
    url: rx.Var[str],
    status: rx.Var[str],
    stage: rx.Var[str],
    percent: rx.Var[int],
    progress: rx.Var[str],
    speed: rx.Var[str],
    eta: rx.Var[str],
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(status),
                _url(url),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=16),
                    on_click=DashboardState.cancel(job_id),
                    variant="ghost",
                    color_scheme="red",
                    aria_label="Cancel download",
                    title="Cancel",
                ),
                width="100%",
                align="center",
            ),
            rx.progress(value=percent, max=100, width="100%"),
            rx.hstack(
                rx.text(stage, size="1", color=rx.color("gray", 10)),
                rx.spacer(),
                rx.text(progress, size="1", color=rx.color("gray", 10)),
                rx.text(speed, size="1", color=rx.color("gray", 10)),
                rx.cond(eta != "", rx.text("ETA ", eta, size="1", color=rx.color("gray", 10))),
                width="100%",
                spacing="3",
            ),
            width="100%",
            spacing="2",
        ),
        width="100%",
        class_name="job-row",
        data_status=status,
    )


def active_job(job: JobRow) -> rx.Component:
    return active_row(
        job_id=job["id"],
        url=job["url"],
        status=job["status"],
        stage=job["stage"],
        percent=job["percent"].to(int),
        progress=job["progress"],
        speed=job["speed"],
        eta=job["eta"],
        key=job["id"],
    )


@rx.memo
def history_row(
    job_id: rx.Var[int],
    url: rx.Var[str],
    status: rx.Var[str],
    error: rx.Var[str],
    error_action: rx.Var[str],
    error_action_label: rx.Var[str],
    created: rx.Var[str],
) -> rx.Component:
    return rx.hstack(
        status_badge(status),
        rx.vstack(
            _url(url),
            rx.cond(error != "", rx.text(error, size="1", color=rx.color("red", 11))),
            rx.cond(
                error_action != "",
                rx.link(error_action_label, href=error_action, size="1", class_name="job-fix-link"),
            ),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.text(created, size="1", color=rx.color("gray", 10), white_space="nowrap", display=["none", "block"]),
        rx.cond(
            (status == "failed") | (status == "cancelled"),
            rx.icon_button(
                rx.icon("rotate-ccw", size=16),
                on_click=DashboardState.retry(job_id),
                variant="ghost",
                aria_label="Retry download",
                title="Retry",
            ),
        ),
        width="100%",
        align="center",
        padding_y="0.6em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        # rows below the fold skip layout and paint until scrolled near (a push moves them all)
        content_visibility="auto",
        contain_intrinsic_size="auto 3.5em",
        class_name="job-row",
        data_status=status,
    )


def history_job(job: JobRow) -> rx.Component:
    return history_row(
        job_id=job["id"],
        url=job["url"],
        status=job["status"],
        error=job["error"],
        error_action=job["error_action"],
        error_action_label=job["error_action_label"],
        created=job["created"],
        key=job["id"],
    )


def batch_card(batch: BatchRow) -> rx.Component:
    """Links queued together (a paste of many, a source's new items), shown like one download."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("layers", size=16, color=rx.color("accent", 9)),
                rx.text(batch["label"], size="2", weight="medium", truncate=True, flex="1", min_width="0"),
                rx.text(batch["progress"], size="1", color=rx.color("gray", 10), white_space="nowrap"),
                width="100%",
                align="center",
            ),
            rx.progress(value=batch["percent"].to(int), max=100, width="100%"),
            rx.text(batch["counts"], size="1", color=rx.color("gray", 10)),
            width="100%",
            spacing="2",
        ),
        width="100%",
        class_name="batch-row",
        data_active=batch["active"].to_string(),
    )


def checking_card(name: rx.Var[str]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.spinner(size="2"),
            rx.text("Checking ", rx.text.strong(name), " for new posts…", size="2", truncate=True),
            align="center",
            width="100%",
        ),
        width="100%",
        class_name="checking-row",
    )
