"""Rate limits (strict on login, general per user/IP), fail-open without Redis, CORS preflight, security
headers on API, static and error responses."""

from __future__ import annotations

import httpx
import pytest
from tests.harness import random_email, serving
from tests.support import sign_up

from bookreader.core.embedded import EmbeddedRedis


async def test_login_is_limited_per_ip_and_email(client: httpx.AsyncClient) -> None:
    email = random_email()
    statuses = []
    for _ in range(10):  # the real default: 10 per minute
        response = await client.post("/api/v1/auth/login", json={"email": email, "password": "wrong one 1"})
        statuses.append(response.status_code)
    assert statuses == [401] * 10
    limited = await client.post("/api/v1/auth/login", json={"email": email, "password": "wrong one 1"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert limited.headers["x-content-type-options"] == "nosniff"
    # another email from the same address is not caught by this one's limit
    other = await client.post("/api/v1/auth/login", json={"email": random_email(), "password": "wrong one 1"})
    assert other.status_code == 401


@pytest.fixture
async def strict_service(migrated, tmp_path):
    """An API with a tiny general limit, CORS for one origin and its own Redis (to stop it)."""
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False)
    redis.start()
    env = {
        **migrated,
        "REDIS_URL": redis.url,
        "BOOKREADER_EMBEDDED_WORKER": "0",
        "BOOKREADER_RATE_LIMIT_GENERAL": "8",
        "BOOKREADER_CORS_ORIGINS": "https://reader.example",
    }
    try:
        with serving(env, tmp_path / "api.log", command="api") as service:
            yield service, redis
    finally:
        redis.stop()


async def test_general_limit_cors_and_fail_open(strict_service) -> None:
    service, redis = strict_service
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        reader = await sign_up(http)  # 2 anonymous requests from this IP
        other = await sign_up(http)  # 2 more
        statuses = [(await reader.get("/api/v1/books")).status_code for _ in range(9)]
        assert statuses[:8] == [200] * 8 and statuses[8] == 429
        assert (await other.get("/api/v1/books")).status_code == 200  # per user, not global
        assert (await http.get("/health")).status_code == 200  # service routes are never limited

        preflight = await http.options(
            "/api/v1/books",
            headers={"Origin": "https://reader.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "https://reader.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        foreign = await http.options(
            "/api/v1/books",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert foreign.headers.get("access-control-allow-origin") != "https://evil.example"

        redis.stop()  # rate limits fail open: counting is impossible, anonymous calls still work
        wrong = await http.post("/api/v1/auth/login", json={"email": reader.email, "password": "wrong one 1"})
        assert wrong.status_code == 401
        # revocation fails closed: a signed-out session must not come back while Redis is away
        unchecked = await reader.get("/api/v1/books")
        assert unchecked.status_code == 503 and unchecked.json()["code"] == "unavailable"
        assert unchecked.headers["retry-after"]
        assert (await http.get("/ready")).status_code == 503


async def test_security_headers_everywhere(client: httpx.AsyncClient, base_url: str, reader) -> None:
    async with httpx.AsyncClient(base_url=base_url) as anonymous:  # no session cookie
        unauthorized = await anonymous.get("/api/v1/books")
    responses = {
        "api": await reader.get("/api/v1/books"),
        "static": await client.get("/static/app.css"),
        "not_found": await client.get("/api/v1/no-such-route"),
        "unauthorized": unauthorized,
        "openapi": await client.get("/schema/openapi.json"),
    }
    for name, response in responses.items():
        headers = response.headers
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("x-frame-options") == "DENY", name
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), name
        assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", name
    assert (
        responses["static"].status_code == 200
        and responses["not_found"].status_code == 404
        and responses["unauthorized"].status_code == 401
    )
