"""Domain errors with a code and a sentence a user understands; the edges map them to HTTP/UI."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``code`` is stable for clients, ``message`` is for people."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    code, status = "invalid_input", 400


class NotAuthenticated(DomainError):
    code, status = "not_authenticated", 401


class Forbidden(DomainError):
    code, status = "forbidden", 403


class NotFound(DomainError):
    code, status = "not_found", 404


class Conflict(DomainError):
    code, status = "conflict", 409


class RateLimited(DomainError):
    code, status = "rate_limited", 429
