from __future__ import annotations

import asyncio

import httpx
from tests.harness import random_email
from tests.support import sign_up


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    email = random_email()
    created = await client.post(
        "/api/v1/auth/register",
        json={"email": email.upper(), "password": "long enough 1", "display_name": "Ann"},
    )
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == email and user["display_name"] == "Ann" and user["role"] == "user"
    assert "password" not in created.text and "hash" not in created.text

    login = await client.post("/api/v1/auth/login", json={"email": email, "password": "long enough 1"})
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == user["id"] and body["plan"] == "free"
    assert body["usage"]["books"] == 0


async def test_bad_registration_and_login_are_clear_4xx(client: httpx.AsyncClient) -> None:
    email = random_email()
    assert (
        await client.post("/api/v1/auth/register", json={"email": email, "password": "long enough 1"})
    ).status_code == 201
    again = await client.post("/api/v1/auth/register", json={"email": email, "password": "long enough 1"})
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    short = await client.post("/api/v1/auth/register", json={"email": random_email(), "password": "short"})
    assert short.status_code == 400 and short.json()["code"] == "validation_error"
    wrong = await client.post("/api/v1/auth/login", json={"email": email, "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    assert wrong.headers["content-type"].startswith("application/problem+json")
    unknown = await client.post("/api/v1/auth/login", json={"email": random_email(), "password": "whatever1"})
    assert unknown.status_code == 401


async def test_no_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/users/me")).status_code == 401
    bad = await client.get("/api/v1/users/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    first = reader.tokens["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first

    # the spent token presented again: 401, and the whole family (including `second`) is revoked
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401 and reused.json()["code"] == "token_reused"
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401

    # another login is a new family and still works
    login = await client.post("/api/v1/auth/login", json={"email": reader.email, "password": reader.password})
    fresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert fresh.status_code == 200


async def test_concurrent_refresh_with_one_token_succeeds_once(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    token = reader.tokens["refresh_token"]
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/refresh", json={"refresh_token": token}) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers).count(200) == 1


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    assert (await reader.get("/api/v1/users/me")).status_code == 200
    out = await reader.post("/api/v1/auth/logout")
    assert out.status_code == 204
    assert (await reader.get("/api/v1/users/me")).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": reader.tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
