// @ts-check
// Marks inside the chapter text: scene descriptions (tap to illustrate) and the reader's highlights,
// plus the inline illustration figures placed after the paragraph a scene starts in.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { authedImage } from "../images.js";
import { paragraphAt, unwrap, wrapOffsets } from "./offsets.js";

export const COLORS = ["yellow", "green", "blue", "pink", "orange", "purple"];

export function markDescriptions(map, descriptions) {
  for (const desc of descriptions) {
    wrapOffsets(map, desc.start, desc.end, () =>
      h("mark", {
        class: `desc desc-${desc.type}`,
        dataset: { descId: desc.id },
        tabindex: "0",
        role: "button",
        "aria-label": `${t("reader.scene")}: ${t(`desc.${desc.type}`)}`,
      }),
    );
  }
}

export function markHighlight(map, highlight) {
  const color = COLORS.includes(highlight.color) ? highlight.color : "yellow";
  return wrapOffsets(map, highlight.start, highlight.end, () =>
    h("mark", {
      class: `hl hl-${color}${highlight.note ? " has-note" : ""}`,
      dataset: { hlId: highlight.id },
      tabindex: "0",
      role: "button",
      "aria-label": highlight.note ? `${t("reader.note")}: ${highlight.note}` : t("reader.highlight"),
    }),
  );
}

export function unmarkHighlight(content, id) {
  unwrap([...content.querySelectorAll(`mark.hl[data-hl-id="${CSS.escape(id)}"]`)]);
}

export function excerpt(text, limit = 140) {
  const clean = (text || "").replace(/\s+/g, " ").trim();
  return clean.length > limit ? `${clean.slice(0, limit - 1)}…` : clean;
}

export function illustrationFigure(desc, image, onLoad) {
  const figure = h("figure", { class: "illustration", dataset: { descId: desc.id, imageId: image.id, status: image.status } });
  if (image.status === "ready" && image.url) {
    const img = h("img", { alt: excerpt(desc.text, 200), decoding: "async" });
    // Known dimensions reserve the exact space before the file arrives.
    if (image.width && image.height) img.style.aspectRatio = `${image.width} / ${image.height}`;
    img.addEventListener("load", onLoad, { once: true });
    authedImage(img, image.url, () => figure.classList.add("is-broken"));
    figure.append(img);
  } else if (image.status === "failed") {
    figure.append(h("div", { class: "illustration-pending" }, t("reader.image_failed")));
  } else {
    figure.append(h("div", { class: "illustration-pending", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("reader.generating")));
  }
  figure.append(h("figcaption", {}, h("span", { class: "figure-kind" }, t(`desc.${desc.type}`)), " ", excerpt(desc.text)));
  return figure;
}

// Replace (or insert) the figure of one description, right after the paragraph its scene starts in.
export function placeIllustration(content, map, desc, image, onLoad) {
  const existing = content.querySelector(`figure.illustration[data-desc-id="${CSS.escape(desc.id)}"]`);
  const figure = illustrationFigure(desc, image, onLoad);
  if (existing) {
    existing.replaceWith(figure);
    return figure;
  }
  const para = paragraphAt(map, desc.start);
  if (!para) return null;
  let anchor = para.el;
  while (anchor.nextElementSibling?.matches("figure.illustration")) anchor = anchor.nextElementSibling;
  anchor.after(figure);
  return figure;
}
