"""The Devices page: create a device password (shown once), use it from a "device", see it listed with its
last use, revoke it — and the device is refused afterwards."""

from __future__ import annotations

import httpx
import pytest

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
