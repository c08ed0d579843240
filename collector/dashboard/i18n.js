// The dashboard's words. One message catalogue per language (`i18n/<code>.json`; the server
// lists them in `i18n/index.json`), chosen from the browser's languages unless the person
// picked one with the switch (remembered on this device). A message missing from a
// catalogue falls back to English, so a half-done translation still reads. Dates and numbers
// are formatted by Intl in the same locale (format.js).

const KEY = 'chatrail.lang';
const FALLBACK = 'en';

let lang = FALLBACK;
let messages = {};
let english = {};
let languages = [{ code: FALLBACK, name: 'English' }];

/** The chosen language's code (a BCP 47 tag Intl understands). */
export function locale() {
  return lang;
}

/** Every language there is a catalogue for: `[{ code, name }]`, name in its own language. */
export function available() {
  return languages;
}

/**
 * The language to use: `stored` (the switch's choice) if there is a catalogue for it, else
 * the first of the browser's `preferred` languages there is one for (`ru-RU` takes `ru`),
 * else English.
 */
export function choose(codes, stored, preferred) {
  if (stored && codes.includes(stored)) return stored;
  for (const tag of preferred || []) {
    const lower = String(tag).toLowerCase();
    const exact = codes.find((c) => c.toLowerCase() === lower);
    if (exact) return exact;
    const base = codes.find((c) => c.toLowerCase() === lower.split('-')[0]);
    if (base) return base;
  }
  return FALLBACK;
}

async function json(path) {
  const res = await fetch(`/dashboard/i18n/${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${res.statusText}`);
  return res.json();
}

/**
 * Loads the catalogue of `code` (by default the stored or the browser's choice) and makes
 * it current. `remember` keeps an explicit choice on this device.
 */
export async function useLanguage(code, { remember = false } = {}) {
  if (languages.length === 1) {
    try {
      languages = (await json('index.json')).languages;
    } catch (_) { /* English only */ }
  }
  const codes = languages.map((l) => l.code);
  let stored = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch (_) { /* storage blocked */ }
  const chosen = code && codes.includes(code) ? code : choose(codes, stored, navigator.languages);
  const [en, own] = await Promise.all([
    Object.keys(english).length ? english : json(`${FALLBACK}.json`),
    chosen === FALLBACK ? null : json(`${chosen}.json`).catch(() => null),
  ]);
  english = en;
  messages = own || en;
  lang = own ? chosen : FALLBACK;
  if (remember) {
    try {
      localStorage.setItem(KEY, lang);
    } catch (_) { /* storage blocked: this page only */ }
  }
  document.documentElement.lang = lang;
  return lang;
}

function fill(text, vars) {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}

/** The message `key` with its `{placeholders}` filled from `vars`. */
export function t(key, vars) {
  let text = messages[key] ?? english[key];
  if (text && typeof text === 'object') text = text.other;
  return fill(text ?? key, vars);
}

/** Like `t`, but `fallback` (not the key) when no catalogue has `key`: data shown as is. */
export function tOr(key, fallback) {
  const text = messages[key] ?? english[key];
  return typeof text === 'string' ? text : fallback;
}

/**
 * The plural message `key` for `n` (`{ one, few, many, other }`, the forms the language
 * has), with `{n}` the number as the locale writes it.
 */
export function tn(key, n, vars = {}) {
  const entry = messages[key] ?? english[key];
  const form = new Intl.PluralRules(lang).select(n);
  const text = entry && typeof entry === 'object' ? entry[form] ?? entry.other : entry;
  return fill(text ?? key, { n: new Intl.NumberFormat(lang).format(n), ...vars });
}
