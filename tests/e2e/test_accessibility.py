"""axe-core (WCAG 2.1 A/AA, including colour contrast) on every screen, in each of the three themes."""

from __future__ import annotations

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from tests.e2e.conftest import PHONE, sign_in

pytestmark = pytest.mark.e2e

RUN_AXE = """async () => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
}"""


async def violations(page) -> list[dict]:
    # Injected through the DevTools protocol, so the page's own CSP stays as strict as in production.
    await page.evaluate(AXE_SCRIPT)
    return await page.evaluate(RUN_AXE)


@pytest.mark.parametrize("theme", ["light", "sepia", "dark"])
async def test_screens_meet_wcag_aa(open_page, kafka_reader: dict, theme: str) -> None:
    page = await open_page()
    await page.goto("/#/signin")
    await page.evaluate(f"localStorage.setItem('br.prefs', JSON.stringify({{ theme: '{theme}' }}))")
    await page.reload()
    await page.wait_for_selector("#auth-email")
    found = {"signin": await violations(page)}

    await sign_in(page, kafka_reader["email"])
    await page.locator(".book-card[data-status=ready]").first.wait_for()
    found["library"] = await violations(page)

    await page.goto(f"/#/read/{kafka_reader['book_id']}/5")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    found["reader"] = await violations(page)
    await page.click("#reader-settings")
    await page.wait_for_selector("#pref-image-style:not([disabled])")  # presets come from the server
    assert await page.locator("#pref-image-style option").count() > 3
    found["reader settings"] = await violations(page)
    await page.keyboard.press("Escape")
    await page.click("#reader-toc")
    found["contents"] = await violations(page)

    await page.goto("/#/stats")
    await page.wait_for_selector(".stats .page-head")
    found["stats"] = await violations(page)
    assert not {screen: issues for screen, issues in found.items() if issues}


async def test_phone_library_and_reader_meet_wcag_aa(open_page, kafka_reader: dict) -> None:
    page = await open_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    await sign_in(page, kafka_reader["email"])
    assert await page.inner_text("h1") == "Библиотека"  # the browser's language picks the interface text
    found = {"library": await violations(page)}
    # The header's language switch changes the interface at once and is remembered.
    await page.select_option("#lang-select", "en")
    await page.wait_for_selector("h1:text-is('Library')")
    await page.reload()
    await page.wait_for_selector("h1:text-is('Library')")
    await page.select_option("#lang-select", "ru")
    await page.wait_for_selector("h1:text-is('Библиотека')")
    await page.goto(f"/#/read/{kafka_reader['book_id']}/5")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    found["reader"] = await violations(page)
    assert not {screen: issues for screen, issues in found.items() if issues}
