// The snippet's browser side, wrapped in one function scope so the page gets
// no global but `chatrail`. It touches the page (links, events, storage,
// network) and asks the wasm every question through `ask` (see `op` in
// src/lib.rs): which session, what a link becomes, what a beacon says. It
// must never throw into the page and never break a link: every entry point
// is wrapped, and a link only ever gets what the wasm answered for the href
// the site gave it.
var w = window,
  d = document,
  // The wasm's exports, once loaded.
  W,
  encoder = new TextEncoder(),
  decoder = new TextDecoder(),
  // Operations of src/lib.rs's `run`.
  VIEW = 0,
  CONFIGURE = 1,
  CLICK = 3,
  CHAT_URL = 4,
  RESET = 5,
  TAGS = 6,
  SEP = "\x1f",
  TEXT = "data-chatrail-text",
  LINKS = "a[href],area[href]",
  // Cheap pre-filter: only hrefs that may be chat links reach the wasm.
  CHAT = /wa\.me|whatsapp|t(elegram)?\.me|tg:/i,
  // The query parameters that name a campaign: UTM tags and ad click ids
  // (chatrail-core's UTM_PARAMS and CLICK_ID_PARAMS).
  CAMPAIGN =
    /^(utm_(source|medium|campaign|content|term)|[gdy]clid|[gw]braid|ysclid|fbclid|msclkid|ttclid|twclid|li_fat_id|epik|ctwa_clid)$/i,
  ID = /^[0-9a-f]{32}$/i,
  // A new session after 30 minutes without a page view; a new visitor after a year.
  SESSION_IDLE = 18e5,
  VISITOR_IDLE = 31536e6,
  // localStorage: "<visitor id>|<last seen ms>",
  // "<session id>|<code>|<last seen ms>|<source>", the site's config.
  VISITOR = "chatrail:v",
  SESSION = "chatrail:s",
  CONFIG = "chatrail:c",
  // Beacons waiting to be sent again.
  QUEUE = "chatrail:q",
  CLICKS = "/collect/click",
  VISITS = "/collect/visit";

function noop() {}

// One question to the wasm: the operation and its fields, encoded straight
// into the bytes `buf` reserves (UTF-8 takes at most 3 bytes per UTF-16
// unit); `run` answers 0 for none, else the answer's length plus one, at
// `out`. (xtask checks these exports and that there are no imports.) The
// wasm forgets both at the next question.
function ask(op, fields) {
  var text = fields.join(SEP),
    // Before reading `memory.buffer`: reserving may grow the memory, which
    // replaces the buffer. 0: no memory for the question.
    at = W.buf(text.length * 3),
    n = at && W.run(op, encoder.encodeInto(text, new Uint8Array(W.memory.buffer, at)).written);
  if (n) return decoder.decode(new Uint8Array(W.memory.buffer, W.out(), n - 1));
}

// Runs `f`, swallowing anything it throws: the page must never see our errors.
function safe(f) {
  return function (a, b) {
    try {
      return f(a, b);
    } catch (e) {}
  };
}

