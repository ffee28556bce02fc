// @ts-check
// Library controls: sort order, shelf filter, new shelf, putting a book on a shelf (all on the server).
import { api } from "./api.js";
import { h, icon } from "./dom.js";
import { t } from "./i18n.js";
import { errorText, openDialog, toast } from "./ui.js";

const SORTS = ["recently_added", "title", "author", "recently_read", "progress"];

export function createLibraryControls(onChange) {
  const sort = h("select", { id: "library-sort", class: "input select-compact", "aria-label": t("shelves.sort") }, SORTS.map((key) => h("option", { value: key }, t(`shelves.sort.${key}`))));
  const shelf = h("select", { id: "library-shelf", class: "input select-compact", "aria-label": t("shelves.shelf") });
  const add = h("button", { type: "button", class: "btn btn-ghost", id: "shelf-new" }, t("shelves.new"));
  const el = h("div", { class: "library-controls" }, sort, shelf, add);
  let shelves = [];

  async function loadShelves(selected = shelf.value) {
    try {
      shelves = await api("shelves");
    } catch {
      shelves = [];
    }
    shelf.replaceChildren(h("option", { value: "" }, t("shelves.all")), ...shelves.map((s) => h("option", { value: s.id }, `${s.name} (${s.book_count})`)));
    shelf.value = shelves.some((s) => s.id === selected) ? selected : "";
  }

  add.addEventListener("click", async () => {
    const name = h("input", { class: "input", id: "shelf-name", maxlength: "200", required: true, "aria-label": t("shelves.name") });
    const value = await openDialog({ title: t("shelves.new"), body: h("div", { class: "field" }, name), submitLabel: t("shelves.create"), collect: () => name.value.trim() });
    if (!value) return;
    try {
      const made = await api("shelves", { method: "POST", body: { name: value } });
      await loadShelves(made.id);
      onChange();
    } catch (error) {
      toast(errorText(error), "error");
    }
  });
  sort.addEventListener("change", () => onChange());
  shelf.addEventListener("change", () => onChange());

  async function shelveBook(book) {
    const manual = shelves.filter((s) => s.kind === "manual");
    if (!manual.length) return toast(t("shelves.none"));
    const pick = h("select", { class: "input", id: "shelf-pick", "aria-label": t("shelves.shelf") }, manual.map((s) => h("option", { value: s.id }, s.name)));
    const id = await openDialog({ title: t("shelves.put", { title: book.title }), body: pick, submitLabel: t("shelves.add"), collect: () => pick.value });
    if (!id) return;
    try {
      await api(`shelves/${id}/books/${book.id}`, { method: "PUT" });
      toast(t("shelves.added"));
      await loadShelves();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function shelveButton(book) {
    const button = h("button", { type: "button", class: "icon-btn book-shelve", "aria-label": t("shelves.put", { title: book.title }), title: t("shelves.add") }, icon("bookmark"));
    button.addEventListener("click", () => shelveBook(book));
    return button;
  }

  // What the book list asks the server for: `path` and the extra query parameters.
  function request() {
    const query = sort.value !== "recently_added" ? { sort: sort.value } : {};
    return shelf.value ? { path: `shelves/${shelf.value}/books`, query } : { path: "books", query };
  }

  loadShelves();
  return { el, request, shelveButton };
}
