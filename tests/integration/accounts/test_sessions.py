"""Ending sessions: refresh-token reuse, password change, sign out everywhere, admin-issued reset links."""

from __future__ import annotations

import httpx
from tests.integration.admin.test_admin_api import admin_reader
from tests.support import Reader, sign_up


async def login(http: httpx.AsyncClient, email: str, password: str) -> Reader:
    answer = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return Reader(http, email, password, answer.json())


async def test_refresh_reuse_also_stops_the_familys_access_tokens(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    first_refresh = reader.tokens["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first_refresh})
    assert rotated.status_code == 200
    fresh_access = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert (await client.get("/api/v1/users/me", headers=fresh_access)).status_code == 200

    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first_refresh})
    assert reused.status_code == 401 and reused.json()["code"] == "token_reused"
    # the thief's (or the victim's) access token of that family no longer works either
    after = await client.get("/api/v1/users/me", headers=fresh_access)
    assert after.status_code == 401 and after.json()["code"] == "invalid_token"


async def test_password_change_ends_other_sessions_only(client: httpx.AsyncClient) -> None:
    laptop = await sign_up(client)
    phone = await login(client, laptop.email, laptop.password)

    wrong = await laptop.post(
        "/api/v1/auth/password",
        json={"current_password": "not it at all", "new_password": "brand new pass 2"},
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    changed = await laptop.post(
        "/api/v1/auth/password",
        json={"current_password": laptop.password, "new_password": "brand new pass 2"},
    )
    assert changed.status_code == 204, changed.text

    assert (await laptop.get("/api/v1/users/me")).status_code == 200  # this session stays
    assert (await phone.get("/api/v1/users/me")).status_code == 401  # the other one ends at once
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": phone.tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    old = await client.post("/api/v1/auth/login", json={"email": laptop.email, "password": laptop.password})
    assert old.status_code == 401
    await login(client, laptop.email, "brand new pass 2")


async def test_sign_out_everywhere(client: httpx.AsyncClient) -> None:
    one = await sign_up(client)
    two = await login(client, one.email, one.password)
    assert (await one.post("/api/v1/auth/logout-all")).status_code == 204
    for session in (one, two):
        assert (await session.get("/api/v1/users/me")).status_code == 401
        again = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": session.tokens["refresh_token"]}
        )
        assert again.status_code == 401


async def test_admin_issued_reset_link(client: httpx.AsyncClient, admin_account) -> None:
    admin = await admin_reader(client, admin_account)
    user = await sign_up(client)
    me = (await user.get("/api/v1/users/me")).json()

    refused = await user.post(f"/api/v1/admin/users/{me['id']}/password-reset")
    assert refused.status_code == 403
    issued = await admin.post(f"/api/v1/admin/users/{me['id']}/password-reset")
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert token in issued.json()["reset_path"]

    short = await client.post("/api/v1/auth/password-reset", json={"token": token, "new_password": "short"})
    assert short.status_code == 400  # validation first: the token is not spent by a bad request
    reset = await client.post(
        "/api/v1/auth/password-reset", json={"token": token, "new_password": "forgot it once 3"}
    )
    assert reset.status_code == 204, reset.text
    assert (await user.get("/api/v1/users/me")).status_code == 401  # every old session ended
    await login(client, user.email, "forgot it once 3")
    twice = await client.post(
        "/api/v1/auth/password-reset", json={"token": token, "new_password": "again again 4"}
    )
    assert twice.status_code == 401 and twice.json()["code"] == "invalid_token"
