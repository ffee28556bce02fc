// @ts-check
// Shared widgets: toasts, modal dialogs, status badges, progress bars.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function toast(message, kind = "info", ms = 4500) {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), ms);
}

// A modal <dialog>: resolves with the value `collect()` returns on submit, or null when cancelled.
/**
 * A modal form; resolves with `collect()`'s value on submit, null on cancel.
 * @param {{title: string, body?: Node, submitLabel?: string, collect?: () => any, danger?: boolean}} options
 * @returns {Promise<any>}
 */
export function openDialog({ title, body, submitLabel = t("reader.save"), collect = () => true, danger = false }) {
  return new Promise((resolve) => {
    const form = h("form", { method: "dialog", class: "dialog-form" });
    const cancel = h("button", { type: "button", class: "btn btn-ghost", value: "cancel" }, t("reader.cancel"));
    const submit = h("button", { type: "submit", class: `btn ${danger ? "btn-danger" : "btn-primary"}`, value: "ok" }, submitLabel);
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    form.append(h("h2", { class: "dialog-title", id: titleId }, title), body || "", h("div", { class: "dialog-actions" }, cancel, submit));
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
    let result = null;
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      result = collect();
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function confirmDialog(message, submitLabel) {
  return openDialog({ title: message, submitLabel, danger: true });
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${status}`, dataset: { status } }, t(`status.${status}`));
}

export function progressBar(value, label) {
  const bar = h("div", {
    class: "progress",
    role: "progressbar",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-label": label,
  });
  const fill = h("div", { class: "progress-fill" });
  bar.append(fill);
  bar.set = (fraction) => {
    const percent = Math.max(0, Math.min(100, Math.round((fraction || 0) * 100)));
    bar.setAttribute("aria-valuenow", String(percent));
    fill.style.width = `${percent}%`;
  };
  bar.set(value);
  return bar;
}

export function errorText(error) {
  if (!error) return t("error.generic");
  if (error.status === 0) return t("error.network");
  return error.message || t("error.generic");
}
