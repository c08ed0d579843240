// Building the page. Text from visitors, chats and the API is only ever set as text nodes or
// attribute values, never parsed as HTML, so it cannot inject markup or script.

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

/** An error box with the API's message. */
export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err && err.message ? err.message : String(err));
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
