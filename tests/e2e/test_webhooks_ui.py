"""The webhooks page: add an endpoint (the secret shown once), send a test event, see it in the delivery log."""

from __future__ import annotations

import pytest

from tests.e2e.test_reading_flow import sign_up, until
from tests.harness import random_email

pytestmark = pytest.mark.e2e

PUBLIC_TARGET = "http://192.0.43.10/bookreader-hook"  # public address literal: allowed, unreachable here


async def test_add_webhook_send_test_event_and_delete(open_page) -> None:
    page = await open_page()
    await sign_up(page, random_email())
    await page.goto("/#/webhooks")
    await page.fill("#webhook-url", PUBLIC_TARGET)
    await page.click("#webhook-create")
    secret = page.locator("#webhook-secret code")
    await secret.wait_for()
    assert (await secret.inner_text()).startswith("whsec_")
    card = page.locator(".webhook", has_text=PUBLIC_TARGET)
    await card.wait_for()
    await card.locator(".webhook-test").click()
    await page.locator(".webhook .delivery").first.wait_for(timeout=20_000)
    assert "webhook.test" in await page.locator(".webhook .delivery").first.inner_text()
    await page.reload()
    await card.wait_for()
    assert await page.locator("#webhook-secret code").count() == 0  # shown once
    await card.get_by_role("button", name="Delete").click()
    await page.locator("dialog[open] button[value=ok]").click()
    await until(page, "() => document.querySelectorAll('.webhook').length === 0")
