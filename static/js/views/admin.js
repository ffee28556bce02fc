// @ts-check
// Admin: users (role, plan, disabled) and whatever the system endpoint reports, rendered generically.
import { api } from "../api.js";
import { debounce, formatDate, formatNumber, h } from "../dom.js";
import { lang, t } from "../i18n.js";
import { errorText, toast } from "../ui.js";

const ROLES = ["user", "admin"];
const KNOWN_PLANS = ["free", "premium", "admin"];

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(Math.round(value * 10) / 10, lang())} ${units[unit]}`;
}

function humanKey(key) {
  return key.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

// Nested objects become nested definition lists; arrays of objects become tables.
function renderValue(value) {
  if (value == null) return h("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (value.length && typeof value[0] === "object" && value[0] !== null) {
      const keys = [...new Set(value.flatMap((row) => Object.keys(row)))];
      return h(
        "div",
        { class: "table-wrap" },
        h("table", { class: "table" }, h("thead", {}, h("tr", {}, keys.map((k) => h("th", { scope: "col" }, humanKey(k))))), h("tbody", {}, value.map((row) => h("tr", {}, keys.map((k) => h("td", {}, renderValue(row[k]))))))),
      );
    }
    return value.length ? value.map(String).join(", ") : h("span", { class: "muted" }, "—");
  }
  if (typeof value === "object") {
    return h("dl", { class: "kv" }, Object.entries(value).map(([k, v]) => [h("dt", {}, humanKey(k)), h("dd", {}, /bytes$/.test(k) && typeof v === "number" ? formatBytes(v) : renderValue(v))]));
  }
  if (typeof value === "number") return formatNumber(value, lang());
  if (typeof value === "boolean") return value ? "✓" : "✗";
  return String(value);
}

export async function mountAdmin(root, _params, user) {
  const section = h("section", { class: "admin" }, h("div", { class: "page-head" }, h("h1", {}, t("admin.title"))));
  root.append(section);
  if (user?.role !== "admin") {
    section.append(h("p", { class: "alert alert-error", role: "alert" }, t("admin.forbidden")));
    return null;
  }
  const usersBox = h("div", { class: "card", id: "admin-users" }, h("h2", {}, t("admin.users")));
  const systemBox = h("div", { class: "card", id: "admin-system" }, h("h2", {}, t("admin.system")));
  section.append(h("div", { class: "admin-grid" }, systemBox, usersBox));

  /** @type {{value?: any, reason?: any}} */
  const system = await api("admin/system").then(
    (value) => ({ value }),
    (reason) => ({ reason }),
  );
  if (system.value) systemBox.append(renderValue(system.value));
  else systemBox.append(h("p", { class: "muted" }, system.reason?.status === 404 ? t("admin.unavailable") : errorText(system.reason)));

  // an admin-issued reset link: works without e-mail, the admin hands it over; shown once
  const resetBox = h("div", { "aria-live": "polite" });
  async function issueReset(account, button) {
    button.disabled = true;
    try {
      const issued = await api(`admin/users/${account.id}/password-reset`, { method: "POST" });
      const link = `${location.origin}${issued.reset_path}`;
      const copy = h("button", { type: "button", class: "btn btn-ghost" }, t("devices.copy"));
      copy.addEventListener("click", () => navigator.clipboard.writeText(link).then(() => toast(t("devices.copied")), () => toast(t("devices.copy_failed"), "error")));
      resetBox.replaceChildren(
        h(
          "div",
          { class: "alert device-secret", role: "status", id: "admin-reset-link" },
          h("p", {}, t("admin.reset_issued", { email: account.email || account.id, expires: new Intl.DateTimeFormat(lang(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(issued.expires_at)) })),
          h("p", {}, h("code", { class: "device-url", id: "admin-reset-url" }, link), " ", copy),
        ),
      );
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      button.disabled = false;
    }
  }

  const search = h("input", { type: "search", id: "admin-search", class: "input", placeholder: t("admin.search"), "aria-label": t("admin.search"), autocomplete: "off" });
  const tableBox = h("div", { class: "table-wrap" });
  usersBox.append(search, resetBox, tableBox);

  async function patch(account, changes, control) {
    control.disabled = true;
    try {
      const updated = await api(`admin/users/${account.id}`, { method: "PATCH", body: changes });
      Object.assign(account, updated || changes);
      toast(`${account.email}: ${t("admin.saved")}`);
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      control.disabled = false;
    }
  }

  function row(account, plans) {
    const label = account.email || account.id;
    const role = h("select", { class: "input input-small", "aria-label": `${t("admin.role")}: ${label}` }, ROLES.map((r) => h("option", { value: r, selected: account.role === r }, r)));
    role.addEventListener("change", () => patch(account, { role: role.value }, role));
    const plan = h("select", { class: "input input-small", "aria-label": `${t("admin.plan")}: ${label}` }, plans.map((p) => h("option", { value: p, selected: account.plan === p }, p)));
    plan.addEventListener("change", () => patch(account, { plan: plan.value }, plan));
    const disabled = h("input", { type: "checkbox", checked: Boolean(account.disabled), "aria-label": `${t("admin.disabled")}: ${label}` });
    disabled.addEventListener("change", () => patch(account, { disabled: disabled.checked }, disabled));
    const reset = h("button", { type: "button", class: "btn btn-ghost btn-small", "aria-label": t("admin.reset_for", { email: label }) }, t("admin.reset"));
    reset.addEventListener("click", () => issueReset(account, reset));
    return h(
      "tr",
      { dataset: { userId: account.id } },
      h("td", {}, account.email || "—"),
      h("td", {}, account.display_name || "—"),
      h("td", {}, role),
      h("td", {}, plan),
      h("td", { class: "center" }, disabled),
      h("td", { class: "num" }, account.book_count ?? "—"),
      h("td", {}, formatDate(account.created_at, lang())),
      h("td", {}, reset),
    );
  }

  async function load() {
    let page;
    try {
      page = await api("admin/users", { query: { limit: 200, q: search.value.trim() } });
    } catch (error) {
      tableBox.replaceChildren(h("p", { class: "muted" }, error.status === 404 ? t("admin.unavailable") : errorText(error)));
      return;
    }
    const list = Array.isArray(page) ? page : page.items || [];
    const plans = [...new Set([...KNOWN_PLANS, ...list.map((u) => u.plan).filter(Boolean)])];
    const headings = [t("admin.email"), t("admin.name"), t("admin.role"), t("admin.plan"), t("admin.disabled"), t("admin.books"), t("admin.created"), t("admin.password")];
    tableBox.replaceChildren(
      h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, headings.map((label) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, list.map((account) => row(account, plans))),
      ),
    );
  }

  const onSearch = debounce(load, 250);
  search.addEventListener("input", onSearch);
  await load();
  return () => onSearch.cancel();
}
