// The dashboard's only way to the data: the same API anyone can script, with an API token
// or, for an account signed in with its password, the session cookie (HttpOnly: this code
// never sees it) and the chosen site in `X-Chatrail-Site`.

import { t } from './i18n.js';

const KEY = 'chatrail.token';
const SITE = 'chatrail.site';

/** The site an account acts on (its key), kept on this device. */
export function site() {
  return localStorage.getItem(SITE) || '';
}

const ACCOUNT = 'chatrail.account';

/**
 * Whether an account signed in on this device and has not signed out: only then is the
 * session asked about on load (its cookie is HttpOnly, out of this code's sight), so a
 * visitor never signed in sees no refused request.
 */
export function hadSession() {
  return localStorage.getItem(ACCOUNT) === '1';
}

/** Notes that an account is signed in on this device (or no longer is). */
export function noteSession(signedIn) {
  if (signedIn) localStorage.setItem(ACCOUNT, '1');
  else localStorage.removeItem(ACCOUNT);
}

/** Chooses the site an account acts on. */
export function chooseSite(key) {
  localStorage.setItem(SITE, key);
}

/** The signed-in token, if any. */
export function token() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY);
}

/** Keeps the token for this tab, or on this device when `remember` is set. */
export function keepToken(value, remember) {
  sessionStorage.setItem(KEY, value);
  if (remember) localStorage.setItem(KEY, value);
}

/** Forgets the token everywhere. */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/**
 * The headers that authenticate a request: the token's (`as`, else the signed-in one), or
 * without a token the site header, the session cookie going on its own; the site header
 * is what the server asks of every cookie-authenticated change (CSRF guard).
 */
export function authHeaders(as) {
  const bearer = as || token();
  return bearer ? { Authorization: `Bearer ${bearer}` } : { 'X-Chatrail-Site': site() };
}

/** An error answered by the API: its status and its JSON `error` message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls `/api/v1{path}` with the token. `body` is sent as JSON, `file` (a File or text) as
 * CSV; `csv` asks for CSV and resolves to a Blob. Failures reject with an ApiError carrying
 * the server's message.
 */
export async function api(path, { method = 'GET', body, file, csv = false, as } = {}) {
  const headers = authHeaders(as);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (file !== undefined) headers['Content-Type'] = 'text/csv';
  if (csv) headers.Accept = 'text/csv';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: file !== undefined ? file : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, t('error.network', { message: e.message }));
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = (await res.json()).error || message;
    } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, message);
  }
  if (res.status === 204) return null;
  return csv ? res.blob() : res.json();
}

/** Query string of the non-empty entries of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Downloads a CSV export through the API (the token travels in a header, not the URL). */
export async function downloadCsv(path, filename) {
  const blob = await api(path, { csv: true });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
