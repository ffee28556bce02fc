// The reader: paginated chapter view with TOC, bookmarks, highlights, scene illustrations, live position sync
// and reading sessions.
import { api } from "../api.js";
import { append, clear, debounce, formatDate, h, icon } from "../dom.js";
import { lang, t } from "../i18n.js";
import { live } from "../live.js";
import { deviceName, FONTS, getPrefs, LINE_RANGE, onPrefsChange, setDeviceName, setPref, SIZE_RANGE, THEMES } from "../prefs.js";
import { COLORS, excerpt, markDescriptions, markHighlight, placeIllustration, unmarkHighlight } from "../reader/annotations.js";
import { buildParagraphMap, selectionOffsets, textLength } from "../reader/offsets.js";
import { Pager } from "../reader/pager.js";
import { Popover } from "../reader/popover.js";
import { ReadingSession } from "../reader/session.js";
import { errorText, openDialog, toast } from "../ui.js";

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
    if (state.panel === "toc") renderDrawer("toc");
  }

  function jump(chapter, offset) {
    closeDrawer();
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
    } else if (/^https?:/.test(href)) {
      window.open(href, "_blank", "noopener");
    }
  });

  // ---- Highlights -------------------------------------------------------------------------------------
  function selectionToolbar() {
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || !content.contains(selection.anchorNode)) return;
    const offsets = selectionOffsets(pager.map, selection);
    if (!offsets) return;
    const rect = selection.getRangeAt(0).getBoundingClientRect();
    const swatches = COLORS.map((color) => {
      const swatch = h("button", { type: "button", class: `swatch swatch-${color}`, "aria-label": t("reader.highlight_color", { color: t(`reader.color.${color}`) }), dataset: { color } });
      swatch.addEventListener("mousedown", (event) => event.preventDefault());
      swatch.addEventListener("click", () => createHighlight(offsets, color, null));
      return swatch;
    });
    const noteButton = h("button", { type: "button", class: "btn btn-small", id: "selection-note" }, icon("note"), t("reader.add_note"));
    noteButton.addEventListener("mousedown", (event) => event.preventDefault());
    noteButton.addEventListener("click", async () => {
      const note = await askNote("");
      if (note != null) createHighlight(offsets, "yellow", note);
    });
    popover.show(rect, [h("div", { class: "selection-tools", id: "selection-tools" }, ...swatches, noteButton)], { label: t("reader.highlight"), focus: false, kind: "popover-selection" });
  }

  async function askNote(initial) {
    const area = h("textarea", { id: "note-text", rows: "4", class: "input", "aria-label": t("reader.note") });
    area.value = initial || "";
    setTimeout(() => area.focus(), 0);
    return openDialog({ title: t("reader.note"), body: h("div", { class: "field" }, area), collect: () => area.value.trim() });
  }

  async function createHighlight(offsets, color, note) {
    popover.close();
    document.getSelection().removeAllRanges();
    try {
      const created = await api(`books/${bookId}/highlights`, {
        method: "POST",
        body: { chapter: state.number, start: offsets.start, end: offsets.end, text: offsets.text, color, note: note || null },
      });
      state.highlights.push(created);
      markHighlight(pager.map, created);
      if (state.panel === "highlights") renderDrawer("highlights");
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function updateHighlight(highlight, changes) {
    try {
      const updated = await api(`highlights/${highlight.id}`, { method: "PATCH", body: changes });
      Object.assign(highlight, updated || changes);
      unmarkHighlight(content, highlight.id);
      markHighlight(pager.map, highlight);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function deleteHighlight(highlight) {
    try {
      await api(`highlights/${highlight.id}`, { method: "DELETE" });
      state.highlights = state.highlights.filter((item) => item.id !== highlight.id);
      unmarkHighlight(content, highlight.id);
      if (state.panel === "highlights") renderDrawer("highlights");
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function highlightPopover(highlight, rect) {
    const colors = COLORS.map((color) => {
      const swatch = h("button", { type: "button", class: `swatch swatch-${color}${color === highlight.color ? " is-current" : ""}`, "aria-label": t("reader.highlight_color", { color: t(`reader.color.${color}`) }), "aria-pressed": String(color === highlight.color) });
      swatch.addEventListener("click", () => {
        popover.close();
        updateHighlight(highlight, { color });
      });
      return swatch;
    });
    const edit = h("button", { type: "button", class: "btn btn-small" }, icon("note"), t("reader.note"));
    edit.addEventListener("click", async () => {
      popover.close();
      const note = await askNote(highlight.note);
      if (note != null) updateHighlight(highlight, { note });
    });
    const remove = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.delete_highlight") }, icon("trash"));
    remove.addEventListener("click", () => {
      popover.close();
      deleteHighlight(highlight);
    });
    popover.show(rect, [highlight.note ? h("p", { class: "popover-note" }, highlight.note) : null, h("div", { class: "selection-tools" }, ...colors, edit, remove)].filter(Boolean), { label: t("reader.highlight"), kind: "popover-highlight" });
  }

  // ---- Scenes and illustrations ------------------------------------------------------------------------
  async function requestImage(desc) {
    try {
      const image = await api(`descriptions/${desc.id}/image`, { method: "POST" });
      state.images.set(desc.id, image);
      placeIllustration(content, pager.map, desc, image, relayoutSoon);
      relayoutSoon();
      return image;
    } catch (error) {
      toast(errorText(error), "error");
      return null;
    }
  }

  function scenePopover(desc, rect) {
    const image = state.images.get(desc.id);
    const body = [h("p", { class: "popover-kind" }, t(`desc.${desc.type}`)), h("p", { class: "popover-text" }, excerpt(desc.text, 260))];
    if (!image || image.status === "failed") {
      const generate = h("button", { type: "button", class: "btn btn-primary btn-small", id: "scene-generate" }, icon("image"), image ? t("reader.retry") : t("reader.generate"));
      generate.addEventListener("click", async () => {
        generate.disabled = true;
        const created = await requestImage(desc);
        if (created) popover.close();
      });
      body.push(generate);
    } else if (image.status === "ready") {
      const view = h("button", { type: "button", class: "btn btn-small" }, icon("image"), t("reader.gallery"));
      view.addEventListener("click", () => {
        popover.close();
        const figure = content.querySelector(`figure.illustration[data-desc-id="${CSS.escape(desc.id)}"]`);
        if (figure) showPage(pager.pageOfElement(figure));
      });
      body.push(view);
    } else {
      body.push(h("p", { class: "muted", role: "status" }, t("reader.generating")));
    }
    popover.show(rect, body, { label: t("reader.scene"), kind: "popover-scene" });
  }

  async function onImageEvent(event) {
    if (event.book_id && event.book_id !== bookId) return;
    // The event carries what the page needs; older servers send only ids, so fetch then.
    let image = event.description_id ? { id: event.image_id, description_id: event.description_id, status: event.status, url: event.url } : null;
    if (!image || (image.status === "ready" && !image.url)) {
      try {
        image = await api(`images/${event.image_id}`);
      } catch {
        return;
      }
    }
    const desc = state.descriptions.get(image.description_id);
    state.images.set(image.description_id, image);
    if (!desc) return;
    placeIllustration(content, pager.map, desc, image, relayoutSoon);
    relayoutSoon();
  }

  // ---- Drawer: contents, bookmarks, highlights, settings ----------------------------------------------
  function closeDrawer() {
    drawer.hidden = true;
    scrim.hidden = true;
    state.panel = null;
  }

  function openDrawer(panel, opener) {
    state.panel = panel;
    drawer.hidden = false;
    scrim.hidden = false;
    drawer.returnFocus = opener;
    renderDrawer(panel);
    (drawer.querySelector("[aria-current='true']") || drawer.querySelector(".drawer-tab[aria-selected='true']") || drawer.querySelector("button, a, input, select"))?.focus();
  }

  function renderDrawer(panel) {
    clear(drawer);
    const close = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.close") }, icon("close"));
    close.addEventListener("click", () => {
      closeDrawer();
      drawer.returnFocus?.focus();
    });
    const tabs = panel === "settings" ? null : h("div", { class: "drawer-tabs", role: "tablist" }, ...["toc", "bookmarks", "highlights"].map((name) => {
      const tab = h("button", { type: "button", role: "tab", class: "drawer-tab", "aria-selected": String(name === panel), id: `tab-${name}` }, t(`reader.${name}`));
      tab.addEventListener("click", () => {
        state.panel = name;
        renderDrawer(name);
        drawer.querySelector(`#tab-${name}`)?.focus();
      });
      return tab;
    }));
    const title = panel === "settings" ? t("reader.settings") : state.book.title;
    drawer.setAttribute("aria-label", title);
    const body = h("div", { class: "drawer-body", role: panel === "settings" ? null : "tabpanel" });
    if (panel === "toc") append(body, tocList());
    if (panel === "bookmarks") append(body, bookmarkList());
    if (panel === "highlights") append(body, highlightList());
    if (panel === "settings") append(body, settingsForm());
    append(drawer, [h("div", { class: "drawer-head" }, h("h2", {}, title), close), tabs, body]);
  }

  function tocList() {
    return h(
      "ol",
      { class: "toc", id: "toc" },
      chapters.map((chapter) => {
        const current = chapter.number === state.number;
        const link = h("button", { type: "button", class: `toc-link level-${Math.min(chapter.level || 1, 4)}`, "aria-current": current ? "true" : null, dataset: { chapter: chapter.number } }, chapter.title || t("reader.chapter", { n: chapter.number }));
        link.addEventListener("click", () => {
          closeDrawer();
          openChapter(chapter.number, { offset: 0 });
        });
        return h("li", {}, link);
      }),
    );
  }

  function chapterTitle(number) {
    const chapter = chapters.find((c) => c.number === number);
    return chapter?.title || t("reader.chapter", { n: number });
  }

  function bookmarkList() {
    const add = h("button", { type: "button", class: "btn btn-primary btn-small" }, icon("bookmark"), t("reader.add_bookmark"));
    add.addEventListener("click", () => addBookmark().then(() => renderDrawer("bookmarks")));
    const items = [...state.bookmarks].sort((a, b) => a.chapter - b.chapter || a.offset - b.offset);
    const list = h("ul", { class: "annotation-list", id: "bookmark-list" });
    for (const mark of items) {
      const go = h("button", { type: "button", class: "annotation-jump" }, h("strong", {}, mark.title || chapterTitle(mark.chapter)), h("small", { class: "muted" }, `${chapterTitle(mark.chapter)} · ${formatDate(mark.created_at, lang())}`));
      go.addEventListener("click", () => jump(mark.chapter, mark.offset));
      const remove = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.delete_bookmark") }, icon("trash"));
      remove.addEventListener("click", async () => {
        try {
          await api(`bookmarks/${mark.id}`, { method: "DELETE" });
          state.bookmarks = state.bookmarks.filter((b) => b.id !== mark.id);
          renderDrawer("bookmarks");
        } catch (error) {
          toast(errorText(error), "error");
        }
      });
      list.append(h("li", { class: "annotation" }, go, remove));
    }
    return [add, items.length ? list : h("p", { class: "muted" }, t("reader.no_bookmarks"))];
  }

  function highlightList() {
    const items = [...state.highlights].sort((a, b) => a.chapter - b.chapter || a.start - b.start);
    const list = h("ul", { class: "annotation-list", id: "highlight-list" });
    for (const item of items) {
      const go = h(
        "button",
        { type: "button", class: "annotation-jump" },
        h("span", { class: `hl-quote hl-${COLORS.includes(item.color) ? item.color : "yellow"}` }, excerpt(item.text, 160)),
        item.note ? h("span", { class: "annotation-note" }, item.note) : null,
        h("small", { class: "muted" }, chapterTitle(item.chapter)),
      );
      go.addEventListener("click", () => jump(item.chapter, item.start));
      const remove = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.delete_highlight") }, icon("trash"));
      remove.addEventListener("click", () => deleteHighlight(item));
      list.append(h("li", { class: "annotation" }, go, remove));
    }
    const exportButton = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("reader.export"));
    exportButton.addEventListener("click", exportHighlights);
    return [items.length ? list : h("p", { class: "muted" }, t("reader.no_highlights")), items.length ? exportButton : null];
  }

  async function exportHighlights() {
    try {
      const text = await api(`books/${bookId}/highlights/export`, { query: { format: "markdown" } });
      const url = URL.createObjectURL(new Blob([typeof text === "string" ? text : JSON.stringify(text, null, 2)], { type: "text/markdown" }));
      const link = h("a", { href: url, download: `${state.book.title || "highlights"}.md` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function settingsForm() {
    const prefs = getPrefs();
    const group = (legend, name, values, labelKey) =>
      h(
        "fieldset",
        { class: "segmented" },
        h("legend", {}, legend),
        values.map((value) => {
          const id = `pref-${name}-${value}`;
          const input = h("input", { type: "radio", name, id, value, checked: prefs[name] === value });
          input.addEventListener("change", () => setPref(name, value));
          return h("label", { for: id, class: `segment segment-${name}-${value}` }, input, h("span", {}, t(`${labelKey}.${value}`)));
        }),
      );
    const range = (name, label, limits, format) => {
      const id = `pref-${name}`;
      const output = h("output", { for: id }, format(prefs[name]));
      const input = h("input", { type: "range", id, min: limits.min, max: limits.max, step: limits.step, value: prefs[name] });
      input.addEventListener("input", () => {
        const value = Number(input.value);
        output.textContent = format(value);
        setPref(name, value);
      });
      return h("div", { class: "field field-range" }, h("label", { for: id }, label, " ", output), input);
    };
    const scenes = h("input", { type: "checkbox", id: "pref-scenes", checked: prefs.scenes !== false });
    scenes.addEventListener("change", () => setPref("scenes", scenes.checked));
    const device = h("input", { type: "text", id: "pref-device", class: "input", value: deviceName(), maxlength: "60" });
    device.addEventListener("change", () => setDeviceName(device.value));
    return [
      group(t("reader.theme"), "theme", THEMES, "reader.theme"),
      group(t("reader.font"), "font", FONTS, "reader.font"),
      range("size", t("reader.size"), SIZE_RANGE, (v) => `${v}px`),
      range("lineHeight", t("reader.line_height"), LINE_RANGE, (v) => Number(v).toFixed(1)),
      h("div", { class: "field field-check" }, scenes, h("label", { for: "pref-scenes" }, t("reader.show_scenes"))),
      h("div", { class: "field" }, h("label", { for: "pref-device" }, t("reader.device")), device),
    ];
  }

  async function addBookmark() {
    const offset = pager.currentOffset();
    // The words at the top of the page name the bookmark; a short heading alone says too little.
    let words = "";
    for (const para of pager.map) {
      if (para.end <= offset) continue;
      words += ` ${para.el.textContent.slice(Math.max(0, offset - para.start))}`;
      if (words.length > 60) break;
    }
    const snippet = excerpt(words, 60);
    const title = snippet ? `${chapterTitle(state.number)} — ${snippet}` : chapterTitle(state.number);
    try {
      const created = await api(`books/${bookId}/bookmarks`, { method: "POST", body: { chapter: state.number, offset, title } });
      state.bookmarks.push(created);
      bookmarkButton.classList.add("is-flash");
      setTimeout(() => bookmarkButton.classList.remove("is-flash"), 600);
      toast(t("reader.bookmarks") + ": " + title);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  // ---- Input -----------------------------------------------------------------------------------------
  tocButton.addEventListener("click", () => openDrawer("toc", tocButton));
  settingsButton.addEventListener("click", () => openDrawer("settings", settingsButton));
  bookmarkButton.addEventListener("click", () => addBookmark());
  scrim.addEventListener("click", closeDrawer);
  prevButton.addEventListener("click", () => turn(-1));
  nextButton.addEventListener("click", () => turn(1));
  viewport.addEventListener("scroll", debounce(() => {
    pager.snap();
    updateStatus();
  }, 150));

  const onSelection = debounce(() => {
    const selection = document.getSelection();
    if (selection && !selection.isCollapsed && content.contains(selection.anchorNode)) selectionToolbar();
    else if (popover.open && popover.el.classList.contains("popover-selection")) popover.close();
  }, 250);
  document.addEventListener("selectionchange", onSelection);

  content.addEventListener("click", (event) => {
    if (!document.getSelection().isCollapsed) return;
    const hl = event.target.closest("mark.hl");
    const desc = event.target.closest("mark.desc");
    if (hl) {
      const highlight = state.highlights.find((item) => item.id === hl.dataset.hlId);
      if (highlight) highlightPopover(highlight, hl.getBoundingClientRect());
    } else if (desc && getPrefs().scenes !== false && state.descriptions.has(desc.dataset.descId)) {
      scenePopover(state.descriptions.get(desc.dataset.descId), desc.getBoundingClientRect());
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
        closeDrawer();
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
  const offImages = live.on("image.status", onImageEvent);

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
  await openChapter(start.chapter, { offset: start.offset });
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
