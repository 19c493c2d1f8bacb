"""Numbers as people read them."""

from __future__ import annotations

from datetime import UTC, datetime


def human_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def short_time(value: datetime | str | None, empty: str = "never") -> str:
    """A UTC timestamp (datetime or ISO 8601 text) to the minute, or ``empty`` when there is none."""
    if value is None:
        return empty
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
