// The reader: paginated chapter view with TOC, bookmarks, highlights, scene illustrations, live position sync
// and reading sessions.
import { api } from "../api.js";
import { debounce, h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { live } from "../live.js";
import { deviceName, getPrefs, onPrefsChange } from "../prefs.js";
import { markDescriptions, markHighlight, placeIllustration } from "../reader/annotations.js";
import { createDrawer } from "../reader/drawer.js";
import { createFind } from "../reader/find.js";
import { createHighlights } from "../reader/highlights.js";
import { buildParagraphMap, textLength } from "../reader/offsets.js";
import { Pager } from "../reader/pager.js";
import { Popover } from "../reader/popover.js";
import { createScenes } from "../reader/scenes.js";
import { ReadingSession } from "../reader/session.js";
import { takePendingFind } from "../search.js";
import { errorText, toast } from "../ui.js";

const PROGRESS_DEBOUNCE_MS = 1500;

export async function mountReader(root, [bookId, chapterParam]) {
  const state = {
    book: null,
    chapters: [],
    chapter: null,
    number: null,
    offset: 0,
    highlights: [],
    bookmarks: [],
    descriptions: new Map(),
    images: new Map(), // description_id → image
    panel: null,
    disposed: false,
  };

  // ---- DOM --------------------------------------------------------------------------------------------
  const titleEl = h("span", { class: "reader-book-title" });
  const chapterEl = h("span", { class: "reader-chapter-title" });
  const button = (name, label, id) => h("button", { type: "button", class: "icon-btn", "aria-label": label, title: label, id }, icon(name));
  const backLink = h("a", { href: "#/library", class: "icon-btn", "aria-label": t("reader.back"), title: t("reader.back") }, icon("prev"));
  const tocButton = button("toc", t("reader.toc"), "reader-toc");
  const bookmarkButton = button("bookmark", t("reader.add_bookmark"), "reader-bookmark");
  const galleryLink = h("a", { href: `#/gallery/${bookId}`, class: "icon-btn", "aria-label": t("reader.gallery"), title: t("reader.gallery"), id: "reader-gallery" }, icon("image"));
  const settingsButton = button("type", t("reader.settings"), "reader-settings");
  const topBar = h(
    "header",
    { class: "reader-bar" },
    backLink,
    h("div", { class: "reader-titles" }, titleEl, chapterEl),
    h("div", { class: "reader-tools" }, tocButton, bookmarkButton, galleryLink, settingsButton),
  );
  const content = h("article", { class: "page-content reader-text", id: "reader-content", lang: "" });
  const viewport = h("div", { class: "page-viewport", id: "reader-viewport" }, content);
  const prevButton = h("button", { type: "button", class: "page-turn page-turn-prev", "aria-label": t("reader.prev"), id: "page-prev" }, icon("prev"));
  const nextButton = h("button", { type: "button", class: "page-turn page-turn-next", "aria-label": t("reader.next"), id: "page-next" }, icon("next"));
  const stage = h("div", { class: "reader-stage" }, prevButton, viewport, nextButton);
  const pageLabel = h("span", { class: "page-label", id: "page-label", "aria-live": "polite" });
  const percentLabel = h("span", { class: "percent-label" });
  const bookBar = h("div", { class: "book-progress-bar", "aria-hidden": "true" }, h("div", { class: "book-progress-fill" }));
  const footer = h("footer", { class: "reader-foot" }, bookBar, h("div", { class: "reader-foot-row" }, pageLabel, percentLabel));
  const drawer = h("aside", { class: "drawer", id: "reader-drawer", hidden: true, "aria-label": t("reader.toc") });
  const scrim = h("div", { class: "scrim", hidden: true });
  const readerEl = h("section", { class: "reader", id: "reader", "aria-label": t("reader.toc") }, topBar, stage, footer, scrim, drawer);
  root.append(readerEl);
  const popover = new Popover(readerEl);
  const pager = new Pager(viewport, content);
  let panels = null; // the drawer, made once the functions it calls exist

  // ---- Data -------------------------------------------------------------------------------------------
  const [book, chapters, progress, highlights, bookmarks] = await Promise.all([
    api(`books/${bookId}`),
    api(`books/${bookId}/chapters`),
    api(`books/${bookId}/progress`).catch(() => null),
    api(`books/${bookId}/highlights`).catch(() => []),
    api(`books/${bookId}/bookmarks`).catch(() => []),
  ]);
  Object.assign(state, { book, chapters, highlights: listOf(highlights), bookmarks: listOf(bookmarks) });
  titleEl.textContent = book.title;
  content.lang = book.language || "";
  document.title = `${book.title} — BookReader`;
  const totalWords = chapters.reduce((sum, c) => sum + (c.word_count || 0), 0) || 1;

  // ---- Position ---------------------------------------------------------------------------------------
  function percentage() {
    const index = chapters.findIndex((c) => c.number === state.number);
    const before = chapters.slice(0, Math.max(0, index)).reduce((sum, c) => sum + (c.word_count || 0), 0);
    const length = textLength(pager.map) || 1;
    const within = (chapters[index]?.word_count || 0) * Math.min(1, state.offset / length);
    const atEnd = index === chapters.length - 1 && pager.page >= pager.pages - 1;
    return atEnd ? 100 : Math.min(100, Math.round(((before + within) / totalWords) * 1000) / 10);
  }

  const saveProgress = debounce(() => {
    if (state.number == null) return;
    api(`books/${bookId}/progress`, {
      method: "PUT",
      keepalive: true,
      body: { chapter: state.number, offset: state.offset, percentage: percentage(), device: deviceName(), updated_at: new Date().toISOString() },
    }).catch(() => {});
  }, PROGRESS_DEBOUNCE_MS);

  function updateStatus() {
    state.offset = pager.currentOffset();
    const percent = percentage();
    pageLabel.textContent = t("reader.page", { n: pager.page + 1, total: pager.pages });
    percentLabel.textContent = `${Math.round(percent)}%`;
    bookBar.firstChild.style.width = `${percent}%`;
    Object.assign(readerEl.dataset, { chapter: state.number, page: pager.page, pages: pager.pages, offset: state.offset });
    const index = chapters.findIndex((c) => c.number === state.number);
    prevButton.disabled = index <= 0 && pager.page === 0;
    nextButton.disabled = index === chapters.length - 1 && pager.page >= pager.pages - 1;
    session.position(state.number, state.offset);
    if (panels) panels.syncBookmarkButton();
  }

  function showPage(page) {
    popover.close();
    pager.show(page);
    updateStatus();
    saveProgress();
  }

  async function turn(direction) {
    // Key repeat while the next chapter loads would otherwise skip chapters.
    if (readerEl.classList.contains("is-loading")) return;
    const index = chapters.findIndex((c) => c.number === state.number);
    if (direction > 0) {
      if (pager.page < pager.pages - 1) return showPage(pager.page + 1);
      if (index < chapters.length - 1) return openChapter(chapters[index + 1].number, { offset: 0 });
    } else {
      if (pager.page > 0) return showPage(pager.page - 1);
      if (index > 0) return openChapter(chapters[index - 1].number, { atEnd: true });
    }
  }

  function relayout() {
    if (!state.chapter) return;
    const offset = state.offset;
    pager.layout();
    pager.show(pager.pageOfOffset(offset));
    updateStatus();
    state.offset = offset;
    readerEl.dataset.offset = offset;
  }
  const relayoutSoon = debounce(relayout, 120);

  // ---- Chapter ----------------------------------------------------------------------------------------
  let loadToken = 0;
  async function openChapter(number, { offset = 0, atEnd = false } = {}) {
    const token = ++loadToken;
    popover.close();
    readerEl.classList.add("is-loading");
    let chapter;
    try {
      chapter = await api(`books/${bookId}/chapters/${number}`);
    } catch (error) {
      readerEl.classList.remove("is-loading");
      toast(errorText(error), "error");
      return;
    }
    if (token !== loadToken || state.disposed) return;
    state.chapter = chapter;
    state.number = chapter.number ?? number;
    content.innerHTML = chapter.html || "";
    pager.map = buildParagraphMap(content, chapter.paragraphs || chapter.paragraph_offsets);
    const descriptions = chapter.descriptions || [];
    state.descriptions = new Map(descriptions.map((d) => [d.id, d]));
    markDescriptions(pager.map, descriptions);
    if (getPrefs().scenes === false) for (const mark of content.querySelectorAll("mark.desc")) mark.setAttribute("tabindex", "-1");
    for (const highlight of state.highlights) if (highlight.chapter === state.number) markHighlight(pager.map, highlight);
    let images = chapter.images;
    if (!Array.isArray(images)) images = await api(`books/${bookId}/images`).catch(() => []);
    for (const image of listOf(images)) {
      if (!state.descriptions.has(image.description_id)) continue;
      state.images.set(image.description_id, image);
      placeIllustration(content, pager.map, state.descriptions.get(image.description_id), image, relayoutSoon);
    }
    for (const img of content.querySelectorAll("img")) if (!img.complete) img.addEventListener("load", relayoutSoon, { once: true });
    const meta = chapters.find((c) => c.number === state.number);
    chapterEl.textContent = chapter.title || meta?.title || t("reader.chapter", { n: state.number });
    history.replaceState(null, "", `#/read/${bookId}/${state.number}`);
    pager.page = 0;
    pager.layout();
    if (atEnd) pager.show(pager.pages - 1);
    else pager.show(pager.pageOfOffset(offset));
    readerEl.classList.remove("is-loading");
    updateStatus();
    if (!atEnd && offset) {
      state.offset = Math.max(state.offset, Math.min(offset, textLength(pager.map)));
      readerEl.dataset.offset = state.offset;
    }
    saveProgress();
    if (state.panel === "toc") panels.render("toc");
  }

  function jump(chapter, offset) {
    panels.close();
    if (chapter === state.number) {
      showPage(pager.pageOfOffset(offset));
      state.offset = offset;
      readerEl.dataset.offset = offset;
      return;
    }
    openChapter(chapter, { offset });
  }

  // Footnote links and the like point at ids inside the chapter; the hash belongs to the router.
  content.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link) return;
    const href = link.getAttribute("href");
    event.preventDefault();
    if (href.startsWith("#")) {
      const target = content.querySelector(`[id="${CSS.escape(href.slice(1))}"]`);
      if (target) showPage(pager.pageOfElement(target));
    } else if (/^\?chapter=\d+#./.test(href)) {
      // a footnote in another chapter (ingest writes `?chapter=<n>#p-<i>`)
      const [, number, id] = href.match(/^\?chapter=(\d+)#(.+)$/);
      openChapter(Number(number)).then(() => {
        const target = content.querySelector(`[id="${CSS.escape(id)}"]`);
        if (target) showPage(pager.pageOfElement(target));
      });
    } else if (/^https?:/.test(href)) {
      window.open(href, "_blank", "noopener");
    }
  });

  // ---- Input -----------------------------------------------------------------------------------------
  const ctx = { bookId, state, chapters, content, pager, popover, drawer, scrim, bookmarkButton, showPage, jump, openChapter, relayoutSoon };
  const highlighter = (ctx.highlights = createHighlights(ctx));
  const scenes = createScenes(ctx);
  panels = ctx.drawer = createDrawer(ctx);
  const find = createFind(ctx); // full-text search in this book
  topBar.querySelector(".reader-tools").prepend(find.button);
  topBar.after(find.panel);

  tocButton.addEventListener("click", () => panels.open("toc", tocButton));
  settingsButton.addEventListener("click", () => panels.open("settings", settingsButton));
  bookmarkButton.addEventListener("click", () => panels.toggleBookmark());
  scrim.addEventListener("click", () => panels.close());
  prevButton.addEventListener("click", () => turn(-1));
  nextButton.addEventListener("click", () => turn(1));
  viewport.addEventListener("scroll", debounce(() => {
    pager.snap();
    updateStatus();
  }, 150));

  const onSelection = debounce(() => {
    const selection = document.getSelection();
    if (selection && !selection.isCollapsed && content.contains(selection.anchorNode)) highlighter.selectionToolbar();
    else if (popover.open && popover.el.classList.contains("popover-selection")) popover.close();
  }, 250);
  document.addEventListener("selectionchange", onSelection);

  content.addEventListener("click", (event) => {
    if (!document.getSelection().isCollapsed) return;
    const hl = event.target.closest("mark.hl");
    const desc = event.target.closest("mark.desc");
    if (hl) {
      const highlight = state.highlights.find((item) => item.id === hl.dataset.hlId);
      if (highlight) highlighter.highlightPopover(highlight, hl.getBoundingClientRect());
    } else if (desc && getPrefs().scenes !== false && state.descriptions.has(desc.dataset.descId)) {
      scenes.scenePopover(state.descriptions.get(desc.dataset.descId), desc.getBoundingClientRect());
    }
  });
  content.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const mark = event.target.closest("mark.hl, mark.desc");
    if (!mark) return;
    event.preventDefault();
    event.stopPropagation();
    mark.click();
  });
  // Focus can land on a mark on another page (Tab); follow it.
  content.addEventListener("focusin", (event) => {
    const page = pager.pageOfElement(event.target);
    if (page !== pager.page) showPage(page);
  });

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return;
    const target = event.target;
    if (event.key === "Escape") {
      if (popover.open) popover.close();
      else if (!drawer.hidden) {
        panels.close();
        drawer.returnFocus?.focus();
      }
      return;
    }
    if (target.closest("input, textarea, select, [contenteditable='true']")) return;
    if (!drawer.hidden) return;
    const interactive = target.closest("button, a, [role='button']");
    let direction = 0;
    if (event.key === "ArrowRight" || event.key === "PageDown") direction = 1;
    else if (event.key === "ArrowLeft" || event.key === "PageUp") direction = -1;
    else if (event.key === " " && !interactive) direction = event.shiftKey ? -1 : 1;
    if (!direction) return;
    event.preventDefault();
    turn(direction);
  }
  document.addEventListener("keydown", onKey);

  // Swipe and tap zones for touch; the mouse has the side buttons.
  let touchStart = null;
  viewport.addEventListener("touchstart", (event) => {
    const touch = event.changedTouches[0];
    touchStart = { x: touch.clientX, y: touch.clientY, time: Date.now() };
  }, { passive: true });
  viewport.addEventListener("touchend", (event) => {
    if (!touchStart) return;
    const touch = event.changedTouches[0];
    const dx = touch.clientX - touchStart.x;
    const dy = touch.clientY - touchStart.y;
    const quick = Date.now() - touchStart.time < 600;
    touchStart = null;
    if (!document.getSelection().isCollapsed) return;
    if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy) * 1.5) {
      turn(dx < 0 ? 1 : -1);
      return;
    }
    if (quick && Math.abs(dx) < 10 && Math.abs(dy) < 10 && !event.target.closest("mark, a, figure, button")) {
      const box = viewport.getBoundingClientRect();
      const x = (touch.clientX - box.left) / box.width;
      if (x < 0.25) turn(-1);
      else if (x > 0.75) turn(1);
    }
  });

  const resizeObserver = new ResizeObserver(relayoutSoon);
  resizeObserver.observe(viewport);
  // Hidden scene marks leave the tab order too.
  const syncSceneFocus = () => {
    const tabindex = getPrefs().scenes === false ? "-1" : "0";
    for (const mark of content.querySelectorAll("mark.desc")) mark.setAttribute("tabindex", tabindex);
  };
  const offPrefs = onPrefsChange(() => {
    syncSceneFocus();
    relayoutSoon();
  });
  const offImages = live.on("image.status", scenes.onImageEvent);

  // ---- Reading session --------------------------------------------------------------------------------
  const session = new ReadingSession(bookId);
  const onPageHide = () => {
    saveProgress.flush();
    session.end(true);
  };
  window.addEventListener("pagehide", onPageHide);

  // ---- Start -----------------------------------------------------------------------------------------
  let start = { chapter: chapters[0]?.number ?? 1, offset: 0 };
  const requested = chapterParam ? Number(chapterParam) : null;
  if (progress && progress.chapter != null && (!requested || requested === progress.chapter)) {
    start = { chapter: progress.chapter, offset: progress.offset || 0 };
    if (progress.device && progress.device !== deviceName() && !requested) toast(t("reader.restored", { device: progress.device }));
  } else if (requested) {
    start = { chapter: requested, offset: 0 };
  }
  const found = takePendingFind(bookId); // opened from a library search hit
  if (found) start = { chapter: found.chapter, offset: found.offset };
  await openChapter(start.chapter, { offset: start.offset });
  if (found) find.mark(found);
  session.start();

  return () => {
    state.disposed = true;
    saveProgress.flush();
    session.end(true);
    session.dispose();
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("selectionchange", onSelection);
    window.removeEventListener("pagehide", onPageHide);
    resizeObserver.disconnect();
    offPrefs();
    offImages();
    relayoutSoon.cancel();
    onSelection.cancel();
    document.title = "BookReader";
  };
}

function listOf(value) {
  if (Array.isArray(value)) return value;
  if (value && Array.isArray(value.items)) return value.items;
  return [];
}
