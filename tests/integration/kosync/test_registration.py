"""KOReader's "Register" (`POST /kosync/users/create`) with the operator's switch on: it makes a device password
for an existing account, never an account; that password signs in only once the account's owner approves it in
the web UI (nothing proves the sender owns the email), it is stored peppered (a person chose it), and a key of
another account is the reference server's "taken" (402, code 2002) — JSON without a charset, as KOReader parses it."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg
import httpx

from bookreader.domain.devices.service import key_hash, registered_key_hash
from bookreader.settings import load_settings
from tests.harness import LiveService, random_email
from tests.support import sign_up

KOREADER = {"accept": "application/vnd.koreader.v1+json"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


async def test_register_makes_a_device_password_that_waits_for_the_owner(limits_api: LiveService) -> None:
    env = limits_api.env  # registration on, 12 auth attempts per address and email an hour (conftest LIMITS)
    async with httpx.AsyncClient(base_url=limits_api.base_url, timeout=30) as http:
        reader, stranger = await sign_up(http), await sign_up(http)
        device = (await reader.post("/api/v1/device-passwords", json={"name": "Kobo"})).json()

        async def register(username: str, key: str) -> httpx.Response:
            response = await http.post(
                "/kosync/users/create", json={"username": username, "password": key}, headers=KOREADER
            )
            assert response.headers["content-type"] == "application/json"
            return response

        def auth(email: str, key: str) -> dict[str, str]:
            return {**KOREADER, "x-auth-user": email, "x-auth-key": key}

        # a device password made in the web UI registers as it is: signed in at once, nothing new listed
        ok = await register(reader.email.upper(), md5(device["password"]))
        assert ok.status_code == 201 and ok.json() == {"username": reader.email}
        assert len((await reader.get("/api/v1/device-passwords")).json()) == 1

        # a password typed on the device: a device password waiting for approval
        chosen = f"typed on the Kindle {uuid.uuid4().hex[:8]}"  # unique: keys are unique across accounts
        made = await register(reader.email, md5(chosen))
        assert made.status_code == 201 and made.json() == {"username": reader.email}
        assert (await register(reader.email, md5(chosen))).status_code == 201  # again: idempotent
        listed = (await reader.get("/api/v1/device-passwords")).json()
        pending = [row for row in listed if row["pending"]]
        assert len(listed) == 2 and len(pending) == 1, listed
        assert pending[0]["requested_from"] == "127.0.0.1" and pending[0]["expires_at"]
        refused = await http.get("/kosync/users/auth", headers=auth(reader.email, md5(chosen)))
        assert refused.status_code == 401 and refused.json()["code"] == 2001
        assert "approv" in refused.json()["message"]
        opds = await http.get("/opds/v1.2/", auth=(reader.email, chosen))
        assert opds.status_code == 401 and opds.json()["code"] == "device_pending"
        assert "www-authenticate" in opds.headers
        push = {"document": "d" * 32, "progress": "/body/DocFragment[2]", "percentage": 0.1,
                "device": "Kindle", "device_id": "K1"}  # fmt: skip
        sync = await http.put("/kosync/syncs/progress", json=push, headers=auth(reader.email, md5(chosen)))
        assert sync.status_code == 401

        # stored peppered, not as the fast hash of a random password
        settings = load_settings(env)
        db = await asyncpg.connect(settings.database_url)
        try:
            stored = await db.fetchval("SELECT key_hash FROM device_passwords WHERE pending")
        finally:
            await db.close()
        assert stored == registered_key_hash(md5(chosen), settings) != key_hash(md5(chosen))

        # only the owner approves; then the device signs in, syncs, and reads the catalog
        other = await stranger.post(f"/api/v1/device-passwords/{pending[0]['id']}/approve")
        assert other.status_code == 404 and other.json()["code"] == "device_password_not_found"
        approved = await reader.post(f"/api/v1/device-passwords/{pending[0]['id']}/approve")
        assert approved.status_code == 200 and approved.json()["pending"] is False
        assert approved.json()["expires_at"] is None
        signed_in = await http.get("/kosync/users/auth", headers=auth(reader.email, md5(chosen)))
        assert signed_in.status_code == 200 and signed_in.json() == {"authorized": "OK"}
        assert (await http.get("/opds/v1.2/", auth=(reader.email, chosen))).status_code == 200

        # refusals: another account's key, an unknown email, bad fields
        taken = await register(stranger.email, md5(chosen))
        assert taken.status_code == 402 and taken.json()["code"] == 2002
        nobody = await register(random_email(), md5("anything"))
        assert nobody.status_code == 402 and nobody.json()["code"] == 2002
        assert "sign up" in nobody.json()["message"]
        for body in ({"username": ""}, {"username": reader.email, "password": "not an md5"}, {}):
            bad = await http.post("/kosync/users/create", json=body, headers=KOREADER)
            assert bad.status_code == 403 and bad.json()["code"] == 2003, (body, bad.text)

        # a stranger who knows the email cannot flood the owner's list
        codes = [(await register(reader.email, md5(f"guess {n} {chosen}"))).status_code for n in range(4)]
        assert codes == [201, 201, 201, 402], codes
        assert sum(row["pending"] for row in (await reader.get("/api/v1/device-passwords")).json()) == 3
        # and registering is limited per address like signing in (the 13th try of this test)
        throttled = await register(random_email(), md5("one more"))
        assert throttled.status_code == 429 and throttled.json()["code"] == 2001