try {
  var script = d.currentScript;
  // Loaded twice (two tags, or a tag manager firing again): one instance.
  if (script && !w.chatrail) {
    var site = script.getAttribute("data-site") || "",
      // Everything before the script's own file name: the collector's prefix.
      base = script.src.replace(/\/[^\/?#]*([?#].*)?$/, ""),
      consented = script.getAttribute("data-consent") != "required",
      loaded = 0,
      started = 0,
      hooked = 0,
      observer,
      memory = {},
      waiting = [],
      // Beacons to send after the current task (see `send`).
      outbox = [],
      page = "",
      // The answers given since the last scan (given) and in the scan
      // before (older): how an href is told to be ours, on the link we
      // tagged or on a copy of it (cloneNode, innerHTML), and the original it
      // is recomputed from. A scan recomputes every link, so the two hold
      // every href we gave that a link still has, and a single-page app's
      // navigations do not pile them up. See `answers`.
      given = { add: noop, find: noop },
      older = given,
      // The documents and windows hooked: the page's and its same-origin iframes'.
      docs = [],
      wins = new WeakSet(),
      // This page view's ids, and the site's own domains.
      visitor,
      session,
      domains = [],
      last = "",
      lastAt = 0;

    // localStorage, or this page's memory where it is blocked or full.
    var get = function (k) {
      try {
        var v = localStorage.getItem(k);
        if (v != null) return v;
      } catch (e) {}
      return memory[k];
    };
    var set = function (k, v) {
      memory[k] = v;
      try {
        localStorage.setItem(k, v);
      } catch (e) {}
    };
    var forget = function (k) {
      delete memory[k];
      try {
        localStorage.removeItem(k);
      } catch (e) {}
    };

    // A beacon, [path, body, tries so far]: `fetch` with keepalive (it
    // outlives the page a click leaves) and a string body (text/plain, so no
    // CORS preflight). One that fails (the collector unreachable, or
    // refusing for now: 5xx) waits in storage for the next page view, up to
    // 5 tries and 20 beacons; one refused for good (4xx, which the collector
    // makes readable) is dropped. Failures stay silent. A click waits in
    // storage from before it is sent until it is answered: the page it
    // leaves may be gone before its failure is known. It carries an id, so
    // the collector stores it once however often it comes.
    var post = function (beacon) {
      var click = beacon[0] == CLICKS,
        fields = beacon[1];
      if (typeof fields != "string") {
        // A visit's screen, language and time zone are looked up only now,
        // after the tagging: a page's first reads of them cost tenths of a
        // millisecond (the language) up to tens of milliseconds (Intl, which
        // loads the browser's ICU data).
        if (beacon[0] == VISITS) {
          fields.screen_w = size(screen.width);
          fields.screen_h = size(screen.height);
          fields.language = short(navigator.language);
          try {
            fields.timezone = short(Intl.DateTimeFormat().resolvedOptions().timeZone);
          } catch (e) {}
        }
        beacon[1] = JSON.stringify(fields);
      }
      if (click) requeue(beacon, 1);
      fetch(base + beacon[0], { method: "POST", body: beacon[1], keepalive: true })
        .then(function (r) {
          if (r.status > 499) throw 0;
          if (click && started) requeue(beacon);
        })
        .catch(function () {
          // Not once consent is withdrawn (the failure may come after).
          if (started) requeue(beacon, ++beacon[2] < 5);
        });
    };
    // The stored beacons without `beacon`, then with it if `keep`.
    var requeue = function (beacon, keep) {
      var list = queued()
        .filter(function (b) {
          return b[1] != beacon[1];
        })
        .concat(keep ? [beacon] : [])
        .slice(-20);
      list.length ? set(QUEUE, JSON.stringify(list)) : forget(QUEUE);
    };
    var queued = function () {
      try {
        // Nothing stored parses as 0, without throwing: exceptions are slow.
        return JSON.parse(get(QUEUE) || 0) || [];
      } catch (e) {
        return [];
      }
    };
    var flush = safe(function () {
      outbox.splice(0).forEach(post);
    });
    // A beacon with chatrail-core's beacon fields. Starting a fetch costs
    // about a millisecond, so a page view's beacons go after the current
    // task, which tags the page; a click's go at once (the page may be
    // leaving), after those, and so does all that waits when the page is
    // hidden. Its body is the fields, made JSON when sent (`post`), or the
    // JSON of one that waited in storage.
    var send = function (path, fields, now) {
      if (started) {
        fields.site = site;
        fields.visitor = visitor;
        fields.session = session;
        fields.code = api.code;
        outbox.push([path, fields, 0]);
      }
      now ? flush() : setTimeout(flush);
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

    // What the collector accepts: URLs of at most 2,048 bytes (ASCII, as
    // browsers serialize them), short strings of at most 64, sizes in 1..1e5.
    var clip = function (url) {
      return url.slice(0, 2048) || undefined;
    };
    var short = function (s) {
      return s && s.length <= 64 ? s : undefined;
    };
    var size = function (n) {
      return n > 0 && n <= 1e5 ? n : undefined;
    };
    var bare = function (host) {
      return host.toLowerCase().replace(/^www\./, "");
    };

    // A page view: at start, and when a single-page app changes the URL. It
    // goes on with the stored session unless that is 30 minutes old or
    // this page view comes from a new source: a new set of campaign
    // parameters or, without them, another site than this one and the
    // site's domains (their subdomains included).
    var view = function (referrer) {
      var now = Date.now(),
        v = (get(VISITOR) || "").split("|"),
        s = (get(SESSION) || "").split("|"),
        source = "",
        from = "",
        hash = 0x811c9dc5,
        code;
      page = location.href.split("#")[0];
      location.search
        .slice(1)
        .split("&")
        .forEach(function (pair) {
          var i = pair.indexOf("=");
          if (i > 0 && i < pair.length - 1 && CAMPAIGN.test(pair.slice(0, i)))
            source += pair + "\0";
        });
      try {
        from = referrer && bare(new URL(referrer).hostname);
      } catch (e) {}
      if (
        !source &&
        from &&
        from != bare(location.hostname) &&
        !domains.some(function (d) {
          return from == d || from.slice(-d.length - 1) == "." + d;
        })
      )
        source = from + "\0";
      if (source) {
        // FNV-1a: a short, stable fingerprint; sources are only compared.
        for (var i = 0; i < source.length; i++)
          hash = Math.imul(hash ^ source.charCodeAt(i), 16777619);
        source = ("0000000" + (hash >>> 0).toString(16)).slice(-8);
      }
      visitor = ID.test(v[0]) && !(now - v[1] > VISITOR_IDLE) ? v[0].toLowerCase() : random(16);
      var goesOn =
        ID.test(s[0]) &&
        /^\d+$/.test(s[2]) &&
        now - s[2] <= SESSION_IDLE &&
        (!source || source == (s[3] || ""));
      // The wasm keeps a stored code that is valid, else makes a new one.
      code = ask(VIEW, [goesOn ? s[1] : "", random(20), location.pathname]);
      if (goesOn && code == s[1]) {
        session = s[0].toLowerCase();
        source = s[3] || "";
      } else session = random(16);
      set(VISITOR, visitor + "|" + now);
      set(SESSION, [session, code, now, source].join("|"));
      api.code = code;
      // What failed earlier goes out first: a click needs its session's visit.
      outbox = queued().concat(outbox);
      forget(QUEUE);
      send(VISITS, { url: clip(location.href), referrer: clip(referrer) });
    };

    // What the wasm says of each [original href, own starter text] of
    // `pairs`, asked all at once (crossing into the wasm costs more than
    // most answers): the tagged href, or "" to leave the link alone; the
    // answers are kept (`given`). Callers pass only hrefs that may be chat
    // links (CHAT) and hold no separator.
    var tags = function (pairs) {
      var list = ask(TAGS, pairs).split(SEP);
      given.add(list, pairs);
      return list;
    };
    var answer = function (url) {
      return url.indexOf(SEP) < 0 && tags([url, ""])[0];
    };
    // Gives links what the wasm says they should be, starting from the
    // site's own href. An href we gave since the last scan is current, and
    // recomputed from its original only when asked (`again`: the link's
    // starter text changed; a scan asks too, but has moved every answer
    // before it to `older`); one we gave before the last scan (on a copy
    // made then, say) is recomputed. Each attribute is read once (a starter
    // text only when the page has one anywhere, which is looked up once a
    // chat link is found, or for a single link: a clicked one may be in a
    // shadow root, which the page's search does not see), only links whose
    // href may be a chat link (or is ours) are looked at further, and only
    // an href that changes is written: one DOM write per tagged link, and
    // no other bookkeeping per link.
    var tagAll = function (links, again) {
      var todo = [],
        pairs = [],
        texts,
        i,
        href,
        text,
        original,
        tagged;
      for (i = 0; i < links.length; i++) {
        href = links[i].getAttribute("href");
        if (href == null) continue;
        original = given.find(href);
        if (
          original
            ? !again
            : !(original = older.find(href)) && (!CHAT.test(href) || href.indexOf(SEP) >= 0)
        )
          continue;
        if (texts == null)
          texts =
            links.length < 2 ||
            docs.some(function (doc) {
              return doc.querySelector("[" + TEXT + "]");
            });
        text = texts && links[i].getAttribute(TEXT);
        todo.push(links[i], href);
        pairs.push(original || href, text && text.indexOf(SEP) < 0 ? text : "");
      }
      if (!todo.length) return;
      tagged = tags(pairs);
      for (i = 0; i < todo.length; i += 2)
        if ((href = tagged[i / 2] || pairs[i]) != todo[i + 1]) todo[i].setAttribute("href", href);
    };
    // Our own writes are not the page's mutations: they are made while the
    // observer is disconnected, so the browser records none of them (records
    // taken and dropped afterwards were a third of the cost of a thousand
    // writes). Disconnecting drops pending records too, so this is called
    // where nothing else is pending: at a scan, which reads the whole page,
    // and in the observer's callback.
    var quietly = function (f) {
      if (observer) observer.disconnect();
      try {
        f();
      } finally {
        docs.forEach(observe);
      }
    };
    var observe = function (doc) {
      observer.observe(doc, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ["href", TEXT],
      });
    };
    // Answers given with the current session code: `add` keeps them as
    // `tags` had them (lists and questions), `find` says the original of an
    // href that is one of them. The map from tagged href to original is made
    // only when first needed: a tagged href carries its code, so an href
    // without it is not looked up, and a page load's first scan, and most
    // links added later, make no map at all.
    var answers = function () {
      var code = api.code,
        lists = [],
        map,
        remember = function (list, pairs) {
          for (var i = 0; i < pairs.length; i += 2) if (list[i / 2]) map.set(list[i / 2], pairs[i]);
        };
      return {
        add: function (list, pairs) {
          map ? remember(list, pairs) : lists.push(list, pairs);
        },
        find: function (href) {
          if (!code || href.indexOf(code) < 0) return;
          if (!map) for (map = new Map(); lists.length; ) remember(lists.shift(), lists.shift());
          return map.get(href);
        },
      };
    };
    // Recomputes every link, after the session, page, config or consent
    // changed: every answer given before is out of date.
    var scan = function () {
      older = given;
      given = answers();
      quietly(function () {
        docs.forEach(function (doc) {
          tagAll(doc.querySelectorAll(LINKS), 1);
        });
      });
    };

    // A chat is being opened with `url`: count it (once, even when a widget
    // both follows a link and calls window.open).
    var opened = function (url) {
      var chat = ask(CLICK, [url]),
        now = Date.now();
      if (chat && (url != last || now - lastAt > 1000)) {
        last = url;
        lastAt = now;
        chat = chat.split(SEP);
        send(CLICKS, { page: clip(location.href), number: chat[0], kind: chat[1], id: random(16) }, 1);
      }
    };

    var configure = function (text) {
      var c = JSON.parse(text),
        // join writes arrays comma-separated and null or undefined as "".
        fields = [c.numbers, c.bots, c.template];
      domains = (c.domains || []).map(bare);
      (c.pages || []).forEach(function (p) {
        fields.push(p.path, p.text, p.template);
      });
      ask(CONFIGURE, fields);
    };

    // Capture phase on the window: we see the click before the page's own
    // handlers can stop it, and the href is ours before the browser
    // follows it. Keyboard activation arrives as a click too. Never
    // prevents the default: the link works whatever happens here.
    var onClick = safe(function (e) {
      var target = e.composedPath()[0],
        a = target && target.closest && target.closest(LINKS);
      // auxclick is any non-primary button; only the middle one opens a link.
      if (!a || !started || (e.type == "auxclick" && e.button != 1)) return;
      tagAll([a]);
      if (e.type != "contextmenu") opened(a.getAttribute("href"));
    });

    var onMutations = safe(function (records) {
      var links = [],
        texts = [];
      for (var i = 0; i < records.length; i++) {
        var r = records[i],
          added = r.addedNodes;
        if (r.type == "attributes") (r.attributeName == TEXT ? texts : links).push(r.target);
        else
          for (var j = 0; j < added.length; j++) {
            var n = added[j];
            if (n.nodeType == 1) {
              if (n.matches(LINKS)) links.push(n);
              if (n.firstElementChild) links.push.apply(links, n.querySelectorAll(LINKS));
            }
          }
      }
      quietly(function () {
        tagAll(links);
        tagAll(texts, 1);
      });
    });

    // pushState, replaceState and popstate are page views when the URL
    // (without its fragment) changed; links are recomputed for the new page.
    var onNavigate = safe(function () {
      if (started && location.href.split("#")[0] != page) {
        view("");
        scan();
      }
    });

    // A GET form whose action is a chat link (a "message us" box): the
    // browser builds the URL from its fields after this event, so the text
    // field (made if missing) gets what the wasm says. In the bubble phase:
    // a form the page's own handler cancels is left alone.
    var onSubmit = safe(function (e) {
      var form = e.target,
        url = new URL(form.action),
        tagged,
        name,
        field;
      if (!started || e.defaultPrevented || form.method != "get" || !CHAT.test(url)) return;
      url.search = new URLSearchParams(new FormData(form, e.submitter));
      if ((tagged = answer(url.href))) {
        tagged = new URL(tagged).searchParams;
        name = tagged.has("start") ? "start" : "text";
        field = form.elements[name];
        if (!field) {
          field = form.ownerDocument.createElement("input");
          field.type = "hidden";
          field.name = name;
          form.appendChild(field);
        }
        field.value = tagged.get(name);
        url.search = new URLSearchParams(new FormData(form, e.submitter));
        opened(url.href);
      }
    });

    // Hooks an iframe's window unless another origin's (which throws).
    var inner = function (element) {
      try {
        if (element.contentWindow) frame(element.contentWindow);
      } catch (e) {}
    };

    // Hooks a window: the page's, and each same-origin iframe's, whose
    // links, clicks, forms, window.open and navigations are the page's too.
    var frame = function (win) {
      var doc = win.document,
        open = win.open,
        navigation = win.navigation;
      if (docs.indexOf(doc) >= 0) return;
      // Documents of removed or navigated iframes are let go.
      (docs = docs.filter(function (doc) {
        return doc.defaultView;
      })).push(doc);
      observe(doc);
      // A document hooked after the start (an iframe loaded later); the
      // start's own scan tags the others.
      if (started && hooked)
        quietly(function () {
          tagAll(doc.querySelectorAll(LINKS));
        });
      [].forEach.call(doc.querySelectorAll("iframe"), inner);
      // Iframes that load later: an element's load event reaches its
      // document in the capture phase, never the window.
      doc.addEventListener(
        "load",
        function (e) {
          inner(e.target);
        },
        true
      );
      // A window whose first document was replaced (an iframe's about:blank
      // by its content) keeps what follows.
      if (wins.has(win)) return;
      wins.add(win);
      // Also in the bubble phase, after the page's own handlers: an href they
      // build on click is tagged and counted before the browser follows it.
      ["click", "auxclick", "contextmenu"].forEach(function (type) {
        win.addEventListener(type, onClick, true);
        win.addEventListener(type, onClick);
      });
      win.addEventListener("submit", onSubmit);
      // Chat widgets open WhatsApp with window.open: the URL gets the code
      // and the click is counted; the window opens whatever happens here.
      win.open = function (url) {
        var args = [].slice.call(arguments);
        safe(function () {
          if (started && url != null && CHAT.test((url += ""))) {
            args[0] = url = answer(url) || url;
            opened(url);
          }
        })();
        return open.apply(this, args);
      };
      // Navigations by script (location.assign, location.href = …, a form a
      // page's handler submits) where the browser has the Navigation API:
      // one to a chat link is replaced by one to the tagged link, compared
      // as the browser writes URLs (so this ends). A visitor's own clicks
      // and submits were handled above.
      if (navigation)
        navigation.addEventListener(
          "navigate",
          safe(function (e) {
            var url = e.destination.url,
              tagged = started && !e.userInitiated && CHAT.test(url) && answer(url);
            if (!tagged) return;
            if ((tagged = new URL(tagged).href) == url) opened(url);
            else if (e.cancelable) {
              e.preventDefault();
              win.location[e.navigationType == "replace" ? "replace" : "assign"](tagged);
            }
          })
        );
    };

    var hook = function () {
      observer = new MutationObserver(onMutations);
      frame(w);
      hooked = 1;
      var history = w.history;
      ["pushState", "replaceState"].forEach(function (name) {
        var original = history[name];
        history[name] = function () {
          var result = original.apply(this, arguments);
          onNavigate();
          return result;
        };
      });
      w.addEventListener("popstate", onNavigate);
      w.addEventListener("pagehide", flush);
    };

    var start = safe(function () {
      if (started || !loaded || !consented) return;
      started = 1;
      // The last config first, so links are tagged at once and even when
      // the collector cannot be reached; then a fresh one.
      safe(configure)(get(CONFIG) || "{}");
      view(d.referrer);
      // The page is hooked once; each start (consent given again too)
      // tags every link.
      if (!hooked) hook();
      scan();
      // After this task, like the beacons.
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
      safe(function () {
        d.dispatchEvent(new CustomEvent("chatrail:ready", { detail: api }));
      })();
    };

    // The page's API: the one global the snippet adds.
    var api = (w.chatrail = {
      // The current session code; null until there is a session.
      code: null,
      // A chat link for a number (or "@bot"), tracked when the chat is.
      url: safe(function (chat, text) {
        return ask(CHAT_URL, [chat, text]);
      }),
      // Calls `f(chatrail)` once the snippet has loaded.
      ready: function (f) {
        waiting ? waiting.push(f) : safe(f)(api);
      },
      // consent(true) starts storing and sending (with data-consent="required");
      // consent(false) forgets the visitor and restores the links.
      consent: safe(function (granted) {
        consented = granted !== false;
        if (consented) return start();
        if (started) {
          started = 0;
          outbox = [];
          ask(RESET, []);
          api.code = null;
          scan();
        }
        forget(VISITOR);
        forget(SESSION);
        forget(CONFIG);
        forget(QUEUE);
      }),
    });

    // The collector replaces the placeholder with a content-hashed path
    // (served as application/wasm, which streaming needs). A browser
    // without streaming instantiation (Safari before 15) gets here an error,
    // swallowed: the snippet stays off and the links work as written.
    WebAssembly.instantiateStreaming(fetch(base + "__CHATRAIL_WASM_PATH__"), {})
      .then(function (result) {
        W = result.instance.exports;
        ready();
      })
      .catch(noop);
  }
} catch (e) {}
