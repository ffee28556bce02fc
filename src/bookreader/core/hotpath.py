"""Hot routes answered below Litestar's handler machinery (issue 17).

A route handler marked with `middleware=[hot_route(answer)]` keeps its route, its OpenAPI entry and its
ordinary handler; this middleware sits between the routing (path parameters already parsed) and the
handler, and answers the request itself when it can: the caller is the one the rate limiter established
in this request (Bearer token verified, session not revoked — asked in the same Redis round trip), and
`answer` returns the status, headers and body. That skips the request object, the dependency resolution,
the signature model and the response object (a third of a chapter read's Python time).

When the caller is not established that way (the UI's cookie, Redis unavailable, the general limit turned
off) or `answer` returns None (a body it does not read strictly), the ordinary handler runs: it decides
exactly as before. An error `answer` raises is mapped by the same exception handlers as the handler's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.asgi_types import HTTPResponseBodyEvent, HTTPResponseStartEvent

from bookreader.core.auth import CLAIMS_STATE, REVOKED_STATE, Caller

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]
AnswerFn = Callable[[Scope, Caller, bytes], Awaitable[Answer | None]]
JSON = b"application/json"
BODY_LIMIT = 16 * 1024  # a hot write's JSON is a few hundred bytes; larger ones take the ordinary path


def known_caller(scope: Scope) -> Caller | None:
    """The caller the rate limiter verified in this request (token and revocation), or None."""
    state: dict[str, Any] = scope.get("state") or {}
    bearer, revoked = state.get(CLAIMS_STATE), state.get(REVOKED_STATE)
    if bearer is None or revoked is None or bearer[1] is None:
        return None
    claims = bearer[1]
    if revoked[0] != claims.session_id or revoked[1]:
        return None  # a revoked session: the ordinary path refuses it (401 invalid_token)
    state["session_id"] = claims.session_id  # as `core.auth.remember_session` notes it
    state["token_exp"] = claims.exp
    return Caller(claims.user_id, claims.session_id)


def json_headers(body: bytes, *extra: tuple[bytes, bytes]) -> Headers:
    return [(b"content-type", JSON), (b"content-length", b"%d" % len(body)), *extra]


def _json_length(scope: Scope) -> int | None:
    """The declared length of a JSON body, if it is declared, JSON and small; else None."""
    length, media_type = None, b""
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"content-type":
            media_type = value.split(b";")[0].strip().lower()
    return length if media_type == JSON and length is not None and length <= BODY_LIMIT else None


async def _read_body(receive: Receive, length: int) -> tuple[bytes | None, Receive]:
    """The body if it is complete and at most `length` bytes, and a `receive` that replays every message
    read here before the rest (the ordinary handler then reads the request as if nothing had)."""
    messages: list[Any] = []
    size = 0
    complete = False
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > length:
            break
        if not message.get("more_body"):
            complete = True
            break

    async def replay() -> Any:
        return messages.pop(0) if messages else await receive()

    body = b"".join(m.get("body", b"") for m in messages) if complete else None
    return body, replay


def hot_route(answer: AnswerFn, *, reads_body: bool = False) -> Callable[[ASGIApp], ASGIApp]:
    """`answer(scope, caller, body)`; `reads_body`: the route takes a small JSON body (else b"" is passed)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            caller = known_caller(scope) if scope["type"] == ScopeType.HTTP else None
            data = b""
            if caller is not None and reads_body:
                length = _json_length(scope)
                read, receive = (None, receive) if length is None else await _read_body(receive, length)
                caller, data = (None, b"") if read is None else (caller, read)
            answered = None if caller is None else await answer(scope, caller, data)
            if answered is None:
                await app(scope, receive, send)
                return
            status, headers, body = answered
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": status,
                "headers": headers,
            }
            await send(start)
            end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
            await send(end)

        return middleware

    return factory
