"""Domain errors raised by services, and the one place that maps them (and everything else) to RFC 9457
problem details with a machine-readable `code`."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from bookreader.core.jobs import is_transient

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400
    title = "Bad request"
    code = "bad_request"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message or self.title)
        self.message = message or self.title
        if code:
            self.code = code
        self.headers = headers or {}


class InvalidInput(DomainError):
    status, title, code = 422, "Invalid input", "invalid_input"


class Unauthorized(DomainError):
    status, title, code = 401, "Not authenticated", "unauthorized"


class Forbidden(DomainError):
    status, title, code = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, code = 404, "Not found", "not_found"


class Conflict(DomainError):
    status, title, code = 409, "Conflict", "conflict"


class PayloadTooLarge(DomainError):
    status, title, code = 413, "Too large", "file_too_large"


class UnsupportedMedia(DomainError):
    status, title, code = 415, "Unsupported book", "unsupported_format"


class QuotaExceeded(DomainError):
    """A plan's allowance is used up (402); `RateLimited` is for short-term rates (429)."""

    status, title, code = 402, "Quota exceeded", "quota_exceeded"


class RateLimited(DomainError):
    status, title, code = 429, "Too many requests", "rate_limited"


class Unavailable(DomainError):
    status, title, code = 503, "Service unavailable", "unavailable"

    def __init__(
        self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, code=code, headers=headers or {"Retry-After": "5"})


class Problem(msgspec.Struct, omit_defaults=True):
    status: int
    title: str
    detail: str
    code: str
    type: str = "about:blank"
    instance: str | None = None
    errors: list[Any] | None = None


_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("file_too_large", "Too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def problem_response(
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[Any] | None = None,
) -> Response[Problem]:
    return Response(
        content=Problem(status=status, title=title, detail=detail, code=code, errors=errors),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if isinstance(exc, DomainError):
        return problem_response(exc.status, exc.title, exc.message, exc.code, headers=exc.headers)
    if isinstance(exc, ValidationException):
        extra = exc.extra if isinstance(exc.extra, list) else None
        return problem_response(400, "Invalid request", str(exc.detail), "validation_error", errors=extra)
    if isinstance(exc, HTTPException):
        code, title = _HTTP_CODES.get(exc.status_code, (f"http_{exc.status_code}", "Error"))
        return problem_response(exc.status_code, title, str(exc.detail), code, headers=exc.headers)
    if isinstance(exc, asyncpg.exceptions.DataError | OverflowError):
        # a value the database cannot hold (an integer past its range, say): the caller's input, not a fault
        return problem_response(400, "Invalid request", "A value is out of range.", "validation_error")

    if is_transient(exc):  # Postgres or Redis away for a moment: say so, and when to try again
        log.warning(
            "dependency unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return problem_response(
            503, "Service unavailable", "A backing service is unavailable; try again shortly.", "unavailable",
            headers={"Retry-After": "5"},
        )  # fmt: skip
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "Internal error", "An unexpected error occurred.", "internal_error")


EXCEPTION_HANDLERS = {Exception: handle_exception}
