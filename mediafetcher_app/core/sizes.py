"""Byte counts as people read them: the one formatter the pages, the doctor and job errors share."""

from __future__ import annotations

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(value: float | None) -> str:
    """``1536`` -> ``1.5 KB`` (binary steps); whole bytes below a KB; "" when unknown."""
    if value is None:
        return ""
    size = float(value)
    for unit in _UNITS[:-1]:
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} {_UNITS[-1]}"
