// @ts-check
// Sign in and sign up (sign up registers, then signs in).
import { signIn, signUp } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../ui.js";

function field(id, label, input, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", { class: "field-hint", id: `${id}-hint` }, hint) : null);
}

export function mountAuth(root, mode) {
  const isSignup = mode === "signup";
  const email = h("input", { id: "auth-email", name: "email", type: "email", autocomplete: "email", required: true });
  const password = h("input", {
    id: "auth-password",
    name: "password",
    type: "password",
    autocomplete: isSignup ? "new-password" : "current-password",
    required: true,
    minlength: isSignup ? "8" : null,
    "aria-describedby": isSignup ? "auth-password-hint" : null,
  });
  const name = isSignup ? h("input", { id: "auth-name", name: "display_name", type: "text", autocomplete: "name", "aria-describedby": "auth-name-hint" }) : null;
  const error = h("p", { class: "alert alert-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "auth-submit" }, isSignup ? t("auth.signup") : t("auth.signin"));
  const form = h(
    "form",
    { class: "auth-form", novalidate: false },
    h("h1", {}, isSignup ? t("auth.signup") : t("auth.signin")),
    h("p", { class: "muted" }, t("auth.tagline")),
    isSignup ? field("auth-name", t("auth.name"), name, t("auth.name_hint")) : null,
    field("auth-email", t("auth.email"), email),
    field("auth-password", t("auth.password"), password, isSignup ? t("auth.password_hint") : null),
    error,
    submit,
    h(
      "p",
      { class: "auth-switch" },
      isSignup ? t("auth.have_account") : t("auth.no_account"),
      " ",
      h("a", { href: isSignup ? "#/signin" : "#/signup" }, isSignup ? t("auth.signin") : t("auth.signup")),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      if (isSignup) await signUp(email.value.trim(), password.value, name.value.trim());
      else await signIn(email.value.trim(), password.value);
      location.hash = "#/library";
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h("section", { class: "auth-page" }, h("div", { class: "auth-card" }, form)));
  (isSignup ? name : email).focus();
}
