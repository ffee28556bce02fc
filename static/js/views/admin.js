// Admin: users (role, plan, disabled) and whatever the system endpoint reports, rendered generically.
import { api } from "../api.js";
import { formatDate, h } from "../dom.js";
import { lang, t } from "../i18n.js";
import { errorText, toast } from "../ui.js";

const ROLES = ["user", "admin"];
const KNOWN_PLANS = ["free", "premium", "admin"];

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
    return h("dl", { class: "kv" }, Object.entries(value).map(([k, v]) => [h("dt", {}, humanKey(k)), h("dd", {}, renderValue(v))]));
  }
  if (typeof value === "boolean") return value ? "✓" : "✗";
  return String(value);
}

export async function mountAdmin(root, _params, user) {
  const section = h("section", { class: "admin" }, h("div", { class: "page-head" }, h("h1", {}, t("admin.title"))));
  root.append(section);
  if (!user || user.role !== "admin") {
    section.append(h("p", { class: "alert alert-error", role: "alert" }, t("admin.forbidden")));
    return null;
  }
  const usersBox = h("div", { class: "card", id: "admin-users" }, h("h2", {}, t("admin.users")));
  const systemBox = h("div", { class: "card", id: "admin-system" }, h("h2", {}, t("admin.system")));
  section.append(h("div", { class: "admin-grid" }, systemBox, usersBox));

  const [users, system] = await Promise.allSettled([api("admin/users", { query: { limit: 200 } }), api("admin/system")]);
  if (system.status === "fulfilled") systemBox.append(renderValue(system.value));
  else systemBox.append(h("p", { class: "muted" }, system.reason?.status === 404 ? t("admin.unavailable") : errorText(system.reason)));

  if (users.status !== "fulfilled") {
    usersBox.append(h("p", { class: "muted" }, users.reason?.status === 404 ? t("admin.unavailable") : errorText(users.reason)));
    return null;
  }
  const list = Array.isArray(users.value) ? users.value : users.value.items || [];
  const plans = [...new Set([...KNOWN_PLANS, ...list.map((u) => u.plan).filter(Boolean)])];

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

  const rows = list.map((account) => {
    const label = account.email || account.id;
    const role = h("select", { class: "input input-small", "aria-label": `${t("admin.role")}: ${label}` }, ROLES.map((r) => h("option", { value: r, selected: account.role === r }, r)));
    role.addEventListener("change", () => patch(account, { role: role.value }, role));
    const plan = h("select", { class: "input input-small", "aria-label": `${t("admin.plan")}: ${label}` }, plans.map((p) => h("option", { value: p, selected: account.plan === p }, p)));
    plan.addEventListener("change", () => patch(account, { plan: plan.value }, plan));
    const disabled = h("input", { type: "checkbox", checked: Boolean(account.disabled), "aria-label": `${t("admin.disabled")}: ${label}` });
    disabled.addEventListener("change", () => patch(account, { disabled: disabled.checked }, disabled));
    return h(
      "tr",
      { dataset: { userId: account.id } },
      h("td", {}, account.email || "—"),
      h("td", {}, account.display_name || "—"),
      h("td", {}, role),
      h("td", {}, plan),
      h("td", { class: "center" }, disabled),
      h("td", {}, formatDate(account.created_at, lang())),
    );
  });
  usersBox.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, [t("admin.email"), t("admin.name"), t("admin.role"), t("admin.plan"), t("admin.disabled"), t("admin.created")].map((label) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, rows),
      ),
    ),
  );
  return null;
}
