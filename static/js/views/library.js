// @ts-check
// Library: search, upload with progress, live processing status, delete.
import { api, uploadBook } from "../api.js";
import { clear, debounce, formatNumber, h, icon } from "../dom.js";
import { lang, t } from "../i18n.js";
import { live } from "../live.js";
import { confirmDialog, errorText, progressBar, statusBadge, toast } from "../ui.js";
import { authedImage } from "../images.js";
import { createSearch, setPendingFind } from "../search.js";
import { createLibraryControls } from "../shelves.js";

const PAGE = 48;
const TERMINAL = new Set(["ready", "failed"]);
const ACCEPT = ".epub,.fb2,.zip,application/epub+zip,application/x-fictionbook+xml";

// Placeholder covers get a stable hue per title so a shelf of them still looks deliberate.
function hue(text) {
  let sum = 0;
  for (const ch of text) sum = (sum * 31 + ch.codePointAt(0)) % 360;
  return sum;
}

function placeholderCover(book) {
  const cover = h("div", { class: `cover cover-placeholder hue-${hue(book.title || "?") % 12}`, "aria-hidden": "true" });
  cover.append(h("span", { class: "cover-title" }, book.title || "…"), h("span", { class: "cover-author" }, (book.authors || []).join(", ")));
  return cover;
}

function coverFor(book) {
  const url = book.thumbnail_url || book.cover_url;
  if (!url) return placeholderCover(book);
  const img = h("img", { class: "cover", alt: "", loading: "lazy", decoding: "async" });
  authedImage(img, url, () => img.replaceWith(placeholderCover(book)));
  return img;
}

