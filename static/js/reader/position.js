// @ts-check
// Where the reader is: the page shown, the offset of its first character, the book percentage, the status
// line and the saved progress (debounced PUT, flushed when the reader leaves).
import { api } from "../api.js";
import { debounce } from "../dom.js";
import { t } from "../i18n.js";
import { deviceName } from "../prefs.js";
import { textLength } from "./offsets.js";

const PROGRESS_DEBOUNCE_MS = 1500;
const RELAYOUT_DEBOUNCE_MS = 120;

/**
 * @param {import("./context.js").ReaderContext} ctx
 * @returns {import("./context.js").Position}
 */
export function createPosition(ctx) {
  const { bookId, state, chapters, pager, popover, ui } = ctx;
  const totalWords = chapters.reduce((sum, c) => sum + (c.word_count || 0), 0) || 1;

  const chapterIndex = () => chapters.findIndex((c) => c.number === state.number);
  const atBookEnd = () => chapterIndex() === chapters.length - 1 && pager.page >= pager.pages - 1;

  /** Book percentage by words: the chapters before this one plus the part of this one before the offset. */
  function percentage() {
    const index = chapterIndex();
    const before = chapters.slice(0, Math.max(0, index)).reduce((sum, c) => sum + (c.word_count || 0), 0);
    const length = textLength(pager.map) || 1;
    const within = (chapters[index]?.word_count || 0) * Math.min(1, state.offset / length);
    return atBookEnd() ? 100 : Math.min(100, Math.round(((before + within) / totalWords) * 1000) / 10);
  }

  const saveProgress = debounce(() => {
    if (state.number == null) return;
    api(`books/${bookId}/progress`, {
      method: "PUT",
      keepalive: true,
      body: { chapter: state.number, offset: state.offset, percentage: percentage(), device: deviceName(), updated_at: new Date().toISOString() },
    }).catch(() => {});
  }, PROGRESS_DEBOUNCE_MS);

  /** The offset came from somewhere finer than the page (a bookmark, a search hit): keep it. */
  function setOffset(offset) {
    state.offset = offset;
    ui.readerEl.dataset.offset = String(offset);
  }

  function updateStatus() {
    state.offset = pager.currentOffset();
    const percent = percentage();
    ui.pageLabel.textContent = t("reader.page", { n: pager.page + 1, total: pager.pages });
    ui.percentLabel.textContent = `${Math.round(percent)}%`;
    /** @type {HTMLElement} */ (ui.bookBar.firstChild).style.width = `${percent}%`;
    Object.assign(ui.readerEl.dataset, { chapter: state.number, page: pager.page, pages: pager.pages, offset: state.offset });
    ui.prevButton.disabled = chapterIndex() <= 0 && pager.page === 0;
    ui.nextButton.disabled = atBookEnd();
    ctx.session.position(state.number, state.offset);
    ctx.drawer?.syncBookmarkButton();
  }

  function showPage(page) {
    popover.close();
    pager.show(page);
    updateStatus();
    saveProgress();
  }

  /** One page forward (1) or back (-1), across chapter ends. */
  async function turn(direction) {
    // Key repeat while the next chapter loads would otherwise skip chapters.
    if (ui.readerEl.classList.contains("is-loading")) return;
    const index = chapterIndex();
    if (direction > 0) {
      if (pager.page < pager.pages - 1) return showPage(pager.page + 1);
      if (index < chapters.length - 1) return ctx.openChapter(chapters[index + 1].number, { offset: 0 });
    } else {
      if (pager.page > 0) return showPage(pager.page - 1);
      if (index > 0) return ctx.openChapter(chapters[index - 1].number, { atEnd: true });
    }
  }

  /** Go to a place in the book (contents, bookmarks, highlights). */
  function jump(chapter, offset) {
    ctx.drawer.close();
    if (chapter === state.number) {
      showPage(pager.pageOfOffset(offset));
      setOffset(offset);
      return;
    }
    ctx.openChapter(chapter, { offset });
  }

  /** The text reflowed (resize, font, a picture loaded): stay on the same character. */
  function relayout() {
    if (!state.chapter) return;
    const offset = state.offset;
    pager.layout();
    pager.show(pager.pageOfOffset(offset));
    updateStatus();
    setOffset(offset);
  }
  const relayoutSoon = debounce(relayout, RELAYOUT_DEBOUNCE_MS);

  function dispose() {
    saveProgress.flush();
    relayoutSoon.cancel();
  }

  return { percentage, saveProgress, setOffset, updateStatus, showPage, turn, jump, relayoutSoon, dispose };
}
