// "Who's who": the book's characters and recurring places as far as the reader has read (the server cuts the
// cast at the furthest position unless "reveal all" is on), with aliases, appearance, quotes that jump to their
// passage, first appearance, relations and portraits.
import { api } from "../api.js";
import { append, clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { live } from "../live.js";
import { getPrefs, setPref } from "../prefs.js";
import { errorText, toast } from "../ui.js";
import { excerpt } from "./annotations.js";
import { pictureVersions } from "./versions.js";

export function createCast(ctx) {
  const { bookId, chapters } = ctx;

  function chapterTitle(number) {
    const chapter = chapters.find((c) => c.number === number);
    return chapter?.title || t("reader.chapter", { n: number });
  }

  let current = null; // the open panel, reloaded when a portrait it waits for is ready
  const waiting = new Set();
  live.on("image.status", (event) => {
    if (!waiting.has(event.image_id) || !["ready", "failed"].includes(event.status)) return;
    waiting.delete(event.image_id);
    if (current?.isConnected) load(current);
  });

  /** The panel's content; it fills itself once the cast has loaded. */
  function panel() {
    const box = h("div", { class: "cast", id: "cast-panel" }, h("p", { class: "muted" }, t("cast.loading")));
    current = box;
    load(box);
    return box;
  }

  function portraitOf(item) {
    if (item.portrait?.url) return h("div", { class: "cast-portrait-box" }, h("img", { class: "cast-portrait", src: item.portrait.url, alt: t("cast.portrait_of", { name: item.name }), loading: "lazy" }), portraitVersions(item));
    if (item.portrait && item.portrait.status !== "failed") return h("span", { class: "cast-portrait cast-portrait-wait muted", role: "status" }, t("reader.generating"));
    const make = h("button", { type: "button", class: "btn btn-ghost btn-small cast-make-portrait", "aria-label": t("cast.make_portrait_of", { name: item.name }) }, t("cast.make_portrait"));
    make.addEventListener("click", async () => {
      make.disabled = true;
      const query = getPrefs().castRevealAll ? { reveal: "all" } : undefined;
      try {
        const image = await api(`books/${bookId}/characters/${item.id}/portrait`, { method: "POST", query });
        waiting.add(image.id);
        if (image.status === "ready") load(current);
        else make.replaceWith(h("span", { class: "cast-portrait cast-portrait-wait muted", role: "status" }, t("reader.generating")));
      } catch (error) {
        make.disabled = false;
        toast(errorText(error), "error");
      }
    });
    return make;
  }

  /** Regenerate and pin among the portrait's versions (the same bound as the panel). */
  function portraitVersions(item) {
    const base = `books/${bookId}/characters/${item.id}/portrait`;
    const shown = { id: item.portrait.image_id, status: item.portrait.status, version: item.portrait.version, pinned: item.portrait.pinned };
    return pictureVersions(shown, {
      regenerate: `${base}/regenerate`,
      versions: `${base}/versions`,
      pin: (version) => [`${base}/pin`, { image_id: version.id }],
      unpin: `${base}/pin`,
      query: getPrefs().castRevealAll ? { reveal: "all" } : undefined,
      label: item.name,
      onChange(image) {
        if (image.status !== "ready") waiting.add(image.id);
        load(current);
      },
    });
  }

  async function load(box) {
    const revealAll = Boolean(getPrefs().castRevealAll);
    const query = revealAll ? { reveal: "all" } : undefined;
    try {
      const [people, places] = await Promise.all([
        api(`books/${bookId}/characters`, { query }),
        api(`books/${bookId}/places`, { query }),
      ]);
      clear(box);
      append(box, [revealToggle(box, revealAll), section("cast.people", people, "cast-people"), section("cast.places", places, "cast-places")]);
    } catch (error) {
      clear(box);
      append(box, h("p", { class: "error", role: "alert" }, errorText(error)));
    }
  }

  function revealToggle(box, revealAll) {
    const input = h("input", { type: "checkbox", id: "cast-reveal-all", checked: revealAll });
    input.addEventListener("change", () => {
      setPref("castRevealAll", input.checked);
      load(box);
    });
    return h(
      "div",
      { class: "cast-reveal" },
      h("label", { for: "cast-reveal-all" }, input, " ", t("cast.reveal_all")),
      h("small", { class: "muted" }, revealAll ? t("cast.spoilers") : t("cast.safe")),
    );
  }

  function section(titleKey, items, id) {
    const heading = h("h3", { class: "cast-heading", id: `${id}-title` }, t(titleKey), " ", h("small", { class: "muted" }, String(items.length)));
    const list = h("ul", { class: "cast-list", id, "aria-labelledby": `${id}-title` }, items.map(card));
    return h("section", { class: "cast-section" }, heading, items.length ? list : h("p", { class: "muted" }, t("cast.none_yet")));
  }

  function card(item) {
    const first = item.first_seen || { chapter: item.first_chapter, offset: 0 };
    const firstLink = h("button", { type: "button", class: "btn btn-ghost btn-small cast-first" }, t("cast.first_seen", { chapter: chapterTitle(first.chapter) }));
    firstLink.addEventListener("click", () => ctx.jump(first.chapter, first.offset));
    const portrait = item.kind === "character" ? portraitOf(item) : null;
    const unique = (item.appearance || []).filter((q, i, all) => all.findIndex((o) => o.text.trim() === q.text.trim()) === i);
    const quotes = unique.slice(0, 5).map((quote) => {
      const go = h("button", { type: "button", class: "annotation-jump cast-quote", dataset: { chapter: quote.chapter, offset: quote.start } }, h("span", {}, `“${excerpt(quote.text, 180)}”`), h("small", { class: "muted" }, chapterTitle(quote.chapter)));
      go.addEventListener("click", () => ctx.jump(quote.chapter, quote.start));
      return h("li", {}, go);
    });
    const relations = (item.relations || []).map((r) => r.name).join(", ");
    return h(
      "li",
      { class: "cast-card", dataset: { id: item.id, kind: item.kind } },
      portrait,
      h(
        "div",
        { class: "cast-card-body" },
        h("h4", { class: "cast-name" }, item.name, " ", h("small", { class: "muted" }, t("cast.mentions", { count: item.mention_count }))),
        item.aliases?.length ? h("p", { class: "cast-aliases" }, t("cast.aliases"), " ", item.aliases.join(", ")) : null,
        item.appearance_text ? h("p", { class: "cast-appearance" }, item.appearance_text) : null,
        firstLink,
        relations ? h("p", { class: "cast-relations muted" }, t("cast.relations"), " ", relations) : null,
        quotes.length ? h("ul", { class: "cast-quotes" }, quotes) : null,
      ),
    );
  }

  return { panel };
}
