// @ts-check
// Webhooks: signed event deliveries to your own endpoints. The secret is shown once; each endpoint has a
// delivery log (status, response code, latency, next try) and a "send test event" button.
import { api } from "../api.js";
import { formatDate, h } from "../dom.js";
import { lang, t } from "../i18n.js";
import { confirmDialog, errorText, toast } from "../ui.js";

const EVENTS = ["book.ready", "book.failed", "image.ready", "image.failed", "export.ready"];

function deliveryTable(rows) {
  if (!rows.length) return h("p", { class: "muted" }, t("webhooks.no_deliveries"));
  const head = h("thead", {}, h("tr", {}, [t("webhooks.event"), t("webhooks.status"), t("webhooks.code"), t("webhooks.latency"), t("webhooks.attempts"), t("webhooks.next_try")].map((label) => h("th", { scope: "col" }, label))));
  const body = rows.map((d) =>
    h("tr", { class: `delivery delivery-${d.status}` }, h("td", {}, d.event_type), h("td", {}, d.status), h("td", {}, d.response_code ?? (d.last_error ? "—" : "")),
      h("td", {}, d.latency_ms != null ? `${d.latency_ms} ms` : ""), h("td", {}, String(d.attempts)), h("td", {}, d.next_attempt_at ? formatDate(d.next_attempt_at, lang()) : "")),
  );
  return h("table", { class: "table" }, head, h("tbody", {}, body));
}

export async function mountWebhooks(root) {
  const url = h("input", { type: "url", id: "webhook-url", class: "input", required: true, placeholder: "https://example.com/hooks/bookreader", autocomplete: "off" });
  const boxes = EVENTS.map((name) => h("label", { class: "check" }, h("input", { type: "checkbox", value: name, checked: name === "book.ready" }), ` ${name}`));
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "webhook-create" }, t("webhooks.create"));
  const form = h("form", { class: "card", id: "webhook-form" }, h("div", { class: "field" }, h("label", { for: "webhook-url" }, "URL"), url), h("fieldset", { class: "field" }, h("legend", {}, t("webhooks.events")), ...boxes), submit);
  const secret = h("div", { "aria-live": "polite" });
  const list = h("div", { id: "webhook-list" });
  root.append(h("section", { class: "webhooks" }, h("div", { class: "page-head" }, h("h1", {}, t("webhooks.title"))), h("p", { class: "muted" }, t("webhooks.intro")), form, secret, list));

  async function showLog(hook, box) {
    try {
      box.replaceChildren(deliveryTable((await api(`webhooks/${hook.id}/deliveries`, { query: { limit: 20 } })).items));
    } catch (error) {
      box.replaceChildren(h("p", { class: "alert alert-error" }, errorText(error)));
    }
  }

  function card(hook) {
    const log = h("div", { class: "table-wrap" });
    const test = h("button", { type: "button", class: "btn btn-ghost webhook-test" }, t("webhooks.test"));
    const remove = h("button", { type: "button", class: "btn btn-ghost" }, t("webhooks.delete"));
    const refreshLog = h("button", { type: "button", class: "btn btn-ghost" }, t("webhooks.refresh"));
    test.addEventListener("click", async () => {
      try {
        await api(`webhooks/${hook.id}/test`, { method: "POST" });
        toast(t("webhooks.test_sent"));
        setTimeout(() => showLog(hook, log), 1500);
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(t("webhooks.confirm_delete", { url: hook.url }), t("webhooks.delete")))) return;
      await api(`webhooks/${hook.id}`, { method: "DELETE" }).catch((error) => toast(errorText(error), "error"));
      refresh();
    });
    refreshLog.addEventListener("click", () => showLog(hook, log));
    const state = hook.enabled ? null : h("p", { class: "alert alert-error", role: "alert" }, t("webhooks.disabled", { reason: hook.disabled_reason || "" }));
    showLog(hook, log);
    return h("div", { class: "card webhook", dataset: { id: hook.id } }, h("h2", {}, h("code", {}, hook.url)), h("p", { class: "muted" }, hook.events.join(", ")), state, h("div", { class: "actions" }, test, refreshLog, remove), log);
  }

  async function refresh() {
    try {
      const page = await api("webhooks");
      list.replaceChildren(...(page.items.length ? page.items.map(card) : [h("p", { class: "muted" }, t("webhooks.empty"))]));
    } catch (error) {
      list.replaceChildren(h("p", { class: "alert alert-error", role: "alert" }, errorText(error)));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const events = boxes.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
    try {
      const created = await api("webhooks", { method: "POST", body: { url: url.value.trim(), events } });
      secret.replaceChildren(h("div", { class: "alert", role: "status", id: "webhook-secret" }, h("p", {}, t("webhooks.secret_once")), h("p", {}, h("code", {}, created.secret))));
      url.value = "";
      refresh();
    } catch (error) {
      toast(errorText(error), "error");
    }
  });
  await refresh();
  return () => secret.replaceChildren();
}
