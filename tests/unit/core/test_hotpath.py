"""core/hotpath.py as an ASGI middleware: it answers only callers the rate limiter established (token and
session checked in this request), hands everyone else to the ordinary handler, and replays a body it read."""

from __future__ import annotations

import uuid
from typing import Any

from bookreader.core.auth import CLAIMS_STATE, REVOKED_STATE, Caller
from bookreader.core.hotpath import hot_route, json_headers, known_caller
from bookreader.core.security import AccessClaims


def scope_with(revoked: bool | None, body_type: bytes = b"application/json", length: int = 2) -> dict:
    claims = AccessClaims(uuid.uuid4(), uuid.uuid4(), 2_000_000_000)
    state: dict[str, Any] = {CLAIMS_STATE: ("token", claims)}
    if revoked is not None:
        state[REVOKED_STATE] = (claims.session_id, revoked)
    headers = [(b"content-type", body_type), (b"content-length", str(length).encode())]
    return {"type": "http", "state": state, "headers": headers, "path_params": {}}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.ordinary_bodies: list[bytes] = []

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    async def ordinary(self, scope, receive, send) -> None:
        message = await receive()
        self.ordinary_bodies.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 418, "headers": []})


def receiver(*chunks: bytes):
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]

    async def receive() -> dict:
        return messages.pop(0)

    return receive


async def answer(scope, caller: Caller, body: bytes):
    if body == b"no":
        return None
    content = b'{"user":"%s","body":%s}' % (str(caller.user_id).encode(), body or b"null")
    return 200, json_headers(content), content


def test_known_caller_needs_the_limiters_revocation_answer() -> None:
    assert known_caller(scope_with(None)) is None  # Redis did not answer: the ordinary path fails closed
    assert known_caller(scope_with(True)) is None  # revoked: the ordinary path refuses
    fresh = scope_with(False)
    caller = known_caller(fresh)
    assert caller is not None and fresh["state"]["session_id"] == caller.session_id
    assert known_caller({"type": "http", "state": {}}) is None  # a cookie caller


async def test_the_hot_route_answers_or_hands_over() -> None:
    recorder = Recorder()
    middleware = hot_route(answer)(recorder.ordinary)
    await middleware(scope_with(False), receiver(b""), recorder.send)
    assert recorder.sent[0]["status"] == 200 and not recorder.ordinary_bodies
    recorder.sent.clear()
    await middleware(scope_with(None), receiver(b""), recorder.send)
    assert recorder.sent[0]["status"] == 418


async def test_a_body_read_on_the_hot_path_is_replayed_to_the_ordinary_handler() -> None:
    recorder = Recorder()
    middleware = hot_route(answer, reads_body=True)(recorder.ordinary)
    await middleware(scope_with(False, length=5), receiver(b"[1,", b"2]"), recorder.send)
    assert recorder.sent[-1]["body"].endswith(b'"body":[1,2]}')
    await middleware(scope_with(False, length=2), receiver(b"no"), recorder.send)  # answer declined
    assert recorder.ordinary_bodies == [b"no"]
    await middleware(scope_with(False, b"text/plain", 2), receiver(b"hi"), recorder.send)  # not JSON
    assert recorder.ordinary_bodies == [b"no", b"hi"]
    await middleware(scope_with(False, length=1), receiver(b"toolong"), recorder.send)  # longer than declared
    assert recorder.ordinary_bodies[-1] == b"toolong"
