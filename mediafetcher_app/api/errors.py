"""Errors as ``{"error": {"code", "message"}}`` (docs/ARCHITECTURE.md §5)."""

from __future__ import annotations

import logging

from psycopg.errors import NumericValueOutOfRange
from sqlalchemy.exc import DataError
from starlette.requests import Request
from starlette.responses import JSONResponse

from mediafetcher_app.core.errors import DomainError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    response = error_response(exc.status, exc.code, exc.message)
    if headers:
        response.headers.update(headers)
    return response


async def _unusable_value(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL refused a value from the request (a number past its range, a NUL in a text).

    The routes check what they can; this is the net for values that reach the database unchecked,
    so a hostile parameter is the caller's 400, never a 500. Neither the value nor the SQL goes
    into the answer or the log.
    """
    assert isinstance(exc, DataError)
    log.warning("refused an unusable value on %s %s (%s)", request.method, request.url.path, type(exc.orig).__name__)
    if isinstance(exc.orig, NumericValueOutOfRange):
        return error_response(400, "invalid_value", "A number in the request is out of range.")
    return error_response(400, "invalid_value", "A value in the request cannot be used (a NUL character in a text?).")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "Something went wrong on the server. The log has the details.")


exception_handlers = {DomainError: _domain_error, DataError: _unusable_value, Exception: _unexpected}
