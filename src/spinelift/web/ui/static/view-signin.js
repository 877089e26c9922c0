// Sign in / create an account.
import { api, endpoints, session } from "./api.js";
import { h, nextId, replace } from "./dom.js";

const MIN_PASSWORD = 10;

function field(label, attrs, hint) {
  const id = nextId("f");
  const hintId = hint ? `${id}-hint` : null;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, ...attrs, "aria-describedby": hintId }),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
}

export async function renderSignin(main, _params, { navigate, setCrumbs }) {
  setCrumbs([{ label: "Sign in" }]);
  main.className = "page-center";
  const next = new URLSearchParams(location.search).get("next");
  const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/projects";
  let mode = "signin";

  const title = h("h1", { id: "auth-title" }, "Sign in");
  const lead = h("p", { class: "lead" }, "Turn layered PSDs into Spine meshes that hug the art.");
  const email = field("E-mail", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = field("Password", {
    type: "password", name: "password", autocomplete: "current-password", required: true,
  }, `At least ${MIN_PASSWORD} characters.`);
  const error = h("p", { class: "form-error", role: "alert", id: "auth-error" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
  const switcher = h("button", { type: "button", class: "btn btn-link", onclick: toggle }, "Create an account");
  const switchText = h("span", {}, "New to SpineLift?");
  const form = h("form", { class: "auth-form", "aria-labelledby": "auth-title", novalidate: true },
    email, password, error, submit);

  function toggle() {
    mode = mode === "signin" ? "signup" : "signin";
    const up = mode === "signup";
    title.textContent = up ? "Create your account" : "Sign in";
    submit.textContent = up ? "Create account" : "Sign in";
    switchText.textContent = up ? "Already have an account?" : "New to SpineLift?";
    switcher.textContent = up ? "Sign in" : "Create an account";
    password.querySelector("input").setAttribute("autocomplete", up ? "new-password" : "current-password");
    error.textContent = "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const address = email.querySelector("input").value.trim();
    const secret = password.querySelector("input").value;
    if (!address || !address.includes("@")) { error.textContent = "Enter your e-mail address."; return; }
    if (mode === "signup" && secret.length < MIN_PASSWORD) {
      error.textContent = `The password needs at least ${MIN_PASSWORD} characters.`;
      return;
    }
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      if (mode === "signup") {
        await api("POST", endpoints.signup, { json: { email: address, password: secret } });
      }
      const token = await api("POST", endpoints.signin, { json: { email: address, password: secret } });
      session.save(token.access_token, address);
      navigate(target, { replace: true });
    } catch (e) {
      error.textContent = e.status === 401 ? "Wrong e-mail or password." : e.message;
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });

  replace(main, h("section", { class: "auth-card card" },
    h("div", { class: "auth-brand" }, h("img", { src: "/static/favicon.svg", alt: "", width: 40, height: 40 })),
    title, lead, form,
    h("p", { class: "auth-switch" }, switchText, " ", switcher)));
  email.querySelector("input").focus();
  if (session.token) navigate(target, { replace: true });
}
