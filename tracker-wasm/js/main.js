// The start: the script tag's settings, the site's config, the page's API
// (`chatrail`, the one global the snippet adds) and loading the wasm.
var site,
  // Everything before the script's own file name: the collector's prefix.
  base,
  consented,
  // Advertising consent (see `consent`).
  ads,
  loaded = 0,
  started = 0,
  // What the collector wrote into the script: [] for /t.js; for
  // t.js?site=KEY [the site's key, its config (JSON) unless unknown].
  preset,
  // What `chatrail.ready` was given before the wasm loaded.
  waiting = [],
  api;

// The site's config (JSON): its domains stay here, the rest goes to the
// wasm.
var configure = function (text) {
  var c = JSON.parse(text),
    // join writes arrays comma-separated and null or undefined as "".
    fields = [c[FIELD_NUMBERS], c[FIELD_BOTS], c[FIELD_TEMPLATE]];
  domains = (c[FIELD_DOMAINS] || []).map(bare);
  (c[FIELD_PAGES] || []).forEach(function (p) {
    fields.push(p[FIELD_PATH], p[FIELD_TEXT], p[FIELD_TEMPLATE]);
  });
  ask(OP_CONFIGURE, fields);
};

// Whether links can be tagged: the wasm is in, with the site's config.
var configured = function () {
  return started && (preset[1] || get(CONFIG));
};

var start = safe(function () {
  if (started || !loaded || !consented) return;
  started = 1;
  // The config the script came with; else the last one kept, so links
  // are tagged at once and even when the collector cannot be reached.
  safe(configure)(preset[1] || get(CONFIG) || "{}");
  view(d.referrer);
  // The page is hooked once; each start (consent given again too)
  // tags every link.
  if (!hooked) hook();
  scan();
  // Then a fresh config (unless the script came with one), after this
  // task, like the beacons.
  if (preset[1]) return;
  setTimeout(
    safe(function () {
      fetch(base + "/sites/" + encodeURIComponent(site) + "/config")
        .then(function (r) {
          return r.ok ? r.text() : "";
        })
        .then(function (text) {
          // The config it started with is usually the fresh one: then the
          // links are already right.
          if (text && started && text != get(CONFIG)) {
            configure(text);
            set(CONFIG, text);
            scan();
          }
        })
        .catch(noop);
    })
  );
});

var ready = function () {
  loaded = 1;
  start();
  var fns = waiting;
  waiting = null;
  fns.forEach(function (f) {
    safe(f)(api);
  });
  d.dispatchEvent(new CustomEvent("chatrail:ready", { detail: api }));
};

try {
  var script = d.currentScript;
  // Loaded twice (two tags, or a tag manager firing again): one instance.
  if (script && !w.chatrail) {
    // Parsed, so that the minifier cannot take the placeholder for what
    // the collector writes there.
    preset = JSON.parse(CONFIG_PLACEHOLDER);
    site = preset[0] || script.getAttribute("data-site") || "";
    base = script.src.replace(/\/[^\/?#]*([?#].*)?$/, "");
    consented = script.getAttribute("data-consent") != "required";
    ads = script.getAttribute("data-ads-consent") != "denied";

    // The page's API: the one global the snippet adds.
    api = w.chatrail = {
      // The current session code; null until there is a session.
      code: null,
      // A chat link for a number in any notation (its digits, leading
      // zeros dropped, as chatrail-core's normalize_number) or "@bot",
      // tagged when the chat is tracked; nothing for neither. The same
      // link as chatrail-core's chat_link, made here to spare the wasm its
      // code.
      url: safe(function (chat, text) {
        var number = (chat = (chat + "").trim()).replace(/\D/g, "").replace(/^0+/, ""),
          url =
            chat[0] == "@"
              ? BOT.test(chat) && "https://t.me/" + chat.slice(1).toLowerCase()
              : NUMBER.test(number) &&
                "https://wa.me/" + number + (text ? "?" + TEXT_PARAM + "=" + encodeURIComponent(text) : "");
        if (url) return answer(url) || url;
      }),
      // Calls `f(chatrail)` once the snippet has loaded.
      ready: function (f) {
        waiting ? waiting.push(f) : safe(f)(api);
      },
      // consent(true) starts storing and sending (with data-consent="required");
      // consent(false) forgets the visitor and restores the links. An object
      // sets either or both: {analytics: true} as consent(true), {ads: false}
      // advertising consent (only `true` grants it), which the next beacons carry.
      consent: safe(function (granted) {
        if (granted instanceof Object) {
          if (FIELD_ADS in granted) ads = granted[FIELD_ADS] === true;
          // Without `analytics`, that consent stays as it was.
          if ((granted = granted.analytics) == null) return;
        }
        consented = granted !== false;
        if (consented) return start();
        if (started) {
          started = 0;
          outbox = [];
          ask(OP_RESET, []);
          api.code = null;
          scan();
        }
        forget(VISITOR);
        forget(SESSION);
        forget(CONFIG);
        forget(QUEUE);
      }),
    };

    // The collector replaces the placeholder with a content-hashed path
    // (served as application/wasm, which streaming needs). A browser
    // without streaming instantiation (Safari before 15) gets here an error,
    // swallowed: the snippet stays off and the links work as written.
    WebAssembly.instantiateStreaming(fetch(base + WASM_PATH_PLACEHOLDER), {})
      .then(function (result) {
        W = result.instance.exports;
        ready();
      })
      .catch(noop);
    // Clicks before the snippet is ready (see `hold`).
    listen(w);
  }
} catch (e) {}
