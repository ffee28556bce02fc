"""Account pages (security review #7 in the web UI): change the password (this session stays, the others end),
sign out everywhere, and the page behind an admin-issued reset link — in English and Russian."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, promote_to_admin, sign_in
from tests.e2e.test_accessibility import violations
from tests.e2e.test_reading_flow import sign_up, until
from tests.harness import random_email

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a much newer one 5"


async def access_token(page) -> str:
    return await page.evaluate("() => localStorage.getItem('br.access')")


async def signed_out(page) -> None:
    """The page's session is gone: reloading lands on the sign-in form."""
    await page.reload()
    await page.wait_for_selector("#auth-email")
    assert "#/signin" in page.url


async def test_change_password_then_sign_out_everywhere(open_page, base_url: str, screenshots) -> None:
    email = random_email()
    laptop = await open_page()
    await sign_up(laptop, email)
    phone = await open_page()
    await sign_in(phone, email)

    await laptop.click("a[href='#/account']")
    await laptop.wait_for_selector("#password-form")
    assert email in await laptop.inner_text("#password-form")
    await laptop.fill("#account-current", "not my password")
    await laptop.fill("#account-new", NEW_PASSWORD)
    await laptop.fill("#account-repeat", NEW_PASSWORD)
    await laptop.click("#account-change")
    error = laptop.locator("#account-error")
    await error.wait_for()
    assert "not right" in await error.inner_text()
    assert "#/account" in laptop.url  # a typo does not end the session

    await laptop.fill("#account-current", PASSWORD)
    await laptop.fill("#account-new", NEW_PASSWORD)
    await laptop.fill("#account-repeat", NEW_PASSWORD + "x")  # mismatch: the browser refuses to send it
    await laptop.click("#account-change")
    assert await laptop.locator("#account-changed").is_hidden()
    await laptop.fill("#account-repeat", NEW_PASSWORD)
    await laptop.click("#account-change")
    await laptop.locator("#account-changed").wait_for()
    await laptop.screenshot(path=screenshots / "account.png", full_page=True)

    await signed_out(phone)  # the other session ended
    await laptop.reload()
    await laptop.wait_for_selector("#password-form")  # this one stays
    await phone.fill("#auth-email", email)
    await phone.fill("#auth-password", NEW_PASSWORD)
    await phone.click("#auth-submit")
    await phone.wait_for_selector("#library-search")

    laptop_token = await access_token(laptop)
    await laptop.click("#sign-out-everywhere")
    await laptop.locator("dialog[open] button[value=ok]").click()
    await laptop.wait_for_selector("#auth-email")
    await signed_out(phone)
    async with httpx.AsyncClient(base_url=base_url) as http:
        me = await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {laptop_token}"})
        assert me.status_code == 401


async def test_admin_issued_reset_link(open_page, migrated, screenshots) -> None:
    admin_email, user_email = random_email(), random_email()
    user = await open_page()
    await sign_up(user, user_email)
    admin = await open_page()
    await sign_up(admin, admin_email)
    promote_to_admin(migrated, admin_email)

    await admin.goto("/#/admin")
    await admin.reload()  # the page knew the account as a plain user
    await admin.wait_for_selector("#admin-users table")
    await admin.fill("#admin-search", user_email)
    await until(admin, "() => document.querySelectorAll('#admin-users tbody tr').length === 1")
    await admin.get_by_role("button", name=f"Make a password reset link for {user_email}").click()
    link = (await admin.locator("#admin-reset-url").inner_text()).strip()
    assert "/#/reset?token=" in link
    await admin.screenshot(path=screenshots / "admin-reset-link.png", full_page=True)

    stranger = await open_page(locale="ru-RU")  # whoever gets the link, on a fresh browser, in Russian
    await stranger.goto(link)
    await stranger.wait_for_selector("#reset-form")
    assert "Новый пароль" in await stranger.inner_text("#reset-form h1")
    await stranger.fill("#reset-new", NEW_PASSWORD)
    await stranger.fill("#reset-repeat", NEW_PASSWORD)
    await stranger.click("#reset-submit")
    await stranger.wait_for_selector("#reset-done")
    await stranger.screenshot(path=screenshots / "reset-done-ru.png")
    await stranger.click("#reset-signin")
    await stranger.fill("#auth-email", user_email)
    await stranger.fill("#auth-password", NEW_PASSWORD)
    await stranger.click("#auth-submit")
    await stranger.wait_for_selector("#library-search")

    await signed_out(user)  # the reset ended the account's old sessions
    again = await open_page()
    await again.goto(link)  # a reset link works once
    await again.fill("#reset-new", "yet another one 6")
    await again.fill("#reset-repeat", "yet another one 6")
    await again.click("#reset-submit")
    error = again.locator("#reset-error")
    await error.wait_for()
    assert "used already" in await error.inner_text()
    assert (await admin.evaluate("() => location.hash")) == "#/admin"  # the admin's own session is untouched


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_account_and_reset_pages_meet_wcag_aa(open_page, theme: str) -> None:
    page = await open_page()
    await page.goto("/#/signin")
    await page.evaluate(f"localStorage.setItem('br.prefs', JSON.stringify({{ theme: '{theme}' }}))")
    await sign_up(page, random_email())
    await page.goto("/#/account")
    await page.wait_for_selector("#password-form")
    await page.fill("#account-current", "not my password")
    await page.fill("#account-new", NEW_PASSWORD)
    await page.fill("#account-repeat", NEW_PASSWORD)
    await page.click("#account-change")
    await page.locator("#account-error").wait_for()  # the error state too
    found = {"account": await violations(page)}
    await page.goto("/#/reset?token=not-a-real-one")
    await page.wait_for_selector("#reset-form")
    found["reset"] = await violations(page)
    assert not {screen: issues for screen, issues in found.items() if issues}
