// @ts-check
// Search inside the open book: a panel under the reader bar; a hit turns to its page with the words marked.
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { createSearch, findRanges } from "../search.js";
import { paragraphAt, unwrap, wrapOffsets } from "./offsets.js";

export function createFind(ctx) {
  const { bookId, state, content, pager, openChapter, showPage } = ctx;
  const button = h("button", { type: "button", class: "icon-btn", "aria-label": t("search.in_book"), title: t("search.in_book"), id: "reader-search", "aria-expanded": "false" }, icon("search"));
  const search = createSearch({ bookId, onHit: (hit) => show(hit) });
  const panel = h("div", { class: "reader-search-panel", hidden: true }, search.el);

  function mark(hit) {
    unwrap([...content.querySelectorAll("mark.find")]);
    const ranges = findRanges(state.chapter?.text || "", hit, paragraphAt(pager.map, hit.offset));
    for (const [start, end] of ranges) wrapOffsets(pager.map, start, end, () => h("mark", { class: "find" }));
    showPage(pager.pageOfOffset(hit.offset));
    state.offset = hit.offset;
  }

  async function show(hit) {
    toggle(false);
    if (hit.chapter !== state.number) await openChapter(hit.chapter, { offset: hit.offset });
    mark(hit);
  }

  function toggle(open = panel.hidden) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) search.focus();
  }
  button.addEventListener("click", () => toggle());
  return { button, panel, mark, show };
}