export function mountLibrary(root) {
  const state = { items: [], total: 0, q: "", loading: false, cards: new Map(), pollTimer: null };
  const search = h("input", { type: "search", id: "library-search", class: "input search-input", placeholder: t("library.search"), "aria-label": t("library.search"), autocomplete: "off" });
  const fileInput = h("input", { type: "file", id: "upload-input", accept: ACCEPT, multiple: true, class: "visually-hidden", "aria-label": t("library.upload") });
  const uploadButton = h("button", { type: "button", class: "btn btn-primary", id: "upload-button" }, icon("upload"), t("library.upload"));
  const uploads = h("ul", { class: "uploads", "aria-label": t("library.upload"), "aria-live": "polite" });
  const grid = h("ul", { class: "book-grid", id: "book-grid", "aria-label": t("library.title") });
  const summary = h("p", { class: "muted library-count" });
  const more = h("button", { type: "button", class: "btn btn-ghost", hidden: true }, t("library.more"));
  const empty = h("div", { class: "empty", hidden: true });
  const controls = createLibraryControls(() => load());
  const fulltext = createSearch({
    onHit: (hit) => {
      setPendingFind(hit);
      location.hash = `#/read/${hit.book_id}/${hit.chapter}`;
    },
    onBook: (book) => (location.hash = `#/read/${book.id}`),
  });
  const dropZone = h(
    "section",
    { class: "library" },
    h(
      "div",
      { class: "library-head" },
      h("div", {}, h("h1", {}, t("library.title")), summary),
      h("div", { class: "library-actions" }, h("div", { class: "search-box" }, icon("search"), search), uploadButton, fileInput),
    ),
    controls.el,
    uploads,
    fulltext.el,
    empty,
    grid,
    h("div", { class: "center" }, more),
  );
  root.append(dropZone);

  function renderCard(book) {
    const openable = book.status === "ready";
    const title = book.title || "…";
    const link = h(
      openable ? "a" : "div",
      { class: "book-link", href: openable ? `#/read/${book.id}` : null, "aria-label": openable ? t("library.open", { title }) : null },
      coverFor(book),
    );
    const info = h(
      "div",
      { class: "book-info" },
      h("h2", { class: "book-title" }, openable ? h("a", { href: `#/read/${book.id}`, tabindex: "-1" }, title) : title),
      h("p", { class: "book-author" }, (book.authors || []).join(", ") || t("library.unknown_author")),
    );
    const meta = h("div", { class: "book-meta" }, statusBadge(book.status));
    if (!TERMINAL.has(book.status) && book.stage_progress) meta.append(h("span", { class: "muted book-percent" }, `${Math.round(book.stage_progress * 100)}%`));
    if (book.word_count) meta.append(h("span", { class: "muted" }, t("library.words", { n: formatNumber(book.word_count, lang()) })));
    const remove = h("button", { type: "button", class: "icon-btn book-delete", "aria-label": t("library.delete_named", { title }), title: t("library.delete") }, icon("trash"));
    remove.addEventListener("click", () => removeBook(book));
    info.append(meta);
    if (!TERMINAL.has(book.status)) {
      const bar = progressBar(book.stage_progress || 0, t(`status.${book.status}`));
      bar.classList.add("book-progress");
      info.append(bar);
    }
    if (book.status === "failed" && book.error) info.append(h("p", { class: "book-error" }, book.error.message || book.error.code));
    const card = h("li", { class: `book-card status-${book.status}`, dataset: { bookId: book.id, status: book.status } }, link, remove, controls.shelveButton(book), info);
    return card;
  }

  function renderGrid() {
    clear(grid);
    state.cards.clear();
    for (const book of state.items) {
      const card = renderCard(book);
      state.cards.set(book.id, card);
      grid.append(card);
    }
    summary.textContent = state.total ? t("library.count", { n: formatNumber(state.total, lang()), count: state.total }) : "";
    more.hidden = state.items.length >= state.total;
    empty.hidden = state.items.length > 0;
    clear(empty).append(h("p", {}, state.q ? t("library.no_results") : t("library.empty")));
    schedulePoll();
  }

  function replaceBook(book) {
    const index = state.items.findIndex((item) => item.id === book.id);
    if (index === -1) {
      state.items.unshift(book);
      state.total += 1;
      renderGrid();
      return;
    }
    state.items[index] = { ...state.items[index], ...book };
    const old = state.cards.get(book.id);
    const card = renderCard(state.items[index]);
    state.cards.set(book.id, card);
    if (old) old.replaceWith(card);
    schedulePoll();
  }

  async function load(append = false) {
    state.loading = true;
    try {
      const { path, query } = controls.request();
      const page = await api(path, { query: { ...query, limit: PAGE, offset: append ? state.items.length : 0, q: path === "books" ? state.q : undefined } });
      state.items = append ? state.items.concat(page.items) : page.items;
      state.total = page.total;
      renderGrid();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      state.loading = false;
    }
  }

  // The WebSocket is the fast path; polling covers a dropped socket so a card never sticks at "queued".
  function schedulePoll() {
    clearTimeout(state.pollTimer);
    const pending = state.items.filter((book) => !TERMINAL.has(book.status));
    if (!pending.length) return;
    state.pollTimer = setTimeout(async () => {
      for (const book of pending) {
        try {
          replaceBook(await api(`books/${book.id}`));
        } catch {
          // The next tick retries.
        }
      }
      schedulePoll();
    }, live.connected ? 8000 : 2500);
  }

  async function removeBook(book) {
    const ok = await confirmDialog(t("library.confirm_delete", { title: book.title }), t("library.delete"));
    if (!ok) return;
    try {
      await api(`books/${book.id}`, { method: "DELETE" });
      state.items = state.items.filter((item) => item.id !== book.id);
      state.total = Math.max(0, state.total - 1);
      renderGrid();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function upload(file) {
    const bar = progressBar(0, t("library.uploading", { name: file.name }));
    const message = h("p", { class: "upload-message" });
    const dismiss = h("button", { type: "button", class: "icon-btn", "aria-label": t("library.dismiss"), hidden: true }, icon("close"));
    const name = h("span", { class: "upload-name" }, t("library.uploading", { name: file.name }));
    const item = h("li", { class: "upload-item" }, h("div", { class: "upload-row" }, name, dismiss), bar, message);
    dismiss.addEventListener("click", () => item.remove());
    uploads.append(item);
    try {
      const { book, existing } = await uploadBook(file, (fraction) => bar.set(fraction));
      bar.set(1);
      item.remove();
      if (existing) toast(`${t("library.already")}: ${book.title}`);
      replaceBook(book);
    } catch (error) {
      item.classList.add("is-error");
      name.textContent = file.name;
      bar.hidden = true;
      message.textContent = errorText(error);
      message.setAttribute("role", "alert");
      dismiss.hidden = false;
    }
  }

  const offEvents = live.on("book.status", (event) => {
    const known = state.items.find((book) => book.id === event.book_id);
    if (!known) return;
    const update = { id: event.book_id, status: event.status || known.status };
    if (event.progress != null) update.stage_progress = event.progress;
    if (event.stage) update.stage = event.stage;
    replaceBook(update);
    // The final event carries no title/cover changes: fetch the full book once it settles.
    if (TERMINAL.has(update.status)) api(`books/${event.book_id}`).then(replaceBook, () => {});
  });

  const onSearch = debounce(() => {
    state.q = search.value.trim();
    load();
  }, 250);
  search.addEventListener("input", onSearch);
  uploadButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    for (const file of fileInput.files) upload(file);
    fileInput.value = "";
  });
  more.addEventListener("click", () => load(true));
  dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("is-dragging");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("is-dragging"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("is-dragging");
    for (const file of event.dataTransfer.files) upload(file);
  });

  load();
  return () => {
    offEvents();
    onSearch.cancel();
    clearTimeout(state.pollTimer);
  };
}
