// @ts-check
// Full-text search (GET /api/v1/search, /api/v1/books/{id}/search): a form + results list used by the library
// and the reader. A hit opens the reader at the passage with the words marked (`takePendingFind`).
import { api } from "./api.js";
import { clear, h, icon } from "./dom.js";
import { t } from "./i18n.js";
import { errorText } from "./ui.js";

const PAGE = 20;
let pending = null;

// The library hands the reader the hit to show; the reader takes it once when it opens that book.
export function setPendingFind(hit) {
  pending = hit;
}

export function takePendingFind(bookId) {
  const hit = pending && pending.book_id === bookId ? pending : null;
  pending = null;
  return hit;
}

export function createSearch({ bookId = null, onHit, onBook = null }) {
  const id = bookId ? "book-search" : "fulltext-search";
  const input = h("input", { type: "search", id, class: "input search-input", placeholder: t("search.placeholder"), "aria-label": bookId ? t("search.in_book") : t("search.fulltext"), autocomplete: "off", minlength: "1", maxlength: "300" });
  const submit = h("button", { type: "submit", class: "btn btn-ghost", id: `${id}-go` }, icon("search"), t("search.go"));
  const form = h("form", { class: "fulltext-form", role: "search" }, input, submit);
  const status = h("p", { class: "muted search-status", "aria-live": "polite" });
  const books = h("ul", { class: "search-books", hidden: true });
  const list = h("ol", { class: "search-hits", id: `${id}-hits` });
  const more = h("button", { type: "button", class: "btn btn-ghost", hidden: true }, t("search.more"));
  const results = h("div", { class: "search-results", hidden: true }, status, books, list, more);
  const el = h("section", { class: "fulltext", "aria-label": bookId ? t("search.in_book") : t("search.fulltext") }, form, results);
  const state = { q: "", items: [], total: 0 };

  function renderHit(hit) {
    const snippet = h("p", { class: "search-snippet" });
    snippet.innerHTML = hit.snippet; // the server escapes the text and adds only <mark>
    const where = h("span", { class: "search-where" }, bookId ? t("search.chapter", { n: hit.chapter }) : `${hit.book_title} · ${t("search.chapter", { n: hit.chapter })}`);
    const open = h("button", { type: "button", class: "search-hit", dataset: { bookId: hit.book_id, chapter: hit.chapter, offset: hit.offset } }, where, snippet);
    open.addEventListener("click", () => onHit(hit));
    return h("li", {}, open);
  }

  async function run(append = false) {
    if (!state.q) return;
    results.hidden = false;
    try {
      const page = await api(bookId ? `books/${bookId}/search` : "search", { query: { q: state.q, limit: PAGE, offset: append ? state.items.length : 0 } });
      state.items = append ? state.items.concat(page.items) : page.items;
      state.total = page.total;
      if (!append) clear(list);
      for (const hit of page.items) list.append(renderHit(hit));
      status.textContent = !state.total ? t("search.none") : page.total_capped ? t("search.results_many", { n: state.total }) : t("search.results", { n: state.total, count: state.total });
      more.hidden = state.items.length >= state.total;
      if (!append && !bookId) renderBooks(page.books || []);
    } catch (error) {
      status.textContent = errorText(error);
    }
  }

  function renderBooks(found) {
    clear(books);
    books.hidden = !found.length || !onBook;
    for (const book of found) {
      const link = h("button", { type: "button", class: "chip" }, book.title);
      link.addEventListener("click", () => onBook?.(book));
      books.append(h("li", {}, link));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = input.value.trim();
    if (state.q) run();
    else results.hidden = true;
  });
  more.addEventListener("click", () => run(true));
  return { el, input, focus: () => input.focus() };
}

// Marks `hit.terms` inside the paragraph that holds `hit.offset` (chapter text coordinates).
export function findRanges(text, hit, paragraph) {
  const ranges = [];
  const from = paragraph ? paragraph.start : Math.max(0, hit.offset - 200);
  const to = paragraph ? paragraph.end : hit.offset + 400;
  const slice = text.slice(from, to);
  for (const term of hit.terms || []) {
    if (!term) continue;
    let at = slice.indexOf(term);
    while (at !== -1) {
      ranges.push([from + at, from + at + term.length]);
      at = slice.indexOf(term, at + term.length);
    }
  }
  if (!ranges.length && hit.length) ranges.push([hit.offset, hit.offset + hit.length]);
  return ranges;
}
