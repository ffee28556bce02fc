// @ts-check
// The reader: paginated chapter view with TOC, bookmarks, highlights, scene illustrations, live position sync
// and reading sessions. This module builds the screen and wires the reader's parts: position (reader/position.js),
// the chapter on screen (reader/chapter.js) and input (reader/input.js).
import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { live } from "../live.js";
import { deviceName } from "../prefs.js";
import { createChapterView, listOf } from "../reader/chapter.js";
import { createCast } from "../reader/cast.js";
import { createDrawer } from "../reader/drawer.js";
import { createExport } from "../reader/export.js";
import { createFind } from "../reader/find.js";
import { createHighlights } from "../reader/highlights.js";
import { bindInput } from "../reader/input.js";
import { Pager } from "../reader/pager.js";
import { Popover } from "../reader/popover.js";
import { createPosition } from "../reader/position.js";
import { createScenes } from "../reader/scenes.js";
import { ReadingSession } from "../reader/session.js";
import { takePendingFind } from "../search.js";
import { toast } from "../ui.js";

/**
 * @param {HTMLElement} root
 * @param {string[]} params the route's book id and optional chapter number
 * @returns {Promise<() => void>} the cleanup function
 */
export async function mountReader(root, [bookId, chapterParam]) {
  /** @type {import("../reader/context.js").ReaderState} */
  const state = {
    book: null,
    chapters: [],
    chapter: null,
    number: null,
    offset: 0,
    highlights: [],
    bookmarks: [],
    descriptions: new Map(),
    images: new Map(),
    panel: null,
    disposed: false,
  };
  const ui = buildScreen(root, bookId);
  const content = /** @type {HTMLElement} */ (ui.viewport.firstChild);

  const [book, chapters, progress, highlights, bookmarks] = await Promise.all([
    api(`books/${bookId}`),
    api(`books/${bookId}/chapters`),
    api(`books/${bookId}/progress`).catch(() => null),
    api(`books/${bookId}/highlights`).catch(() => []),
    api(`books/${bookId}/bookmarks`).catch(() => []),
  ]);
  Object.assign(state, { book, chapters, highlights: listOf(highlights), bookmarks: listOf(bookmarks) });
  ui.titleEl.textContent = book.title;
  content.lang = book.language || "";
  document.title = `${book.title} — BookReader`;

  // Each part adds its functions to the context; the others call them through it at run time.
  const ctx = /** @type {import("../reader/context.js").ReaderContext} */ (/** @type {unknown} */ ({
    bookId,
    state,
    chapters,
    content,
    ui,
    pager: new Pager(ui.viewport, content),
    popover: new Popover(ui.readerEl),
    session: new ReadingSession(bookId),
  }));
  Object.assign(ctx, createPosition(ctx), createChapterView(ctx));
  ctx.highlights = createHighlights(ctx);
  ctx.scenes = createScenes(ctx);
  ctx.drawer = createDrawer(ctx);
  ctx.cast = createCast(ctx);
  const exporter = createExport(ctx);
  ui.topBar.querySelector(".reader-tools")?.append(exporter.button);
  ui.topBar.querySelector(".reader-titles")?.append(exporter.status);
  const find = createFind(ctx); // full-text search in this book
  ui.topBar.querySelector(".reader-tools")?.prepend(find.button);
  ui.topBar.after(find.panel);
  const unbindInput = bindInput(ctx);
  const offImages = live.on("image.status", ctx.scenes.onImageEvent);
  const onPageHide = () => {
    ctx.saveProgress.flush();
    ctx.session.end(true);
  };
  window.addEventListener("pagehide", onPageHide);

  let start = startingPlace(chapters, progress, chapterParam ? Number(chapterParam) : null, book.start_chapter);
  const found = takePendingFind(bookId); // opened from a library search hit
  if (found) start = { chapter: found.chapter, offset: found.offset };
  await ctx.openChapter(start.chapter, { offset: start.offset });
  if (found) find.mark(found);
  ctx.session.start();

  return () => {
    state.disposed = true;
    ctx.dispose();
    ctx.session.end(true);
    ctx.session.dispose();
    unbindInput();
    window.removeEventListener("pagehide", onPageHide);
    offImages();
    exporter.dispose();
    document.title = "BookReader";
  };
}

