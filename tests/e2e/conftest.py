"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live service."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.harness import create_admin
from tests.support import sign_up as api_sign_up

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home, which the closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 780}
PASSWORD = "correct horse 1"  # tests.support.sign_up's default
KAFKA = "epub2/gutenberg-kafka-metamorphosis.epub"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = (
            "/usr/bin/chromium is missing: `apt-get install -y chromium` (the `just test` recipe does it)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
async def browser(chromium_path: Path):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


class PageErrors(list):
    """Uncaught exceptions and CSP violations seen by a page: the UI must produce none."""

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                self.append(f"console: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Let fixtures know whether the test body failed (for failure screenshots)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
async def open_page(browser, base_url: str, request) -> AsyncIterator[Callable[..., Awaitable]]:
    """`await open_page(viewport=..., **context_options)` → a page in a fresh context (a fresh "device")."""
    contexts = []
    errors = PageErrors()

    async def make(viewport: dict | None = None, **options):
        context = await browser.new_context(
            base_url=base_url,
            viewport=viewport or DESKTOP,
            reduced_motion="reduce",
            locale=options.pop("locale", "en-US"),
            **options,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = await context.new_page()
        errors.watch(page)
        return page

    make.errors = errors
    yield make
    if getattr(request.node, "failed_call", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts):
            for page in context.pages:
                await page.screenshot(path=SCREENSHOTS / f"failed-{request.node.name[:60]}-{number}.png")
    for context in contexts:
        await context.close()
    assert not errors, errors


def promote_to_admin(env: dict[str, str], email: str) -> None:
    """The operator's way: `bookreader create-admin` against the test database."""
    create_admin(env, email, "unused-existing-account")


@pytest.fixture(scope="session")
async def kafka_reader(base_url: str, shared_books: Path) -> dict:
    """An account with Metamorphosis ready, made over HTTP so a browser test can start reading at once."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        account = await api_sign_up(http, password=PASSWORD)
        uploaded = await account.upload(shared_books / KAFKA)
        assert uploaded.status_code in (200, 202), uploaded.text
        book = await account.wait_for_book(uploaded.json()["id"])
        assert book["status"] == "ready", book
        return {"email": account.email, "book_id": book["id"]}


async def sign_in(page, email: str) -> None:
    await page.goto("/#/signin")
    await page.fill("#auth-email", email)
    await page.fill("#auth-password", PASSWORD)
    await page.click("#auth-submit")
    await page.wait_for_selector("#library-search")
