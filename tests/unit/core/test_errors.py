"""Every failure leaves the API as RFC 9457 problem details with a machine-readable `code`: domain errors,
Litestar's own (validation, unknown route, wrong method), values the database cannot hold, a backing
service away (503 + Retry-After) and anything else (500, without the exception's text)."""

from __future__ import annotations

import asyncpg
import pytest
from litestar import Litestar, get, post
from litestar.testing import TestClient

from bookreader.core.errors import (
    EXCEPTION_HANDLERS,
    PROBLEM_JSON,
    Conflict,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    RateLimited,
)

RAISED: dict[str, Exception] = {
    "not-found": NotFound("No such book."),
    "conflict": Conflict("Already there.", code="duplicate_book"),
    "invalid": InvalidInput("Bad color."),
    "quota": QuotaExceeded("No pictures left today."),
    "rate": RateLimited("Slow down.", headers={"Retry-After": "7"}),
    "overflow": OverflowError("int too big"),
    "data": asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range"),
    "redis-away": ConnectionRefusedError("connection refused"),
    "bug": RuntimeError("secret internals"),
}


@get("/raise/{name:str}")
async def raising(name: str) -> None:
    raise RAISED[name]


@get("/number")
async def number(n: int) -> int:
    return n


@post("/only-post")
async def only_post() -> None:
    return None


@pytest.fixture(scope="module")
def client():
    app = Litestar(route_handlers=[raising, number, only_post], exception_handlers=EXCEPTION_HANDLERS)
    with TestClient(app=app) as http:
        yield http


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("not-found", 404, "not_found"),
        ("conflict", 409, "duplicate_book"),
        ("invalid", 422, "invalid_input"),
        ("quota", 402, "quota_exceeded"),
        ("rate", 429, "rate_limited"),
        ("overflow", 400, "validation_error"),
        ("data", 400, "validation_error"),
        ("redis-away", 503, "unavailable"),
        ("bug", 500, "internal_error"),
    ],
)
def test_raised_errors_become_problem_details(client: TestClient, name: str, status: int, code: str) -> None:
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["title"] and problem["detail"]


def test_domain_messages_and_headers_reach_the_client(client: TestClient) -> None:
    assert client.get("/raise/not-found").json()["detail"] == "No such book."
    assert client.get("/raise/rate").headers["retry-after"] == "7"
    assert client.get("/raise/redis-away").headers["retry-after"] == "5"


def test_an_unexpected_error_does_not_leak_its_text(client: TestClient) -> None:
    assert "secret" not in client.get("/raise/bug").text


def test_framework_errors_get_codes_too(client: TestClient) -> None:
    invalid = client.get("/number", params={"n": "many"})
    assert (invalid.status_code, invalid.json()["code"]) == (400, "validation_error")
    assert invalid.json()["errors"]  # which parameter, for the form
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong_method = client.get("/only-post")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
