// The JSON API with the access token as `Authorization: Bearer` (kept in sessionStorage:
// no cookie is ever set, so there is no CSRF surface). Errors come back as ApiError with
// the API's {"error": {"code", "message", "details"}}.

const TOKEN_KEY = "spinelift.token";
const EMAIL_KEY = "spinelift.email";

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "HTTP_ERROR";
    this.details = details || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get email() { return sessionStorage.getItem(EMAIL_KEY) || ""; },
  save(token, email) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(EMAIL_KEY, email);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(EMAIL_KEY);
  },
};

let onUnauthorized = () => {};
/** Called (once per 401) when the token is refused: the app sends the user to sign in. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** The token was refused (an API answer or the WebSocket's 4401): sign in again. */
export function unauthorized() {
  if (!session.token) return;
  session.clear();
  onUnauthorized();
}

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  return headers;
}

async function errorOf(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const err = body && body.error ? body.error : {};
  let message = err.message || `${response.status} ${response.statusText}`;
  const fields = err.details && err.details.fields;
  if (fields && typeof fields === "object") {
    message += ": " + Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("; ");
  }
  return new ApiError(response.status, err.code, message, err.details);
}

/** fetch `path` with the token; the parsed JSON (or null for 204), ApiError otherwise. */
export async function api(method, path, { json, body, signal, raw = false } = {}) {
  const headers = authHeaders(json !== undefined ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, {
    method,
    headers,
    body: json !== undefined ? JSON.stringify(json) : body,
    signal,
    cache: "no-store",
  });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && session.token) {
      session.clear();
      onUnauthorized(error);
    }
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** GET a binary resource with the token, as a Blob. */
export async function fetchBlob(path) {
  const response = await api("GET", path, { raw: true });
  return response.blob();
}

/**
 * POST a multipart form with upload progress (XHR: fetch has no upload progress).
 * onProgress(loaded, total). Resolves with the JSON answer.
 */
export function uploadForm(path, form, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    if (session.token) xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const err = body && body.error ? body.error : {};
      if (xhr.status === 401 && session.token) {
        session.clear();
        onUnauthorized();
      }
      reject(new ApiError(xhr.status, err.code, err.message || `upload failed (${xhr.status})`, err.details));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "NETWORK", "the upload could not reach the server")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "ABORTED", "the upload was cancelled")));
    xhr.send(form);
  });
}

export const endpoints = {
  signup: "/api/v1/auth/signup",
  signin: "/api/v1/auth/signin",
  signout: "/api/v1/auth/signout",
  projects: "/api/v1/projects",
  project: (id) => `/api/v1/projects/${id}`,
  upload: (id) => `/api/v1/projects/${id}/uploads`,
  uploadLayers: (id) => `/api/v1/projects/${id}/uploads/layers`,
  scene: (id) => `/api/v1/projects/${id}/scene`,
  snapshot: (id) => `/api/v1/projects/${id}/events/snapshot`,
  events: (id) => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/projects/${id}/events?token=${encodeURIComponent(session.token || "")}`;
  },
  layer: (id, layerId) => `/api/v1/projects/${id}/layers/${layerId}`,
  layerMesh: (id, layerId) => `/api/v1/projects/${id}/layers/${layerId}/mesh`,
  layerImage: (id, layerId) => `/api/v1/projects/${id}/layers/${layerId}/image`,
  exportZip: (id) => `/api/v1/projects/${id}/export`,
  exportFiles: (id) => `/api/v1/projects/${id}/export/files`,
  parameters: "/api/v1/mesh-parameters",
};
