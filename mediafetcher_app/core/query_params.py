"""Reading the feed's filters from a query string, shared by the API and the web feed's state (which
must not import the API): a value out of range is an InvalidInput naming it, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import media_queries
from .errors import InvalidInput


def _date(params: Any, name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2026-01-31.", code="invalid_filter") from exc


def int_param(params: Any, name: str, default: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a number.", code="invalid_filter") from exc


def filter_from_query(params: Any) -> media_queries.MediaFilter:
    """The feed's filters from a query string (the API's and the web feed's); out of range is a 400."""
    limit = int_param(params, "limit")
    return media_queries.MediaFilter(
        q=params.get("q", ""),
        kind=params.get("kind", ""),
        platform=params.get("platform", ""),
        folder_id=int_param(params, "folder_id"),
        tag=params.get("tag", ""),
        downloaded_from=_date(params, "downloaded_from"),
        downloaded_to=_date(params, "downloaded_to"),
        posted_from=_date(params, "posted_from"),
        posted_to=_date(params, "posted_to"),
        sort=params.get("sort", "newest"),
        before=params.get("before", ""),
        limit=media_queries.MediaFilter.limit if limit is None else limit,
    ).validated()
