// SpineLift's browser UI: a tiny router over three views (sign in, projects, project).
// Every page of the app answers the same HTML shell; this module picks the view.
import { api, endpoints, session, setUnauthorizedHandler } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { renderSignin } from "./view-signin.js";
import { renderProjects } from "./view-projects.js";
import { renderProject } from "./view-project.js";

const main = document.getElementById("main");
let cleanup = null;

const routes = [
  { pattern: /^\/signin\/?$/, view: renderSignin, open: true },
  { pattern: /^\/(projects\/?)?$/, view: renderProjects },
  { pattern: /^\/projects\/(\d+)\/?$/, view: renderProject },
];

/** Go to `path` inside the app (history entry unless replace). */
export function navigate(path, { replace: replaceEntry = false, state = null } = {}) {
  if (replaceEntry) history.replaceState(state, "", path);
  else history.pushState(state, "", path);
  route();
}

export function setCrumbs(items) {
  const nav = document.getElementById("crumbs");
  const list = h("ol");
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    list.append(
      h("li", {},
        last
          ? h("span", { "aria-current": "page" }, item.label)
          : h("a", { href: item.href }, item.label)),
    );
  });
  replace(nav, list);
}

function renderAccount() {
  const box = document.getElementById("account");
  if (!session.token) return replace(box);
  replace(box,
    h("span", { class: "account-email", title: "Signed in" }, session.email),
    h("button", { type: "button", class: "btn btn-ghost", onclick: signOut }, "Sign out"));
}

async function signOut() {
  try { await api("POST", endpoints.signout); } catch { /* the token dies anyway */ }
  session.clear();
  navigate("/signin");
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const path = location.pathname;
  const match = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  renderAccount();
  if (!match) {
    setCrumbs([{ label: "Not found" }]);
    replace(main, h("section", { class: "page narrow" },
      h("h1", {}, "Page not found"),
      h("p", {}, h("a", { href: "/" }, "Back to your projects"))));
    return;
  }
  if (!match.r.open && !session.token) {
    const next = path === "/" ? "" : `?next=${encodeURIComponent(path)}`;
    history.replaceState(null, "", `/signin${next}`);
    return route();
  }
  replace(main);
  main.className = "";
  cleanup = (await match.r.view(main, match.m.slice(1), { navigate, setCrumbs })) || null;
}

setUnauthorizedHandler(() => {
  toast("Your session ended: please sign in again.", "error");
  navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
});

// in-app links: plain <a href="/..."> elements, handled without a page load
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (url.hash && url.pathname === location.pathname) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", route);
route();
