// "Export illustrated EPUB": asks GET /books/{id}/export.epub until it answers 200 (202 while the build runs,
// with progress also pushed live as `export.status`), then downloads the file.
import { refreshTokens, tokens } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { live } from "../live.js";
import { toast } from "../ui.js";

const POLL_MS = 2000;

export function createExport(ctx) {
  const { bookId, state } = ctx;
  const label = h("span", { class: "export-label" }, t("export.button"));
  const button = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "icon-btn export-btn", id: "reader-export", "aria-label": t("export.button"), title: t("export.button") }, icon("download"), label));
  const status = h("span", { class: "export-status", id: "export-status", role: "status", "aria-live": "polite" });
  let timer = null;
  let busy = false;

  const offLive = live.on("export.status", (event) => {
    if (!busy || event.book_id !== bookId) return;
    if (event.status === "failed") finish(t("export.failed"));
    else if (event.status === "ready") attempt();
    else show(event.progress);
  });

  function show(progress) {
    status.textContent = t("export.building", { percent: Math.round((Number(progress) || 0) * 100) });
  }

  function finish(message) {
    busy = false;
    clearTimeout(timer);
    button.disabled = false;
    button.removeAttribute("aria-busy");
    status.textContent = message || "";
    if (message) toast(message);
  }

  async function request() {
    const send = () => fetch(`/api/v1/books/${bookId}/export.epub`, { headers: tokens.access ? { Authorization: `Bearer ${tokens.access}` } : {} });
    let response = await send();
    if (response.status === 401 && (await refreshTokens())) response = await send();
    return response;
  }

  async function attempt() {
    clearTimeout(timer);
    try {
      const response = await request();
      if (response.status === 202) {
        const body = await response.json().catch(() => ({}));
        show(body.progress);
        timer = setTimeout(attempt, POLL_MS);
        return;
      }
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        finish(body.detail || t("export.failed"));
        return;
      }
      download(await response.blob());
      finish("");
      status.textContent = t("export.done");
    } catch {
      finish(t("export.failed"));
    }
  }

  function download(blob) {
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `${state.book?.title || "book"}.epub`, id: "export-download" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  button.addEventListener("click", () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    show(0);
    attempt();
  });

  function dispose() {
    clearTimeout(timer);
    offLive();
  }

  return { button, status, dispose };
}
