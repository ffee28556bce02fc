// @ts-check
// Input: buttons, keys, swipes and taps turn pages; clicks and Enter on marks open their popovers; a text
// selection offers the highlight toolbar; resizes and preference changes reflow the text.
import { debounce } from "../dom.js";
import { getPrefs, onPrefsChange } from "../prefs.js";

const SCROLL_SNAP_MS = 150;
const SELECTION_DEBOUNCE_MS = 250;
const SWIPE_MIN_PX = 50;
const TAP_MAX_PX = 10;
const TAP_MAX_MS = 600;
const TAP_ZONE = 0.25; // the outer quarter of the page on each side turns it

/**
 * Wire every listener of the reader; returns the function that removes the ones outside the reader's DOM.
 * @param {import("./context.js").ReaderContext} ctx
 * @returns {() => void}
 */
export function bindInput(ctx) {
  const { content, pager, popover, ui } = ctx;
  const { viewport } = ui;

  ui.tocButton.addEventListener("click", () => ctx.drawer.open("toc", ui.tocButton));
  ui.castButton.addEventListener("click", () => ctx.drawer.open("cast", ui.castButton));
  ui.settingsButton.addEventListener("click", () => ctx.drawer.open("settings", ui.settingsButton));
  ui.bookmarkButton.addEventListener("click", () => ctx.drawer.toggleBookmark());
  ui.scrim.addEventListener("click", () => ctx.drawer.close());
  ui.prevButton.addEventListener("click", () => ctx.turn(-1));
  ui.nextButton.addEventListener("click", () => ctx.turn(1));
  viewport.addEventListener("scroll", debounce(() => {
    pager.snap();
    ctx.updateStatus();
  }, SCROLL_SNAP_MS));

  const onSelection = debounce(() => {
    const selection = document.getSelection();
    if (selection && !selection.isCollapsed && content.contains(selection.anchorNode)) ctx.highlights.selectionToolbar();
    else if (popover.open && popover.el.classList.contains("popover-selection")) popover.close();
  }, SELECTION_DEBOUNCE_MS);
  document.addEventListener("selectionchange", onSelection);

  content.addEventListener("click", (event) => onContentClick(ctx, event));
  content.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const mark = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("mark.hl, mark.desc"));
    if (!mark) return;
    event.preventDefault();
    event.stopPropagation();
    mark.click();
  });
  // Focus can land on a mark on another page (Tab); follow it.
  content.addEventListener("focusin", (event) => {
    const page = pager.pageOfElement(/** @type {Element} */ (event.target));
    if (page !== pager.page) ctx.showPage(page);
  });

  const onKey = (/** @type {KeyboardEvent} */ event) => onDocumentKey(ctx, event);
  document.addEventListener("keydown", onKey);
  bindTouch(ctx);

  const resizeObserver = new ResizeObserver(ctx.relayoutSoon);
  resizeObserver.observe(viewport);
  const offPrefs = onPrefsChange(() => {
    // Hidden scene marks leave the tab order too.
    const tabindex = getPrefs().scenes === false ? "-1" : "0";
    for (const mark of content.querySelectorAll("mark.desc")) mark.setAttribute("tabindex", tabindex);
    ctx.relayoutSoon();
  });

  return () => {
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("selectionchange", onSelection);
    onSelection.cancel();
    resizeObserver.disconnect();
    offPrefs();
  };
}

/**
 * A click in the text: a link is followed by the reader; a highlight or a scene mark opens its popover.
 * @param {import("./context.js").ReaderContext} ctx
 * @param {MouseEvent} event
 */
function onContentClick(ctx, event) {
  const { state } = ctx;
  const target = /** @type {Element} */ (event.target);
  const link = target.closest("a[href]");
  if (link) {
    event.preventDefault();
    ctx.followLink(link.getAttribute("href") || "");
  }
  if (!document.getSelection()?.isCollapsed) return;
  const hl = /** @type {HTMLElement | null} */ (target.closest("mark.hl"));
  const desc = /** @type {HTMLElement | null} */ (target.closest("mark.desc"));
  if (hl) {
    const highlight = state.highlights.find((item) => item.id === hl.dataset.hlId);
    if (highlight) ctx.highlights.highlightPopover(highlight, hl.getBoundingClientRect());
  } else if (desc && getPrefs().scenes !== false && state.descriptions.has(desc.dataset.descId)) {
    ctx.scenes.scenePopover(state.descriptions.get(desc.dataset.descId), desc.getBoundingClientRect());
  }
}

/**
 * Arrows, Page Up/Down and Space turn pages; Escape closes the popover or the drawer.
 * @param {import("./context.js").ReaderContext} ctx
 * @param {KeyboardEvent} event
 */
function onDocumentKey(ctx, event) {
  const { popover, ui } = ctx;
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (document.querySelector("dialog[open]")) return;
  const target = /** @type {Element} */ (event.target);
  if (event.key === "Escape") {
    if (popover.open) popover.close();
    else if (!ui.drawerEl.hidden) {
      ctx.drawer.close();
      ui.drawerEl.returnFocus?.focus();
    }
    return;
  }
  if (target.closest("input, textarea, select, [contenteditable='true']")) return;
  if (!ui.drawerEl.hidden) return;
  const interactive = target.closest("button, a, [role='button']");
  let direction = 0;
  if (event.key === "ArrowRight" || event.key === "PageDown") direction = 1;
  else if (event.key === "ArrowLeft" || event.key === "PageUp") direction = -1;
  else if (event.key === " " && !interactive) direction = event.shiftKey ? -1 : 1;
  if (!direction) return;
  event.preventDefault();
  ctx.turn(direction);
}

/**
 * Swipe and tap zones for touch; the mouse has the side buttons.
 * @param {import("./context.js").ReaderContext} ctx
 */
function bindTouch(ctx) {
  const { viewport } = ctx.ui;
  /** @type {{x: number, y: number, time: number} | null} */
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
    const quick = Date.now() - touchStart.time < TAP_MAX_MS;
    touchStart = null;
    if (!document.getSelection()?.isCollapsed) return;
    if (Math.abs(dx) > SWIPE_MIN_PX && Math.abs(dx) > Math.abs(dy) * 1.5) {
      ctx.turn(dx < 0 ? 1 : -1);
      return;
    }
    const target = /** @type {Element} */ (event.target);
    if (quick && Math.abs(dx) < TAP_MAX_PX && Math.abs(dy) < TAP_MAX_PX && !target.closest("mark, a, figure, button")) {
      const box = viewport.getBoundingClientRect();
      const x = (touch.clientX - box.left) / box.width;
      if (x < TAP_ZONE) ctx.turn(-1);
      else if (x > 1 - TAP_ZONE) ctx.turn(1);
    }
  });
}
