// Building the page. Text from visitors, chats and the API is only ever set as text nodes or
// attribute values, never parsed as HTML, so it cannot inject markup or script.

import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'href') el.setAttribute('href', safeHref(v));
    // Through the CSSOM: the page's CSP forbids inline style attributes.
    else if (k === 'style') for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x);
    else el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An HTML element: `h('a', {href, class}, 'text', child…)`. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

/** Only http(s) links, in-app hashes and same-site paths; anything else (javascript:) goes nowhere. */
export function safeHref(v) {
  const text = String(v);
  return /^(https?:\/\/|#|\/(?!\/))/i.test(text) ? text : '#';
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  build(el, null, children);
  return el;
}

/** An error box with the API's message, and a button that runs `retry` when given. */
export function errorBox(err, retry) {
  return h('div', { class: 'error', role: 'alert' },
    h('span', null, err && err.message ? err.message : String(err)),
    retry ? h('button', { type: 'button', class: 'link retry', onclick: retry }, t('error.retry')) : null);
}

/** `fn` run `ms` after the last call; `.now()` runs it at once, `.cancel()` forgets it. */
export function debounce(fn, ms) {
  let timer = null;
  const call = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  call.cancel = () => clearTimeout(timer);
  call.now = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return call;
}

/**
 * A box that scrolls `content` (a wide or long table) inside itself. While it does, it can
 * take the focus, so the arrow keys scroll it, and is a region named `label`; when all of
 * `content` fits it is a plain box, not one more stop for the Tab key.
 */
export function scrollBox(label, content) {
  const box = h('div', { class: 'scroll' }, content);
  const fit = () => {
    const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls === box.hasAttribute('tabindex')) return;
    if (scrolls) build(box, { tabindex: 0, role: 'region', 'aria-label': label }, []);
    else for (const a of ['tabindex', 'role', 'aria-label']) box.removeAttribute(a);
  };
  const sizes = new ResizeObserver(fit);
  sizes.observe(box);
  sizes.observe(content);
  return box;
}

/** A labelled form field. */
export function field(label, input) {
  return h('label', { class: 'field' }, h('span', null, label), input);
}

/** A `<select>` of `[value, label]` pairs (or plain values) with `selected` chosen. */
export function select(name, options, selected) {
  return h('select', { name },
    options.map((o) => {
      const [value, label] = Array.isArray(o) ? o : [o, o];
      return h('option', { value, selected: value === (selected || '') }, label);
    }));
}

/**
 * `form` in a box that folds on a phone (where the filters would fill the screen), open on
 * a wider screen; `summary` says what it holds and what is chosen.
 */
export function foldable(summary, form) {
  const wide = window.matchMedia('(min-width: 701px)').matches;
  return h('details', { class: 'foldable', open: wide }, h('summary', null, summary), form);
}
