"""A reader's whole day in the browser: sign up, upload, watch it process, read, annotate, illustrate,
come back on another device; then statistics and the admin page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import KAFKA, PASSWORD, PHONE, promote_to_admin, sign_in
from tests.harness import random_email

pytestmark = pytest.mark.e2e

ALICE = "epub3/epubjs-alice-without-cover.epub"
BROKEN = "malformed/epubcheck-ocf-zip-unreadable-no-end-header-fatal.epub"

# Records every status a book card shows and every value an upload progress bar reaches.
WATCH_LIBRARY = """() => {
  window.__statuses = [];
  window.__upload = [];
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        for (const card of [node, ...node.querySelectorAll('.book-card')]) {
          if (card.matches && card.matches('.book-card')) window.__statuses.push(card.dataset.status);
        }
      }
      const target = record.target;
      if (record.type === 'attributes' && target.closest && target.closest('.uploads')) {
        window.__upload.push(Number(target.getAttribute('aria-valuenow')));
      }
    }
  }).observe(document.querySelector('#main'), {
    subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'],
  });
}"""

# Selects `length` characters starting a few lines down the current page, inside one paragraph.
SELECT_ON_PAGE = """(length) => {
  const view = document.querySelector('#reader-viewport').getBoundingClientRect();
  for (let y = view.top + 80; y < view.bottom - 40; y += 30) {
    const caret = document.caretRangeFromPoint(view.left + 4, y);
    if (!caret || caret.startContainer.nodeType !== Node.TEXT_NODE) continue;
    const paragraph = caret.startContainer.parentElement.closest('[id^="p-"]');
    if (!paragraph) continue;
    const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    walker.currentNode = caret.startContainer;
    let node = caret.startContainer;
    let left = length + caret.startOffset;
    while (node && left > node.length) { left -= node.length; node = walker.nextNode(); }
    if (!node) continue;
    const range = document.createRange();
    range.setStart(caret.startContainer, caret.startOffset);
    range.setEnd(node, left);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return { id: paragraph.id, text: range.toString() };
  }
  return null;
}"""


# The first scene mark that is visible on the current page.
FOCUS_VISIBLE_SCENE = """() => {
  const view = document.querySelector('#reader-viewport').getBoundingClientRect();
  const mark = [...document.querySelectorAll('#reader-content mark.desc')].find((el) => {
    const r = el.getClientRects()[0];
    return r && r.left >= view.left - 1 && r.right <= view.right + 1;
  });
  if (!mark) return null;
  mark.focus();
  return mark.dataset.descId;
}"""

FIGURE_ON_PAGE = """(descId) => {
  const view = document.querySelector('#reader-viewport').getBoundingClientRect();
  return [...document.querySelectorAll(`figure.illustration[data-desc-id="${descId}"] img`)].some((img) => {
    const r = img.getBoundingClientRect();
    return img.complete && img.naturalWidth > 0 && r.left >= view.left - 1 && r.right <= view.right + 1;
  });
}"""


# Every scene mark must cover exactly the chapter text between its description's offsets.
CHECK_SCENE_MARKS = """async ([bookId, number]) => {
  const headers = { Authorization: `Bearer ${localStorage.getItem('br.access')}` };
  const chapter = await (await fetch(`/api/v1/books/${bookId}/chapters/${number}`, { headers })).json();
  const squash = (text) => text.replace(/\\s+/g, '');
  const wrong = [];
  for (const d of chapter.descriptions) {
    const marked = [...document.querySelectorAll(`mark.desc[data-desc-id="${d.id}"]`)].map((m) => m.textContent);
    if (squash(marked.join('')) !== squash(chapter.text.slice(d.start, d.end))) wrong.push({ d, marked });
  }
  return { count: chapter.descriptions.length, wrong };
}"""


FETCH_JSON = """async (url) => {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${localStorage.getItem('br.access')}` } });
  return response.json();
}"""


# A horizontal finger swipe across the page, from x0 to x1.
SWIPE = """([x0, x1]) => {
  const viewport = document.querySelector('#reader-viewport');
  const touch = (x) => new Touch({ identifier: 1, target: viewport, clientX: x, clientY: 300 });
  viewport.dispatchEvent(new TouchEvent('touchstart', { touches: [touch(x0)], changedTouches: [touch(x0)], bubbles: true }));
  viewport.dispatchEvent(new TouchEvent('touchend', { touches: [], changedTouches: [touch(x1)], bubbles: true }));
}"""


async def until(page, script: str, timeout: float = 20) -> None:
    """Poll a page predicate from here: `wait_for_function` evals a string, which the UI's CSP forbids."""
    for _ in range(int(timeout * 10)):
        if await page.evaluate(script):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout}s: {script}")


async def reader_state(page) -> dict:
    return await page.eval_on_selector("#reader", "(el) => ({ ...el.dataset })")


async def sign_up(page, email: str) -> None:
    await page.goto("/#/signup")
    await page.fill("#auth-name", "Grete")
    await page.fill("#auth-email", email)
    await page.fill("#auth-password", PASSWORD)
    await page.click("#auth-submit")
    await page.wait_for_selector("#library-search")


async def open_chapter_from_toc(page, title: str) -> None:
    await page.click("#reader-toc")
    await page.click(f"#toc .toc-link:text-is('{title}')")
    await page.wait_for_selector("#reader-drawer", state="hidden")
    await page.wait_for_selector("#reader:not(.is-loading)[data-chapter]")


async def test_sign_up_upload_search_and_page_through(
    open_page, shared_books: Path, screenshots: Path, tmp_path: Path
) -> None:
    page = await open_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    await sign_up(page, random_email())

    # A text file is refused at upload: the server's problem detail is shown on the upload row.
    not_a_book = tmp_path / "shopping-list.txt"
    not_a_book.write_text("milk, bread, a new book")
    await page.set_input_files("#upload-input", str(not_a_book))
    refused = page.locator(".upload-item.is-error .upload-message")
    await refused.wait_for()
    assert "not an EPUB or FB2" in await refused.inner_text()

    # A corrupt archive is accepted, then fails in parsing with the parser's message on its card.
    await page.set_input_files("#upload-input", str(shared_books / BROKEN))
    failed = page.locator(".book-card[data-status=failed] .book-error")
    await failed.wait_for(timeout=60_000)
    assert "cannot be opened" in await failed.inner_text()

    await page.evaluate(WATCH_LIBRARY)
    await page.set_input_files("#upload-input", [str(shared_books / KAFKA), str(shared_books / ALICE)])
    card = page.locator(".book-card", has_text="Metamorphosis")
    await card.locator("[data-status=ready]").wait_for(timeout=90_000)
    await page.locator(".book-card[data-status=ready]", has_text="Alice").wait_for(timeout=90_000)
    statuses = await page.evaluate("window.__statuses")
    assert statuses[0] in {"queued", "parsing"}, statuses  # it showed up while processing, then went ready
    assert 100 in await page.evaluate("window.__upload")
    book_id = await card.get_attribute("data-book-id")
    live = [json.loads(frame) for frame in frames if book_id in frame]
    assert any(event["type"] == "book.status" and event["status"] == "ready" for event in live), frames
    assert await card.locator("img.cover").count() == 1  # the EPUB's cover
    assert await page.locator(".book-card", has_text="Alice").locator(".cover-placeholder").count() == 1
    assert await page.inner_text(".library-count") == "3 books"
    await until(page, "() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)")
    await page.screenshot(path=screenshots / "library.png")

    # An expired access token is refreshed once, transparently; the reader stays signed in.
    await page.evaluate("localStorage.setItem('br.access', 'expired.token.value')")
    await page.reload()
    await page.locator(".book-card", has_text="Metamorphosis").wait_for()
    assert await page.evaluate("localStorage.getItem('br.access')") != "expired.token.value"

    await page.fill("#library-search", "no such book anywhere")
    await page.wait_for_selector(".book-card", state="detached")
    assert "No books match" in await page.inner_text("#main")
    await page.fill("#library-search", "metamorph")
    await page.wait_for_selector(".book-card")
    assert await page.locator(".book-card").count() == 1

    await page.locator(".book-card", has_text="Metamorphosis").locator("a.book-link").click()
    await page.wait_for_selector("#reader[data-page]")
    await open_chapter_from_toc(page, "I")
    assert "Gregor Samsa" in await page.inner_text("#reader-content")
    scenes = await page.evaluate(CHECK_SCENE_MARKS, [book_id, int((await reader_state(page))["chapter"])])
    assert scenes["count"] > 5 and not scenes["wrong"], scenes
    start = await reader_state(page)
    assert start["page"] == "0" and int(start["pages"]) > 5
    # Each key turns a page forward, and the reading offset never goes back (a page that is all picture
    # shares the offset of the text that follows it).
    offsets, pages = [int(start["offset"])], [int(start["page"])]
    for key in ("ArrowRight", "PageDown", "Space"):
        await page.keyboard.press(key)
        state = await reader_state(page)
        offsets.append(int(state["offset"]))
        pages.append(int(state["page"]))
    assert pages == sorted(set(pages)), pages
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0], offsets
    await page.keyboard.press("ArrowLeft")
    back = int((await reader_state(page))["offset"])
    assert offsets[0] < back < offsets[-1], (back, offsets)


async def test_annotate_illustrate_and_resume_on_another_device(
    open_page, kafka_reader: dict, screenshots: Path
) -> None:
    email, book_id = kafka_reader["email"], kafka_reader["book_id"]
    page = await open_page()
    sessions: list[tuple[str, str]] = []  # (method, body) of reading-session calls
    page.on(
        "request",
        lambda r: sessions.append((r.method, r.post_data or "")) if "/reading-sessions" in r.url else None,
    )
    await sign_in(page, email)
    await page.goto(f"/#/read/{book_id}")
    await page.wait_for_selector("#reader[data-page]")
    await open_chapter_from_toc(page, "I")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")

    # -- Highlight with a note ------------------------------------------------------------------------
    for attempt in range(3):  # a picture arriving can reflow the page under the selection: select again
        selected = await page.evaluate(SELECT_ON_PAGE, 40)
        assert selected, "no text to select on this page"
        try:
            await page.wait_for_selector("#selection-tools", timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    await page.click("#selection-note")
    await page.fill("#note-text", "Gregor's first doubt")
    await page.click("dialog.dialog button[type=submit]")
    highlight = page.locator(f"#{selected['id']} mark.hl")
    await highlight.first.wait_for()
    # Stored as offsets into the chapter's plain text; a selection cutting a word grows to whole words.
    number = (await reader_state(page))["chapter"]
    chapter = await page.evaluate(FETCH_JSON, f"/api/v1/books/{book_id}/chapters/{number}")
    listed = await page.evaluate(FETCH_JSON, f"/api/v1/books/{book_id}/highlights")
    [stored] = listed["items"] if isinstance(listed, dict) else listed
    assert chapter["text"][stored["start"] : stored["end"]] == stored["text"]
    assert selected["text"].strip() in stored["text"]
    assert stored["text"][0].isalnum() or stored["text"][0] in "“\"'", stored["text"]
    assert "".join(await highlight.all_inner_texts()) == stored["text"]
    assert stored["note"] == "Gregor's first doubt"

    # -- Bookmark -----------------------------------------------------------------------------------
    await page.click("#reader-bookmark")
    await page.wait_for_selector("#reader-bookmark[aria-pressed=true]")  # this page now shows as bookmarked
    await page.click("#reader-toc")
    await page.click("#tab-bookmarks")
    assert await page.locator("#bookmark-list li").count() == 1
    await page.keyboard.press("Escape")

    # -- Illustrate a scene on this page (placeholder provider), see it inline -------------------------
    for _ in range(6):  # most pages have a scene; step on until one does
        scene = await page.evaluate(FOCUS_VISIBLE_SCENE)
        if scene:
            break
        await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    if await page.locator("#scene-generate").count():  # not already illustrated ahead of the reader
        await page.click("#scene-generate")
        await page.wait_for_selector(".popover", state="hidden")
    await page.wait_for_selector(
        f"figure.illustration[data-desc-id='{scene}'][data-status=ready] img", timeout=60_000
    )
    for _ in range(6):  # the figure follows its paragraph, so it may sit on one of the next pages
        if await page.evaluate(FIGURE_ON_PAGE, scene):
            break
        await page.keyboard.press("ArrowRight")
        await page.wait_for_timeout(100)
    assert await page.evaluate(FIGURE_ON_PAGE, scene)
    await page.evaluate("document.getElementById('toasts').replaceChildren()")  # a clean picture of the page
    await page.screenshot(path=screenshots / "reader.png")

    # -- The position is saved as you read; reload restores it -------------------------------------------
    await page.keyboard.press("ArrowLeft")
    is_progress_write = lambda r: r.request.method == "PUT" and r.url.endswith("/progress")  # noqa: E731
    async with page.expect_response(is_progress_write) as saved:
        await page.keyboard.press("ArrowRight")
    assert (await saved.value).ok
    position = await reader_state(page)
    await page.reload()
    await page.wait_for_selector(f"#reader[data-chapter='{position['chapter']}'][data-page]")
    # Pictures arrive after the text; the page settles back onto the saved offset once they have.
    await until(page, f"() => document.querySelector('#reader').dataset.page === '{position['page']}'")
    assert await page.locator("mark.hl").count() >= 1

    # -- Another device: same account, fresh browser, continues at the same place ----------------------
    phone = await open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    await sign_in(phone, email)
    await phone.goto(f"/#/read/{book_id}")
    await phone.wait_for_selector(f"#reader[data-chapter='{position['chapter']}'][data-page]")
    assert "Continued where you left off" in await phone.inner_text("#toasts")
    offset = int((await reader_state(phone))["offset"])
    # A narrower page starts elsewhere, but the saved offset is on the page the phone shows.
    assert abs(offset - int(position["offset"])) < 1500
    # Swiping right-to-left turns the page forward, left-to-right back.
    page_before = int((await reader_state(phone))["page"])
    await phone.evaluate(SWIPE, [300, 60])
    await until(phone, f"() => document.querySelector('#reader').dataset.page === '{page_before + 1}'")
    await phone.evaluate(SWIPE, [60, 300])
    await until(phone, f"() => document.querySelector('#reader').dataset.page === '{page_before}'")
    await phone.click("#reader-toc")
    await phone.click("#tab-highlights")
    assert "Gregor's first doubt" in await phone.inner_text("#highlight-list")

    # -- Gallery -------------------------------------------------------------------------------------
    await page.goto(f"/#/gallery/{book_id}")
    await page.wait_for_selector("#gallery-grid img")
    # A reading session was opened with the book and ended when the reader was left.
    assert any(m == "POST" and json.loads(b) == {"book_id": book_id} for m, b in sessions), sessions
    assert any(m == "PATCH" and json.loads(b).get("ended") is True for m, b in sessions), sessions


async def test_statistics_and_admin_pages(
    open_page, kafka_reader: dict, screenshots: Path, migrated: dict
) -> None:
    email = kafka_reader["email"]
    page = await open_page()
    await sign_in(page, email)
    await page.goto("/#/stats")
    await page.wait_for_selector("#chart-minutes")
    await until(page, "() => document.querySelector('#chart-minutes').width > 0")
    assert await page.locator("#stat-grid .stat").count() >= 5
    # The API's figures are read, not left as "—" (words per minute may honestly be unknown yet).
    assert "min" in await page.inner_text("#stat-total")
    assert "day" in await page.inner_text("#stat-streak")
    await page.fill("#goal-minutes", "25")
    async with page.expect_response(lambda r: r.request.method == "PUT" and "/stats/goal" in r.url) as saved:
        await page.click("#stat-goal button[type=submit]")
    assert (await saved.value).ok
    assert "25 min" in await page.inner_text("#stat-goal")
    await page.screenshot(path=screenshots / "stats.png", full_page=True)

    # -- Admin (the operator promotes this account) ------------------------------------------------------
    promote_to_admin(migrated, email)
    await page.goto("/#/admin")
    await page.reload()
    await page.wait_for_selector("#admin-users table")
    assert "Queue depth" in await page.inner_text("#admin-system")
    await page.screenshot(path=screenshots / "admin.png", full_page=True)
    await page.fill("#admin-search", email)
    row = page.locator(f"#admin-users tr:has-text('{email}')")
    await until(page, "() => document.querySelectorAll('#admin-users tbody tr').length === 1")
    async with page.expect_response(
        lambda r: r.request.method == "PATCH" and "/admin/users/" in r.url
    ) as patched:
        await row.get_by_label(f"Plan: {email}").select_option("premium")
    assert (await (await patched.value).json())["plan"] == "premium"
