// @ts-check
// One chapter on screen: fetch it, lay out its text with descriptions, highlights and pictures marked, and
// follow links inside it (footnotes here or in another chapter).
import { api } from "../api.js";
import { t } from "../i18n.js";
import { getPrefs } from "../prefs.js";
import { errorText, toast } from "../ui.js";
import { markDescriptions, markHighlight, placeIllustration } from "./annotations.js";
import { buildParagraphMap, textLength } from "./offsets.js";

/**
 * @param {import("./context.js").ReaderContext} ctx
 * @returns {import("./context.js").ChapterView}
 */
export function createChapterView(ctx) {
  const { bookId, state, chapters, content, pager, popover, ui } = ctx;
  let loadToken = 0; // a newer openChapter wins over one still waiting for its response

  /** Mark the chapter's descriptions, the reader's highlights and the pictures that already exist. */
  async function annotate(chapter) {
    const descriptions = chapter.descriptions || [];
    state.descriptions = new Map(descriptions.map((d) => [d.id, d]));
    markDescriptions(pager.map, descriptions);
    if (getPrefs().scenes === false) for (const mark of content.querySelectorAll("mark.desc")) mark.setAttribute("tabindex", "-1");
    for (const highlight of state.highlights) if (highlight.chapter === state.number) markHighlight(pager.map, highlight);
    let images = chapter.images;
    if (!Array.isArray(images)) images = await api(`books/${bookId}/images`).catch(() => []);
    for (const image of listOf(images)) {
      const description = state.descriptions.get(image.description_id);
      if (!description) continue;
      state.images.set(image.description_id, image);
      placeIllustration(content, pager.map, description, image, ctx.relayoutSoon);
    }
    for (const img of content.querySelectorAll("img")) if (!img.complete) img.addEventListener("load", ctx.relayoutSoon, { once: true });
  }

  /**
   * Show chapter `number` at `offset` (or on its last page with `atEnd`).
   * @param {number} number
   * @param {{offset?: number, atEnd?: boolean}} [where]
   */
  async function openChapter(number, { offset = 0, atEnd = false } = {}) {
    const token = ++loadToken;
    popover.close();
    ui.readerEl.classList.add("is-loading");
    let chapter;
    try {
      chapter = await api(`books/${bookId}/chapters/${number}`);
    } catch (error) {
      ui.readerEl.classList.remove("is-loading");
      toast(errorText(error), "error");
      return;
    }
    if (token !== loadToken || state.disposed) return;
    state.chapter = chapter;
    state.number = chapter.number ?? number;
    content.innerHTML = chapter.html || "";
    pager.map = buildParagraphMap(content, chapter.paragraphs || chapter.paragraph_offsets);
    await annotate(chapter);
    const meta = chapters.find((c) => c.number === state.number);
    ui.chapterEl.textContent = chapter.title || meta?.title || t("reader.chapter", { n: state.number });
    history.replaceState(null, "", `#/read/${bookId}/${state.number}`);
    pager.page = 0;
    pager.layout();
    if (atEnd) pager.show(pager.pages - 1);
    else pager.show(pager.pageOfOffset(offset));
    ui.readerEl.classList.remove("is-loading");
    ctx.updateStatus();
    // The page starts before the saved offset; keep the finer position.
    if (!atEnd && offset) ctx.setOffset(Math.max(state.offset, Math.min(offset, textLength(pager.map))));
    ctx.saveProgress();
    if (state.panel === "toc") ctx.drawer.render("toc");
  }

  function showElement(id) {
    const target = content.querySelector(`[id="${CSS.escape(id)}"]`);
    if (target) ctx.showPage(pager.pageOfElement(target));
  }

  /**
   * A link inside the chapter was clicked: the hash belongs to the router, so ids are resolved here.
   * @param {string} href
   */
  function followLink(href) {
    if (href.startsWith("#")) {
      showElement(href.slice(1));
      return;
    }
    // a footnote in another chapter (ingest writes `?chapter=<n>#p-<i>`)
    const footnote = href.match(/^\?chapter=(\d+)#(.+)$/);
    if (footnote) openChapter(Number(footnote[1])).then(() => showElement(footnote[2]));
    else if (/^https?:/.test(href)) window.open(href, "_blank", "noopener");
  }

  return { openChapter, followLink };
}

/** A list endpoint's items, whether it answers with an array or a page object. */
export function listOf(value) {
  if (Array.isArray(value)) return value;
  if (value && Array.isArray(value.items)) return value.items;
  return [];
}
