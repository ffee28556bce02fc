"""The Devices page: create a device password (shown once), use it from a "device", see it listed with its
last use, revoke it — and the device is refused afterwards."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg
import httpx
import pytest

from bookreader.domain.devices.service import registered_key_hash
from bookreader.settings import load_settings
from tests.e2e.test_reading_flow import sign_up, until
from tests.harness import random_email

pytestmark = pytest.mark.e2e


async def test_create_use_and_revoke_a_device_password(open_page, base_url: str, screenshots) -> None:
    page = await open_page()
    email = random_email()
    await sign_up(page, email)
    await page.click("a[href='#/devices']")
    await page.wait_for_selector("#device-empty")
    assert f"{base_url}/kosync" in await page.locator(".devices").inner_text()
    await page.fill("#device-name", "Kobo Libra")
    await page.click("#device-create")
    password = (await page.locator("#device-password").inner_text()).strip()
    assert len(password) >= 20
    row = page.locator("#device-list tr", has_text="Kobo Libra")
    await row.wait_for()
    assert "Never" in await row.inner_text()
    await page.screenshot(path=screenshots / "devices.png")

    async with httpx.AsyncClient(base_url=base_url, auth=(email, password)) as device:
        assert (await device.get("/opds/v1.2/")).status_code == 200
        await page.reload()
        await row.wait_for()
        assert "Never" not in await row.inner_text()  # last use shown
        assert await page.locator("#device-password").count() == 0  # shown once
        await row.get_by_role("button", name="Revoke").click()
        await page.locator("dialog[open] button[value=ok]").click()
        await until(page, "() => !!document.querySelector('#device-empty')")
        assert (await device.get("/opds/v1.2/")).status_code == 401


async def test_a_device_that_registered_itself_waits_for_approval(
    open_page, base_url: str, migrated: dict[str, str], screenshots
) -> None:
    """KOReader's Register (when the operator allows it) leaves a pending device password: the Devices page says
    so, the device is refused until the owner presses Approve, and signs in afterwards."""
    page = await open_page()
    email = random_email()
    await sign_up(page, email)
    chosen = f"typed on the Kindle {uuid.uuid4().hex[:8]}"  # unique: keys are unique across accounts
    md5 = hashlib.md5(chosen.encode()).hexdigest()
    settings = load_settings(migrated)
    db = await asyncpg.connect(settings.database_url)
    try:  # what POST /kosync/users/create stores (its own test, kosync/test_registration.py, drives the route)
        await db.execute(
            "INSERT INTO device_passwords (id, owner, name, key_hash, pending, requested_from) "
            "SELECT gen_random_uuid(), id, 'KOReader (registered from the device)', $2, true, '192.0.2.7' "
            "FROM users WHERE email = $1",
            email, registered_key_hash(md5, settings),
        )  # fmt: skip
    finally:
        await db.close()
    koreader = {"x-auth-user": email, "x-auth-key": md5, "accept": "application/vnd.koreader.v1+json"}
    async with httpx.AsyncClient(base_url=base_url) as device:
        assert (await device.get("/kosync/users/auth", headers=koreader)).status_code == 401
        await page.click("a[href='#/devices']")
        row = page.locator("#device-list tr.device-pending")
        await row.wait_for()
        assert "192.0.2.7" in await row.inner_text()
        await page.locator("#device-pending-note").wait_for()
        await page.screenshot(path=screenshots / "devices-pending.png")
        await row.get_by_role("button", name="Approve").click()
        await until(page, "() => !document.querySelector('#device-list tr.device-pending')")
        assert await page.locator("#device-pending-note").count() == 0
        assert (await device.get("/kosync/users/auth", headers=koreader)).status_code == 200
