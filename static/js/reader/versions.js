// @ts-check
// A picture's versions (issue 14): regenerate it — a new version, counted against the plan like a new
// picture — and pin the version you like; the reader, the cast panel and the export show the pinned one,
// and unpinning returns to the newest. Used by the scene popover and by portraits in "Who's who".
import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { authedImage } from "../images.js";
import { errorText, toast } from "../ui.js";

/**
 * @typedef {{id: string, status: string, version?: number, pinned?: boolean, thumbnail_url?: string|null, url?: string|null}} Version
 * @typedef {{regenerate: string, versions: string, pin: (v: Version) => [string, any], unpin: string, query?: Record<string, any>, label: string, onChange: (image: Version) => void}} Routes
 */

/**
 * Regenerate + the versions with a pin each, for the version `shown`.
 * @param {Version} shown
 * @param {Routes} routes
 */
export function pictureVersions(shown, routes) {
  const regenerate = h("button", { type: "button", class: "btn btn-small picture-regenerate", "aria-label": t("versions.regenerate_of", { name: routes.label }) }, icon("image"), t("versions.regenerate"));
  regenerate.addEventListener("click", async () => {
    regenerate.disabled = true;
    try {
      const made = await api(routes.regenerate, { method: "POST", query: routes.query });
      toast(t("versions.regenerating"));
      routes.onChange(made);
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      regenerate.disabled = false;
    }
  });
  const list = h("ul", { class: "picture-version-list" });
  const details = h("details", { class: "picture-versions" }, h("summary", {}, t(shown.pinned ? "versions.title_pinned" : "versions.title", { n: shown.version || 1 })), list);
  details.addEventListener("toggle", () => {
    if (details.open) fill(list, shown, routes);
  });
  return h("div", { class: "picture-controls" }, regenerate, details);
}

/** @param {HTMLElement} list @param {Version} shown @param {Routes} routes */
async function fill(list, shown, routes) {
  list.replaceChildren(h("li", { class: "muted" }, t("cast.loading")));
  let versions;
  try {
    versions = await api(routes.versions, { query: routes.query });
  } catch (error) {
    list.replaceChildren(h("li", { class: "error" }, errorText(error)));
    return;
  }
  const pinned = versions.some((v) => v.pinned);
  list.replaceChildren(...versions.map((v) => versionItem(v, shown, routes, pinned)));
}

/** @param {Version} v @param {Version} shown @param {Routes} routes @param {boolean} anyPinned */
function versionItem(v, shown, routes, anyPinned) {
  const label = t("versions.version", { n: v.version || 1 });
  const thumb = v.status === "ready" && (v.thumbnail_url || v.url) ? authedImage(h("img", { class: "picture-version-thumb", alt: label }), v.thumbnail_url || v.url || "") : h("span", { class: "picture-version-thumb muted" }, t(`versions.status_${v.status}`));
  const item = h("li", { class: "picture-version", dataset: { imageId: v.id, version: String(v.version || 1) } }, thumb, h("span", {}, label, v.id === shown.id ? ` · ${t("versions.shown")}` : ""));
  if (v.pinned) {
    const unpin = h("button", { type: "button", class: "btn btn-ghost btn-small picture-unpin", "aria-pressed": "true" }, t("versions.unpin"));
    unpin.addEventListener("click", () => act(unpin, () => api(routes.unpin, { method: "DELETE", query: routes.query }), routes));
    item.append(unpin);
  } else if (v.status === "ready") {
    const pin = h("button", { type: "button", class: "btn btn-ghost btn-small picture-pin", "aria-pressed": "false", "aria-label": t("versions.pin_version", { n: v.version || 1 }) }, anyPinned ? t("versions.pin_instead") : t("versions.pin"));
    const [path, body] = routes.pin(v);
    pin.addEventListener("click", () => act(pin, () => api(path, { method: "POST", body }), routes));
    item.append(pin);
  }
  return item;
}

/** @param {HTMLButtonElement} button @param {() => Promise<Version>} call @param {Routes} routes */
async function act(button, call, routes) {
  button.disabled = true;
  try {
    routes.onChange(await call());
  } catch (error) {
    button.disabled = false;
    toast(errorText(error), "error");
  }
}
