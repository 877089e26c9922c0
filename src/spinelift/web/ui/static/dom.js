// DOM helpers. Text from the user's data (project, layer and file names, messages) only
// ever goes into the page as text nodes or attribute values: nothing here parses HTML.

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "..."}, "text", childNode, ...)
 * Strings and numbers become text nodes; null/undefined/false children are skipped.
 * Attributes named on* take functions (listeners); `dataset`, `style` take objects;
 * a value of true sets a boolean attribute, false/null/undefined leaves it out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "innerHTML" || name === "outerHTML") throw new Error("no HTML from data");
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "style" && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) el.style.setProperty(k, v);
    } else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

let uid = 0;
/** A fresh id for label/aria wiring. */
export const nextId = (prefix = "id") => `${prefix}-${++uid}`;

/** A small toast in the polite live region; kind: "info" | "error" | "ok". */
export function toast(message, kind = "info", ms = 4000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), ms);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A status pill: queued/pending/processing/completed/failed/created. */
export function badge(status) {
  const text = status || "unknown";
  return h("span", { class: `badge badge-${text.replace(/[^a-z_]/g, "")}` }, text);
}

/** Save `blob` under `filename` through a temporary object URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, class: "visually-hidden" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file name made of the safe characters of `name`. */
export function safeFileName(name, fallback = "file") {
  const cleaned = String(name || "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return cleaned.slice(0, 80) || fallback;
}
