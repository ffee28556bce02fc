// @ts-check
// The page behind an admin-issued reset link (#/reset?token=…): set a new password without e-mail.
import { resetPassword, tokens } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../ui.js";
import { newPasswordFields } from "./account.js";

export function mountReset(root, params) {
  const token = new URLSearchParams(params[0] || "").get("token") || "";
  const pair = newPasswordFields("reset");
  const error = h("p", { class: "alert alert-error", role: "alert", id: "reset-error", hidden: !token }, token ? "" : t("reset.no_token"));
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "reset-submit", disabled: !token }, t("reset.submit"));
  const form = h("form", { class: "auth-form", id: "reset-form" }, h("h1", {}, t("reset.title")), h("p", { class: "muted" }, t("reset.intro")), ...pair.boxes, error, submit);
  const card = h("div", { class: "auth-card" }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    pair.check();
    if (!form.reportValidity()) return;
    error.hidden = true;
    submit.disabled = true;
    try {
      await resetPassword(token, pair.fresh.value);
    } catch (failure) {
      error.textContent = failure.code === "invalid_token" ? t("reset.expired") : errorText(failure);
      error.hidden = false;
      submit.disabled = false;
      return;
    }
    // every session of that account ended; a session of this browser (maybe an admin's) is not touched
    const signedIn = Boolean(tokens.access);
    card.replaceChildren(
      h(
        "div",
        { class: "auth-form", id: "reset-done", role: "status" },
        h("h1", {}, t("reset.title")),
        h("p", {}, t("reset.done")),
        signedIn ? null : h("a", { href: "#/signin", class: "btn btn-primary btn-block", id: "reset-signin" }, t("auth.signin")),
      ),
    );
  });
  root.append(h("section", { class: "auth-page" }, card));
  pair.fresh.focus();
  return null;
}
