// @ts-check
// Highlights: the selection toolbar (colours, note), the popover on an existing highlight, and their storage.
import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { errorText, openDialog, toast } from "../ui.js";
import { COLORS, markHighlight, unmarkHighlight } from "./annotations.js";
import { selectionOffsets } from "./offsets.js";

export function createHighlights(ctx) {
  const { bookId, state, content, pager, popover } = ctx;

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
      if (state.panel === "highlights") ctx.drawer.render("highlights");
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
      if (state.panel === "highlights") ctx.drawer.render("highlights");
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

  return { selectionToolbar, highlightPopover, deleteHighlight };
}
