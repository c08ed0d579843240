// What the other files use: the page's window and document, the wasm (`ask`),
// `safe` and random ids. The snippet touches the page (links, events,
// storage, network) and asks the wasm every question through `ask` (see `op`
// in src/lib.rs): which session, what a link becomes, what a beacon says. It
// must never throw into the page and never break a link: every entry point
// is wrapped in `safe`, and a link only ever gets what the wasm answered for
// the href the site gave it.
var w = window,
  d = document,
  // The wasm's exports, once loaded.
  W,
  encoder = new TextEncoder(),
  decoder = new TextDecoder(),
  // An http(s) URL that the browser's URL parser leaves as it is: scheme
  // and host in lower case (a host whose last label starts with a letter,
  // so no IPv4 number), no port or user, no dot segment, and after the
  // host only characters that no part of a URL percent-encodes or
  // rewrites (no space, quote, backslash, control or non-ASCII).
  RESOLVED = /^https?:\/\/[a-z\d.-]*[a-z][a-z\d-]*(?!.*\/(\.|%2[eE]))\/[\w.~!$&()*+,;=:@\/?%#-]*$/,
  // An href with a scheme: it does not depend on its document's base URL.
  ABSOLUTE = /^[a-z][a-z\d+.-]*:/i;

var noop = function () {};

// One question to the wasm: the operation and its fields, encoded straight
// into the bytes `buf` reserves (UTF-8 takes at most 3 bytes per UTF-16
// unit); `run` answers 0 for none, else the answer's length plus one, at
// `out`. (xtask checks these exports and that there are no imports.) The
// wasm forgets both at the next question.
var ask = function (op, fields) {
  var text = fields.join(SEP),
    // Before reading `memory.buffer`: reserving may grow the memory, which
    // replaces the buffer. 0: no memory for the question.
    at = W.buf(text.length * 3),
    n = at && W.run(op, encoder.encodeInto(text, new Uint8Array(W.memory.buffer, at)).written);
  if (n) return decoder.decode(new Uint8Array(W.memory.buffer, W.out(), n - 1));
};

// Runs `f`, swallowing anything it throws: the page must never see our errors.
var safe = function (f) {
  return function (a, b) {
    try {
      return f(a, b);
    } catch (e) {}
  };
};

// An href as the browser follows it: resolved against the base URL of
// `node`'s document, so scheme-relative (//wa.me/…), relative, upper-case
// and space-padded hrefs reach the wasm as the absolute URLs they are. An
// http(s) href already written as the browser writes it (`RESOLVED`) is
// taken as it is: `new URL` costs a microsecond or two per link, and most
// chat links are written that way.
var resolve = function (href, node) {
  try {
    return RESOLVED.test(href) ? href : new URL(href, node.baseURI).href;
  } catch (e) {
    return href;
  }
};

// Where a link goes.
var follows = function (a) {
  return resolve(a.getAttribute("href"), a);
};

// `n` random bytes in hex. (Every browser that runs WebAssembly has
// crypto.getRandomValues, secure context or not, and Event.composedPath.)
var random = function (n) {
  var hex = "";
  crypto.getRandomValues(new Uint8Array(n)).forEach(function (b) {
    hex += (b + 256).toString(16).slice(1);
  });
  return hex;
};

// A new visitor, session or click id: a UUIDv7 (RFC 9562) in hex, the time
// in milliseconds first (11 hex digits until the year 2527), then its
// version, 72 random bits and its variant. Ids in time order let the
// collector's indexes take new rows at their end instead of at random
// places: a write touches a few pages, not one per index per row.
var newId = function () {
  var r = random(9);
  return "0" + Date.now().toString(16) + "7" + r.slice(0, 3) + "8" + r.slice(3);
};
