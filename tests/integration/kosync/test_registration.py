"""KOReader's "Register" (`POST /kosync/users/create`) with the operator's switch on: it never creates an
account or a credential from an unauthenticated request (that would hand an account to whoever knows its
email); it accepts a device password the user made in the web UI (201), and anything else is the reference
server's "taken" (402, code 2002) — JSON without a charset, as KOReader parses it."""

from __future__ import annotations

import hashlib

import httpx

from tests.harness import LiveService, random_email
from tests.support import sign_up

KOREADER = {"accept": "application/vnd.koreader.v1+json"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


async def test_register_accepts_an_existing_device_password_only(migrated, tmp_path) -> None:
    env = {**migrated, "BOOKREADER_EMBEDDED_WORKER": "0", "BOOKREADER_KOSYNC_REGISTRATION": "1"}
    service = LiveService(env, command="api", log_path=tmp_path / "api.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            reader = await sign_up(http)
            device = (await reader.post("/api/v1/device-passwords", json={"name": "Kobo"})).json()
            before = len((await reader.get("/api/v1/device-passwords")).json())

            async def register(username: str, key: str) -> httpx.Response:
                return await http.post(
                    "/kosync/users/create", json={"username": username, "password": key}, headers=KOREADER
                )

            ok = await register(reader.email.upper(), md5(device["password"]))
            assert ok.status_code == 201 and ok.json() == {"username": reader.email}
            assert ok.headers["content-type"] == "application/json"
            for username, key in (
                (reader.email, md5(reader.password)),  # the account password is not a device key
                (reader.email, md5("made up on the device")),  # nothing is created for a new key
                (random_email(), md5(device["password"])),  # no account is created either
            ):
                taken = await register(username, key)
                assert taken.status_code == 402 and taken.json()["code"] == 2002, (username, taken.text)
                assert taken.headers["content-type"] == "application/json"
            bad = await http.post("/kosync/users/create", json={"username": ""}, headers=KOREADER)
            assert bad.status_code == 403 and bad.json()["code"] == 2003
            assert len((await reader.get("/api/v1/device-passwords")).json()) == before
            auth = {**KOREADER, "x-auth-user": reader.email, "x-auth-key": md5(device["password"])}
            assert (await http.get("/kosync/users/auth", headers=auth)).status_code == 200
    finally:
        service.stop()
