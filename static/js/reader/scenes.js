// @ts-check
// Scenes: tap a marked description to illustrate it; live image events place the picture inline.
import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { authedImage } from "../images.js";
import { errorText, toast } from "../ui.js";
import { excerpt, placeIllustration } from "./annotations.js";
import { pictureVersions } from "./versions.js";

export function createScenes(ctx) {
  const { bookId, state, content, pager, popover } = ctx;

  async function requestImage(desc) {
    try {
      const image = await api(`descriptions/${desc.id}/image`, { method: "POST" });
      state.images.set(desc.id, image);
      placeIllustration(content, pager.map, desc, image, ctx.relayoutSoon);
      ctx.relayoutSoon();
      return image;
    } catch (error) {
      toast(errorText(error), "error");
      return null;
    }
  }

  function scenePopover(desc, rect) {
    const image = state.images.get(desc.id);
    const body = [h("p", { class: "popover-kind" }, t(`desc.${desc.type}`)), h("p", { class: "popover-text" }, excerpt(desc.text, 260))];
    if (!image || image.status === "failed") {
      const generate = h("button", { type: "button", class: "btn btn-primary btn-small", id: "scene-generate" }, icon("image"), image ? t("reader.retry") : t("reader.generate"));
      generate.addEventListener("click", async () => {
        generate.disabled = true;
        const created = await requestImage(desc);
        if (created) popover.close();
      });
      body.push(generate);
    } else if (image.status === "ready") {
      const view = h("button", { type: "button", class: "btn btn-small" }, icon("image"), t("reader.show_picture"));
      view.addEventListener("click", () => {
        popover.close();
        const figure = content.querySelector(`figure.illustration[data-desc-id="${CSS.escape(desc.id)}"]`);
        if (figure) ctx.showPage(pager.pageOfElement(figure));
      });
      body.push(view, versionsOf(desc, image), whyThisPicture(image));
    } else {
      body.push(h("p", { class: "muted", role: "status" }, t("reader.generating")));
    }
    popover.show(rect, body, { label: t("reader.scene"), kind: "popover-scene" });
  }

  /** Regenerate (a new version) and pin the version the reader likes; the page shows what the server shows. */
  function versionsOf(desc, image) {
    return pictureVersions(image, {
      regenerate: `images/${image.id}/regenerate`,
      versions: `images/${image.id}/versions`,
      pin: (version) => [`images/${version.id}/pin`, undefined],
      unpin: `images/${image.id}/pin`,
      label: excerpt(desc.text, 60),
      onChange(shown) {
        popover.close();
        state.images.set(desc.id, shown);
        placeIllustration(content, pager.map, desc, shown, ctx.relayoutSoon);
        ctx.relayoutSoon();
      },
    });
  }

  /** "Why this picture": the prompt the picture was made from, its seed and the portrait it was drawn from
   * (the owner's own image; fetched when opened). */
  function whyThisPicture(image) {
    const text = h("p", { class: "why-prompt", id: "why-prompt", tabindex: "0" }, image.prompt || t("why.loading"));
    const made = h("p", { class: "why-made muted", id: "why-made" });
    const details = h("details", { class: "why-picture", id: "why-picture" }, h("summary", {}, t("why.title")), text, made);
    let fetched = false;
    details.addEventListener("toggle", async () => {
      if (!details.open || fetched) return;
      fetched = true;
      try {
        const full = await api(`images/${image.id}`);
        image.prompt = full.prompt;
        text.textContent = full.prompt || t("why.none");
        if (full.seed != null) made.append(t("why.seed", { seed: full.seed }));
        if (full.reference_url) made.append(" · ", t("why.reference"), " ", authedImage(h("img", { class: "why-reference", alt: t("why.reference") }), full.reference_url));
      } catch (error) {
        text.textContent = errorText(error);
      }
    });
    return details;
  }

  async function onImageEvent(event) {
    if (event.book_id && event.book_id !== bookId) return;
    // The event carries what the page needs; older servers send only ids, so fetch then.
    let image = event.description_id ? { id: event.image_id, description_id: event.description_id, status: event.status, url: event.url, version: event.version || 1 } : null;
    if (!image || (image.status === "ready" && !image.url)) {
      try {
        image = await api(`images/${event.image_id}`);
      } catch {
        return;
      }
    }
    if (event.character_id) return; // a portrait: the cast panel's, not this passage's picture
    const held = state.images.get(image.description_id);
    if (held?.pinned && held.id !== image.id) return; // another version than the pinned one
    const desc = state.descriptions.get(image.description_id);
    state.images.set(image.description_id, image);
    if (!desc) return;
    placeIllustration(content, pager.map, desc, image, ctx.relayoutSoon);
    ctx.relayoutSoon();
  }

  return { scenePopover, onImageEvent };
}