/**
 * Where to open the book: the saved position unless the link names another chapter, else that chapter,
 * else where the story starts (a new book: not on its cover or contents page).
 * @param {any[]} chapters
 * @param {any} progress
 * @param {number | null} requested
 * @param {number | null | undefined} storyStart the book's `start_chapter`
 */
function startingPlace(chapters, progress, requested, storyStart) {
  if (progress && progress.chapter != null && (!requested || requested === progress.chapter)) {
    if (progress.device && progress.device !== deviceName() && !requested) toast(t("reader.restored", { device: progress.device }));
    return { chapter: progress.chapter, offset: progress.offset || 0 };
  }
  if (requested) return { chapter: requested, offset: 0 };
  const story = chapters.find((c) => c.number === storyStart) || chapters.find((c) => !c.is_front_matter);
  return { chapter: (story || chapters[0])?.number ?? 1, offset: 0 };
}

/**
 * The reader's DOM: top bar, the paged text between the page-turn buttons, the status footer and the drawer.
 * @param {HTMLElement} root
 * @param {string} bookId
 */
function buildScreen(root, bookId) {
  const titleEl = h("span", { class: "reader-book-title" });
  const chapterEl = h("span", { class: "reader-chapter-title" });
  const button = (name, label, id) => /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "icon-btn", "aria-label": label, title: label, id }, icon(name)));
  const backLink = h("a", { href: "#/library", class: "icon-btn", "aria-label": t("reader.back"), title: t("reader.back") }, icon("prev"));
  const tocButton = button("toc", t("reader.toc"), "reader-toc");
  const bookmarkButton = button("bookmark", t("reader.add_bookmark"), "reader-bookmark");
  const galleryLink = h("a", { href: `#/gallery/${bookId}`, class: "icon-btn", "aria-label": t("reader.gallery"), title: t("reader.gallery"), id: "reader-gallery" }, icon("image"));
  const settingsButton = button("type", t("reader.settings"), "reader-settings");
  const castButton = button("people", t("cast.title"), "reader-cast");
  const topBar = h(
    "header",
    { class: "reader-bar" },
    backLink,
    h("div", { class: "reader-titles" }, titleEl, chapterEl),
    h("div", { class: "reader-tools" }, tocButton, castButton, bookmarkButton, galleryLink, settingsButton),
  );
  const content = h("article", { class: "page-content reader-text", id: "reader-content", lang: "" });
  const viewport = h("div", { class: "page-viewport", id: "reader-viewport" }, content);
  const prevButton = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "page-turn page-turn-prev", "aria-label": t("reader.prev"), id: "page-prev" }, icon("prev")));
  const nextButton = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "page-turn page-turn-next", "aria-label": t("reader.next"), id: "page-next" }, icon("next")));
  const stage = h("div", { class: "reader-stage" }, prevButton, viewport, nextButton);
  const pageLabel = h("span", { class: "page-label", id: "page-label", "aria-live": "polite" });
  const percentLabel = h("span", { class: "percent-label" });
  const bookBar = h("div", { class: "book-progress-bar", "aria-hidden": "true" }, h("div", { class: "book-progress-fill" }));
  const footer = h("footer", { class: "reader-foot" }, bookBar, h("div", { class: "reader-foot-row" }, pageLabel, percentLabel));
  const drawerEl = h("aside", { class: "drawer", id: "reader-drawer", hidden: true, "aria-label": t("reader.toc") });
  const scrim = h("div", { class: "scrim", hidden: true });
  const readerEl = h("section", { class: "reader", id: "reader", "aria-label": t("reader.toc") }, topBar, stage, footer, scrim, drawerEl);
  root.append(readerEl);
  return { readerEl, topBar, titleEl, chapterEl, viewport, prevButton, nextButton, tocButton, castButton, settingsButton, bookmarkButton, pageLabel, percentLabel, bookBar, drawerEl, scrim };
}
