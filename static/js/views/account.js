// @ts-check
// Account: change the password (this session stays, every other one ends) and sign out everywhere.
import { changePassword, signOutEverywhere } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { confirmDialog, errorText, toast } from "../ui.js";

function passwordField(id, label, autocomplete, hint) {
  const input = h("input", { id, type: "password", class: "input", autocomplete, required: true, minlength: autocomplete === "new-password" ? "8" : null, "aria-describedby": hint ? `${id}-hint` : null });
  const box = h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", { class: "field-hint", id: `${id}-hint` }, hint) : null);
  return { input, box };
}

// The new-password pair shared with the reset page: both must match before anything is sent.
export function newPasswordFields(prefix) {
  const fresh = passwordField(`${prefix}-new`, t("account.new_password"), "new-password", t("auth.password_hint"));
  const repeat = passwordField(`${prefix}-repeat`, t("account.repeat_password"), "new-password");
  const check = () => {
    repeat.input.setCustomValidity(repeat.input.value && repeat.input.value !== fresh.input.value ? t("account.mismatch") : "");
  };
  fresh.input.addEventListener("input", check);
  repeat.input.addEventListener("input", check);
  return { fresh: fresh.input, repeat: repeat.input, boxes: [fresh.box, repeat.box], check };
}

export function mountAccount(root, _params, user) {
  const section = h("section", { class: "account" }, h("div", { class: "page-head" }, h("h1", {}, t("account.title"))));
  const current = passwordField("account-current", t("account.current_password"), "current-password");
  const pair = newPasswordFields("account");
  const error = h("p", { class: "alert alert-error", role: "alert", id: "account-error", hidden: true });
  const done = h("p", { class: "alert", role: "status", id: "account-changed", hidden: true }, t("account.changed"));
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "account-change" }, t("account.change"));
  const form = h(
    "form",
    { class: "card", id: "password-form" },
    h("h2", {}, t("account.password")),
    h("p", { class: "muted" }, t("account.password_intro", { email: user?.email || "" })),
    current.box,
    ...pair.boxes,
    error,
    done,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    pair.check();
    if (!form.reportValidity()) return;
    error.hidden = true;
    done.hidden = true;
    submit.disabled = true;
    try {
      await changePassword(current.input.value, pair.fresh.value);
      form.reset();
      done.hidden = false;
    } catch (failure) {
      error.textContent = failure.code === "invalid_credentials" ? t("account.wrong_current") : errorText(failure);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  const everywhere = h("button", { type: "button", class: "btn btn-danger", id: "sign-out-everywhere" }, t("account.signout_all"));
  everywhere.addEventListener("click", async () => {
    if (!(await confirmDialog(t("account.confirm_signout_all"), t("account.signout_all")))) return;
    try {
      await signOutEverywhere(); // every session ends, this one too: the router goes to sign in
    } catch (failure) {
      toast(errorText(failure), "error");
    }
  });
  const sessions = h("div", { class: "card", id: "sessions" }, h("h2", {}, t("account.sessions")), h("p", { class: "muted" }, t("account.signout_all_intro")), everywhere);
  section.append(form, sessions);
  root.append(section);
  current.input.focus();
  return null;
}
