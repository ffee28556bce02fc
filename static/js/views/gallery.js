// @ts-check
// Gallery: every illustration of a book, with its scene, linking back to the chapter.
import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { live } from "../live.js";
import { excerpt } from "../reader/annotations.js";
import { authedImage } from "../images.js";

export async function mountGallery(root, [bookId]) {
  const [book, images, descriptions] = await Promise.all([
    api(`books/${bookId}`),
    api(`books/${bookId}/images`),
    api(`books/${bookId}/descriptions`).catch(() => []),
  ]);
  const byId = new Map((Array.isArray(descriptions) ? descriptions : descriptions.items || []).map((d) => [d.id, d]));
  const grid = h("ul", { class: "gallery-grid", id: "gallery-grid" });
  const empty = h("p", { class: "empty muted" }, t("gallery.empty"));

  function render(list) {
    grid.replaceChildren();
    const ready = list.filter((image) => image.status === "ready" && image.url);
    for (const image of ready) {
      const desc = byId.get(image.description_id);
      const img = h("img", { alt: desc ? excerpt(desc.text, 200) : "", loading: "lazy", decoding: "async" });
      authedImage(img, image.thumbnail_url || image.url);
      const caption = h("figcaption", {}, desc ? h("span", { class: "figure-kind" }, t(`desc.${desc.type}`)) : null, " ", desc ? excerpt(desc.text, 160) : "");
      const target = desc ? `#/read/${bookId}/${desc.chapter}` : `#/read/${bookId}`;
      const link = h("a", { href: target, class: "gallery-link", "aria-label": desc ? `${t("gallery.in_chapter", { n: desc.chapter })}: ${excerpt(desc.text, 80)}` : t("gallery.to_reader") }, h("figure", { class: "gallery-figure" }, img, caption));
      grid.append(h("li", {}, link));
    }
    empty.hidden = ready.length > 0;
  }

  render(Array.isArray(images) ? images : images.items || []);
  root.append(
    h(
      "section",
      { class: "gallery" },
      h("div", { class: "page-head" }, h("a", { href: `#/read/${bookId}`, class: "btn btn-ghost" }, icon("prev"), t("gallery.to_reader")), h("h1", {}, t("gallery.title")), h("p", { class: "muted" }, book.title)),
      empty,
      grid,
    ),
  );
  const off = live.on("image.status", async (event) => {
    if (event.book_id !== bookId || event.status !== "ready") return;
    const list = await api(`books/${bookId}/images`).catch(() => null);
    if (list) render(Array.isArray(list) ? list : list.items || []);
  });
  return off;
}
