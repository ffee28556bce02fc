// @ts-check
// Boot: theme, shell, hash router. Every view is `mount(root, params) → cleanup`.
import { currentUser, forgetUser, onSignedOut, signOut, tokens } from "./api.js";
import { clear, h, icon } from "./dom.js";
import { LANGUAGES, lang, onLangChange, setLang, t } from "./i18n.js";
import { live } from "./live.js";
import { applyPrefs } from "./prefs.js";
import { mountAccount } from "./views/account.js";
import { mountAdmin } from "./views/admin.js";
import { mountAuth } from "./views/auth.js";
import { mountDevices } from "./views/devices.js";
import { mountGallery } from "./views/gallery.js";
import { mountLibrary } from "./views/library.js";
import { mountReader } from "./views/reader.js";
import { mountReset } from "./views/reset.js";
import { mountStats } from "./views/stats.js";
import { mountWebhooks } from "./views/webhooks.js";

const ROUTES = [
  { pattern: /^\/signin$/, view: "signin", mount: (root) => mountAuth(root, "signin"), public: true },
  { pattern: /^\/signup$/, view: "signup", mount: (root) => mountAuth(root, "signup"), public: true },
  { pattern: /^\/library$/, view: "library", mount: mountLibrary },
  { pattern: /^\/read\/([\w-]+)(?:\/(\d+))?$/, view: "reader", mount: mountReader },
  { pattern: /^\/gallery\/([\w-]+)$/, view: "gallery", mount: mountGallery },
  { pattern: /^\/stats$/, view: "stats", mount: mountStats },
  { pattern: /^\/admin$/, view: "admin", mount: mountAdmin },
  { pattern: /^\/devices$/, view: "devices", mount: mountDevices },
  { pattern: /^\/webhooks$/, view: "webhooks", mount: mountWebhooks },
  { pattern: /^\/account$/, view: "account", mount: mountAccount },
  // an admin-issued reset link opens whoever is (or is not) signed in here
  { pattern: /^\/reset(?:\?(.*))?$/, view: "reset", mount: mountReset, public: true, anyone: true },
];

const shell = {
  header: document.getElementById("app-header"),
  main: document.getElementById("main"),
};
let cleanup = null;
let renderToken = 0;

export function navigate(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (location.hash === target) return route();
  if (replace) history.replaceState(null, "", target);
  else location.hash = target;
  if (replace) route();
}

function navLink(path, label, iconName, active) {
  return h(
    "a",
    { href: `#${path}`, class: `nav-link${active ? " is-active" : ""}`, "aria-current": active ? "page" : null, "aria-label": label, title: label },
    icon(iconName),
    h("span", { class: "nav-label" }, label),
  );
}

function renderHeader(view, user) {
  clear(shell.header);
  const languageSelect = h(
    "select",
    { class: "lang-select", "aria-label": t("nav.language"), id: "lang-select" },
    LANGUAGES.map((item) => h("option", { value: item.code, selected: item.code === lang() }, item.label)),
  );
  languageSelect.addEventListener("change", () => setLang(languageSelect.value));
  const brand = h("a", { href: user ? "#/library" : "#/signin", class: "brand", "aria-label": t("app.name") }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "❦"), h("span", { class: "brand-name" }, t("app.name")));
  if (!user) {
    shell.header.append(h("div", { class: "header-inner" }, brand, h("div", { class: "header-tools" }, languageSelect)));
    return;
  }
  const nav = h(
    "nav",
    { class: "main-nav", "aria-label": t("nav.main") },
    navLink("/library", t("nav.library"), "library", view === "library"),
    navLink("/stats", t("nav.stats"), "chart", view === "stats"),
    navLink("/devices", t("nav.devices"), "device", view === "devices"),
    navLink("/webhooks", t("nav.webhooks"), "bell", view === "webhooks"),
    navLink("/account", t("nav.account"), "key", view === "account"),
    user.role === "admin" ? navLink("/admin", t("nav.admin"), "shield", view === "admin") : null,
  );
  const signOutButton = h("button", { type: "button", class: "btn btn-ghost", id: "sign-out", "aria-label": t("nav.signout") }, icon("logout"), h("span", { class: "nav-label" }, t("nav.signout")));
  signOutButton.addEventListener("click", async () => {
    await signOut();
  });
  shell.header.append(h("div", { class: "header-inner" }, brand, nav, h("div", { class: "header-tools" }, languageSelect, signOutButton)));
}

async function route() {
  const token = ++renderToken;
  const path = location.hash.replace(/^#/, "") || "/library";
  const match = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  if (!match) return navigate("/library", { replace: true });
  if (cleanup) {
    try {
      cleanup();
    } catch (error) {
      console.error(error);
    }
    cleanup = null;
  }
  let user = null;
  if (tokens.access) {
    try {
      user = await currentUser();
    } catch {
      user = null;
    }
  }
  if (token !== renderToken) return;
  if (!match.r.public && !user) return navigate("/signin", { replace: true });
  if (match.r.public && !match.r.anyone && user) return navigate("/library", { replace: true });
  if (user) live.start();
  document.body.dataset.view = match.r.view;
  renderHeader(match.r.view, user);
  skipLink.textContent = t("app.skip");
  clear(shell.main);
  clear(document.getElementById("toasts"));
  shell.main.focus({ preventScroll: true });
  const params = match.m.slice(1);
  try {
    cleanup = (await match.r.mount(shell.main, params, user)) || null;
  } catch (error) {
    console.error(error);
    shell.main.append(h("p", { class: "alert alert-error", role: "alert" }, error.message || t("error.generic")));
  }
}

// The skip link must not touch the hash: the hash is the router's.
const skipLink = document.querySelector(".skip-link");
skipLink.addEventListener("click", (event) => {
  event.preventDefault();
  shell.main.focus();
});

onSignedOut(() => {
  forgetUser();
  live.stop();
  navigate("/signin", { replace: true });
});
onLangChange(() => route());
window.addEventListener("hashchange", route);
applyPrefs();
route();
