// @ts-check
// Devices: passwords for e-readers and reading apps (OPDS catalogs, KOReader sync). Shown once, revocable.
import { api } from "../api.js";
import { formatDate, h } from "../dom.js";
import { lang, t } from "../i18n.js";
import { confirmDialog, errorText, toast } from "../ui.js";

function endpoint(label, value) {
  return [h("dt", {}, label), h("dd", {}, h("code", { class: "device-url" }, value))];
}

function revealBox(created) {
  const copy = h("button", { type: "button", class: "btn btn-ghost", id: "device-copy" }, t("devices.copy"));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(created.password);
      toast(t("devices.copied"));
    } catch {
      toast(t("devices.copy_failed"), "error");
    }
  });
  return h(
    "div",
    { class: "alert device-secret", role: "status", id: "device-secret" },
    h("p", {}, t("devices.shown_once", { name: created.name })),
    h("p", {}, h("code", { class: "device-password", id: "device-password" }, created.password), " ", copy),
    h("p", { class: "muted" }, t("devices.username", { email: created.username || "" })),
  );
}

export async function mountDevices(root, _params, user) {
  const origin = location.origin;
  const section = h("section", { class: "devices" }, h("div", { class: "page-head" }, h("h1", {}, t("devices.title"))));
  const intro = h(
    "div",
    { class: "card" },
    h("p", {}, t("devices.intro")),
    h("dl", { class: "kv" }, endpoint(t("devices.opds1"), `${origin}/opds/v1.2/`), endpoint(t("devices.opds2"), `${origin}/opds/v2/`), endpoint(t("devices.kosync"), `${origin}/kosync`), endpoint(t("devices.user"), user?.email || "")),
  );
  const name = h("input", { type: "text", id: "device-name", class: "input", maxlength: "100", required: true, placeholder: t("devices.name_placeholder"), autocomplete: "off" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "device-create" }, t("devices.create"));
  const form = h("form", { class: "card", id: "device-form" }, h("div", { class: "field" }, h("label", { for: "device-name" }, t("devices.name")), name), submit);
  const secret = h("div", { "aria-live": "polite" });
  const listBox = h("div", { class: "card", id: "device-list" }, h("h2", {}, t("devices.list")));
  const tableBox = h("div", { class: "table-wrap" });
  listBox.append(tableBox);
  section.append(intro, form, secret, listBox);
  root.append(section);

  function approveButton(row) {
    const approve = h("button", { type: "button", class: "btn btn-primary", "aria-label": t("devices.approve_named", { name: row.name }) }, t("devices.approve"));
    approve.addEventListener("click", async () => {
      try {
        await api(`device-passwords/${row.id}/approve`, { method: "POST" });
        toast(t("devices.approved", { name: row.name }));
        await refresh();
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    return approve;
  }

  async function refresh() {
    let rows;
    try {
      rows = await api("device-passwords");
    } catch (error) {
      tableBox.replaceChildren(h("p", { class: "alert alert-error", role: "alert" }, errorText(error)));
      return;
    }
    if (!rows.length) {
      tableBox.replaceChildren(h("p", { class: "muted", id: "device-empty" }, t("devices.empty")));
      return;
    }
    const body = rows.map((row) => {
      const revoke = h("button", { type: "button", class: "btn btn-ghost", "aria-label": t("devices.revoke_named", { name: row.name }) }, t("devices.revoke"));
      revoke.addEventListener("click", async () => {
        if (!(await confirmDialog(t("devices.confirm_revoke", { name: row.name }), t("devices.revoke")))) return;
        try {
          await api(`device-passwords/${row.id}`, { method: "DELETE" });
          toast(t("devices.revoked", { name: row.name }));
          await refresh();
        } catch (error) {
          toast(errorText(error), "error");
        }
      });
      const actions = h("td", {}, row.pending ? approveButton(row) : null, revoke);
      const used = row.pending
        ? h("td", {}, h("span", { class: "badge badge-warn" }, t("devices.pending")), h("div", { class: "muted" }, t("devices.pending_from", { address: row.requested_from || "?", date: formatDate(row.expires_at, lang()) })))
        : h("td", {}, row.last_used_at ? formatDate(row.last_used_at, lang()) : t("devices.never"));
      return h("tr", { dataset: { id: row.id }, class: row.pending ? "device-pending" : null }, h("td", {}, row.name), h("td", {}, formatDate(row.created_at, lang())), used, actions);
    });
    const waiting = rows.some((row) => row.pending) ? h("p", { class: "alert", role: "status", id: "device-pending-note" }, t("devices.pending_note")) : null;
    const head = h("thead", {}, h("tr", {}, [t("devices.name"), t("devices.created"), t("devices.last_used"), ""].map((label) => h("th", { scope: "col" }, label))));
    tableBox.replaceChildren(...(waiting ? [waiting] : []), h("table", { class: "table" }, head, h("tbody", {}, body)));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim()) return;
    submit.disabled = true;
    try {
      const created = await api("device-passwords", { method: "POST", body: { name: name.value.trim() } });
      secret.replaceChildren(revealBox(created));
      name.value = "";
      await refresh();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      submit.disabled = false;
    }
  });
  await refresh();
  return () => secret.replaceChildren();
}
