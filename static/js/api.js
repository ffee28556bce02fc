// @ts-check
// HTTP client for /api/v1: bearer tokens in localStorage, one refresh attempt on 401, problem details as errors.

const ACCESS = "br.access";
const REFRESH = "br.refresh";
const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    const message =
      (body && (body.detail || body.error?.message || body.title || body.message)) ||
      `HTTP ${status}`;
    super(typeof message === "string" ? message : JSON.stringify(message));
    this.status = status;
    this.code = (body && (body.code || body.error?.code)) || null;
    this.body = body;
  }
}

const authListeners = new Set();

export const tokens = {
  get access() {
    return localStorage.getItem(ACCESS);
  },
  get refresh() {
    return localStorage.getItem(REFRESH);
  },
  set(pair) {
    localStorage.setItem(ACCESS, pair.access_token);
    if (pair.refresh_token) localStorage.setItem(REFRESH, pair.refresh_token);
  },
  clear() {
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
    for (const fn of authListeners) fn(false);
  },
};

export function onSignedOut(fn) {
  authListeners.add(fn);
}

let refreshing = null;

async function rotate(staleRefresh) {
  // Another tab may have rotated the pair while we waited: reuse its result, never replay the old token
  // (the server revokes the whole family when a used refresh token comes back).
  const current = tokens.refresh;
  if (!current) return false;
  if (current !== staleRefresh) return true;
  try {
    const response = await fetch(`${BASE}/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current }),
    });
    if (!response.ok) return false;
    tokens.set(await response.json());
    return true;
  } catch {
    return false;
  }
}

// Concurrent 401s share one refresh; across tabs the Web Locks API serializes it.
export function refreshTokens() {
  if (!refreshing) {
    const stale = tokens.refresh;
    const run = () => rotate(stale);
    refreshing = (navigator.locks ? navigator.locks.request("bookreader-refresh", run) : run()).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function parseBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json();
  return response.text();
}

async function wrongCredentials(response) {
  const body = await response.clone().json().catch(() => null);
  return body?.code === "invalid_credentials";
}

/**
 * One call of the JSON API: `path` under /api/v1 (or absolute), a JSON `body`, `query` parameters (empty
 * ones dropped). Resolves with the parsed answer; rejects with an ApiError (problem details).
 * @param {string} path
 * @param {{method?: string, body?: any, query?: Record<string, any>, keepalive?: boolean, auth?: boolean}} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = "GET", body, query, keepalive = false, auth = true } = {}) {
  let url = path.startsWith("/") ? path : `${BASE}/${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value != null && value !== "") params.set(key, value);
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const send = () => {
    /** @type {Record<string, string>} */
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
    return fetch(url, {
      method,
      headers,
      keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  let response;
  try {
    response = await send();
    if (response.status === 401 && auth && !(await wrongCredentials(response)) && (await refreshTokens())) response = await send();
  } catch (error) {
    throw new ApiError(0, { detail: error.message || "network" });
  }
  const data = await parseBody(response).catch(() => null);
  // a wrong current password (password change) is the user's typo, not the end of the session
  if (response.status === 401 && auth && data?.code !== "invalid_credentials") tokens.clear();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// XMLHttpRequest because fetch cannot report upload progress.
export function uploadBook(file, onProgress) {
  const attempt = () =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${BASE}/books`);
      if (tokens.access) xhr.setRequestHeader("Authorization", `Bearer ${tokens.access}`);
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => resolve({ status: xhr.status, body: xhr.response }));
      xhr.addEventListener("error", () => reject(new ApiError(0, { detail: "network" })));
      const form = new FormData();
      form.append("file", file, file.name);
      xhr.send(form);
    });
  return (async () => {
    let result = await attempt();
    if (result.status === 401 && (await refreshTokens())) result = await attempt();
    if (result.status >= 400) throw new ApiError(result.status, result.body);
    return { book: result.body, existing: result.status === 200 };
  })();
}

export async function signIn(email, password) {
  const pair = await api("auth/login", { method: "POST", body: { email, password }, auth: false });
  tokens.set(pair);
}

export async function signUp(email, password, displayName) {
  const body = { email, password };
  if (displayName) body.display_name = displayName;
  await api("auth/register", { method: "POST", body, auth: false });
  await signIn(email, password);
}

export async function signOut() {
  try {
    await api("auth/logout", { method: "POST" });
  } catch {
    // Signing out locally matters more than the server acknowledging it.
  }
  tokens.clear();
}

// Password change keeps this session and ends the others; the server answers 401 invalid_credentials for a
// wrong current password.
export async function changePassword(currentPassword, newPassword) {
  await api("auth/password", { method: "POST", body: { current_password: currentPassword, new_password: newPassword } });
}

// Every session of this account ends, this one too.
export async function signOutEverywhere() {
  await api("auth/logout-all", { method: "POST" });
  tokens.clear();
}

// An admin-issued reset token (no e-mail needed): sets the password and ends every session of that account.
export async function resetPassword(token, newPassword) {
  await api("auth/password-reset", { method: "POST", body: { token, new_password: newPassword }, auth: false });
}

let me = null;

export async function currentUser(force = false) {
  if (!tokens.access) return null;
  if (!me || force) me = await api("users/me");
  return me;
}

export function forgetUser() {
  me = null;
}
