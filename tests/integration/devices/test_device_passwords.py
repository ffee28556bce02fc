"""Device passwords through the HTTP API: shown once, listed without secrets, revocable, per user."""

from __future__ import annotations

import httpx

from tests.support import sign_up


async def test_create_list_revoke(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    created = await reader.post("/api/v1/device-passwords", json={"name": "Kobo Libra"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) >= {"id", "name", "password", "created_at"}
    assert body["name"] == "Kobo Libra" and len(body["password"]) >= 20
    assert body["username"] == reader.email

    listed = (await reader.get("/api/v1/device-passwords")).json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "password" not in listed[0] and listed[0]["last_used_at"] is None
    assert body["password"] not in str(listed)

    other = await sign_up(client)
    assert (await other.get("/api/v1/device-passwords")).json() == []
    assert (await other.delete(f"/api/v1/device-passwords/{body['id']}")).status_code == 404

    assert (await reader.delete(f"/api/v1/device-passwords/{body['id']}")).status_code == 204
    assert (await reader.get("/api/v1/device-passwords")).json() == []
    assert (await reader.delete(f"/api/v1/device-passwords/{body['id']}")).status_code == 404


async def test_bad_input_and_anonymous(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    empty = await reader.post("/api/v1/device-passwords", json={"name": ""})
    assert empty.status_code == 400 and empty.json()["code"] == "validation_error"
    async with httpx.AsyncClient(base_url=client.base_url) as anonymous:  # no cookie from the sign-in
        assert (await anonymous.get("/api/v1/device-passwords")).status_code == 401
