// The REST API as any client calls it: the v4 envelope, the same token. When the API refuses
// the credentials (9106 none, 6003 malformed, 10000 wrong), the token dialog asks for one and
// the call is retried.

const TOKEN_KEY = "dns-primary.api-token";

export class ApiError extends Error {
  constructor(status, errors) {
    const first = errors?.[0] ?? { code: 0, message: `HTTP ${status}` };
    super(first.message);
    this.status = status;
    this.code = first.code;
    this.errors = errors ?? [first];
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let asking = null;
const tokenListeners = [];
export function onToken(fn) {
  tokenListeners.push(fn);
}

/** Ask for the token once, however many calls are waiting for it. */
function askToken(refused) {
  if (asking) return asking;
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const err = document.getElementById("token-input-err");
  err.textContent = refused ? "The API refused this token." : "";
  input.setAttribute("aria-invalid", refused ? "true" : "false");
  input.value = "";
  asking = new Promise((resolve) => {
    const done = (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v === "") {
        err.textContent = "Enter the API token.";
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, v);
      form.removeEventListener("submit", done);
      dialog.close();
      asking = null;
      for (const fn of tokenListeners) fn();
      resolve();
    };
    form.addEventListener("submit", done);
    // Escape would leave the page without data: keep the dialog until a token is given.
    dialog.addEventListener("cancel", (e) => e.preventDefault());
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return asking;
}

const AUTH_CODES = new Set([9106, 6003, 10000]);

/** One call; resolves `{ result, info }` or throws ApiError (with `code` and `message`). */
export async function call(method, path, body) {
  const headers = {};
  const t = token();
  if (t !== "") headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ApiError(0, [{ code: 0, message: `cannot reach dns-primary: ${e.message}` }]);
  }
  let json;
  try {
    json = await res.json();
  } catch {
    throw new ApiError(res.status, [{ code: 0, message: `HTTP ${res.status}, not JSON` }]);
  }
  if (json.success) return { result: json.result, info: json.result_info };
  const err = new ApiError(res.status, json.errors);
  // The API's refusals of credentials (api/auth.ts): none sent (9106), a malformed header
  // (6003), a wrong token (10000). Each one asks for the token.
  if (AUTH_CODES.has(err.code)) {
    await askToken(t !== "");
    return call(method, path, body);
  }
  throw err;
}

export const V4 = "/client/v4";
export const EXT = "/dns-primary/v1";

export const get = (p) => call("GET", p).then((r) => r.result);
export const post = (p, b) => call("POST", p, b).then((r) => r.result);
export const put = (p, b) => call("PUT", p, b).then((r) => r.result);
export const patch = (p, b) => call("PATCH", p, b).then((r) => r.result);
export const del = (p) => call("DELETE", p).then((r) => r.result);
