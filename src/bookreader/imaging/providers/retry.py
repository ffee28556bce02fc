"""Retry policy shared by the HTTP providers: what is transient, and how long to wait before again."""

from __future__ import annotations

import email.utils
import random
import time

import httpx

from bookreader.imaging.model import ProviderError

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to sleep before retry number `attempt` (1-based).

    Full jitter spreads retries of many concurrent jobs; a server's Retry-After is a floor, because
    asking earlier only earns another 429.
    """
    jittered = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    if retry_after is not None:
        return min(cap, max(retry_after, jittered))
    return jittered


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class TransientHttpError(Exception):
    """An answer worth retrying; converted to a ProviderError when attempts run out."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def reason_of(response: httpx.Response) -> str:
    """The provider's own explanation, short: JSON `error.message` / `detail` / text."""
    text = response.text[:500] if response.content else ""
    try:
        body = response.json()
    except ValueError:
        return text.strip() or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        for key in ("error", "detail", "message"):
            if isinstance(body.get(key), str):
                return body[key]
    return text.strip() or response.reason_phrase


def raise_for_status(response: httpx.Response, provider: str) -> None:
    """Transient statuses become TransientHttpError (retried); other errors fail at once."""
    status = response.status_code
    if status < 400:
        return
    reason = reason_of(response)
    if status in TRANSIENT_STATUSES:
        code = "rate_limited" if status == 429 else "provider_unavailable"
        raise TransientHttpError(
            code,
            f"{provider} answered {status}: {reason}",
            parse_retry_after(response.headers.get("retry-after")),
        )
    code = {401: "provider_auth", 403: "provider_auth", 400: "provider_rejected"}.get(
        status, "provider_error"
    )
    raise ProviderError(code, f"{provider} answered {status}: {reason}", transient=False)
