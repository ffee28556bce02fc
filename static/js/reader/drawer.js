// @ts-check
// The side drawer: contents, bookmarks, highlights (tabs) and reading settings; adding bookmarks.
import { api } from "../api.js";
import { append, clear, formatDate, h, icon } from "../dom.js";
import { lang, t } from "../i18n.js";
import { deviceName, FONTS, getPrefs, LINE_RANGE, setDeviceName, setPref, SIZE_RANGE, THEMES } from "../prefs.js";
import { errorText, toast } from "../ui.js";
import { COLORS, excerpt } from "./annotations.js";

export function createDrawer(ctx) {
  const { bookId, state, chapters, pager } = ctx;
  const { drawerEl: drawer, scrim, bookmarkButton } = ctx.ui;

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
    const tabs = panel === "settings" ? null : h("div", { class: "drawer-tabs", role: "tablist" }, ...["toc", "bookmarks", "highlights", "cast"].map((name) => {
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
    if (panel === "cast") append(body, ctx.cast.panel());
    if (panel === "settings") append(body, settingsForm());
    append(drawer, [h("div", { class: "drawer-head" }, h("h2", {}, title), close), tabs, body]);
    drawer.querySelector(".drawer-tab[aria-selected='true']")?.scrollIntoView({ block: "nearest", inline: "nearest" });
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
          ctx.openChapter(chapter.number, { offset: 0 });
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
      go.addEventListener("click", () => ctx.jump(mark.chapter, mark.offset));
      const remove = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.delete_bookmark") }, icon("trash"));
      remove.addEventListener("click", () => deleteBookmark(mark));
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
      go.addEventListener("click", () => ctx.jump(item.chapter, item.start));
      const remove = h("button", { type: "button", class: "icon-btn", "aria-label": t("reader.delete_highlight") }, icon("trash"));
      remove.addEventListener("click", () => ctx.highlights.deleteHighlight(item));
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
      styleField(),
    ];
  }

  // The illustration style preset (the reader's default for every book), loaded from the server.
  function styleField() {
    const select = h("select", { id: "pref-image-style", class: "input", disabled: true });
    const field = h("div", { class: "field" }, h("label", { for: "pref-image-style" }, t("reader.image_style")), select);
    Promise.all([api("image-styles"), api("users/me/preferences/image-style")])
      .then(([styles, current]) => {
        for (const style of styles) {
          const key = `style.${style.name}`;
          const label = t(key) === key ? style.name.replace(/^\w/, (c) => c.toUpperCase()) : t(key);
          select.append(h("option", { value: style.name, selected: style.name === current.style }, label));
        }
        select.disabled = false;
      })
      .catch(() => field.remove());
    select.addEventListener("change", async () => {
      try {
        await api("users/me/preferences/image-style", { method: "PUT", body: { style: select.value } });
        toast(t("reader.image_style_saved"));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    return field;
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
      syncBookmarkButton();
      toast(`${t("reader.bookmarks")}: ${title}`);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function deleteBookmark(mark) {
    try {
      await api(`bookmarks/${mark.id}`, { method: "DELETE" });
      state.bookmarks = state.bookmarks.filter((b) => b.id !== mark.id);
      syncBookmarkButton();
      if (state.panel === "bookmarks") renderDrawer("bookmarks");
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function bookmarkOnPage() {
    return state.bookmarks.find((mark) => mark.chapter === state.number && pager.pageOfOffset(mark.offset) === pager.page);
  }

  // The toolbar button shows whether this page is bookmarked, and toggles it.
  function syncBookmarkButton() {
    const on = Boolean(bookmarkOnPage());
    const label = on ? t("reader.remove_bookmark") : t("reader.add_bookmark");
    bookmarkButton.classList.toggle("is-on", on);
    bookmarkButton.setAttribute("aria-pressed", String(on));
    bookmarkButton.setAttribute("aria-label", label);
    bookmarkButton.title = label;
  }

  function toggleBookmark() {
    const mark = bookmarkOnPage();
    return mark ? deleteBookmark(mark) : addBookmark();
  }

  return { open: openDrawer, close: closeDrawer, render: renderDrawer, addBookmark, toggleBookmark, syncBookmarkButton };
}
