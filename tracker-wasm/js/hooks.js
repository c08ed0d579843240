// Hooks into the page: links added or changed (a MutationObserver), clicks,
// forms, window.open, navigations, and the same in same-origin iframes.
var observer,
  hooked = 0,
  // A chat link clicked before the snippet could tag it (`hold`).
  held,
  // The documents and windows hooked: the page's and its same-origin
  // iframes'. (`wins` is made by `hook`, inside `safe`, so that nothing
  // outside the entry's `try` can throw.)
  docs = [],
  wins;

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

// Capture phase on the window: we see the click before the page's own
// handlers can stop it, and the href is ours before the browser
// follows it. Keyboard activation arrives as a click too. Once the
// snippet is ready, never prevents the default: the link works whatever
// happens here. Listened to from the script's start: a click before the
// snippet is ready may be held (`hold`).
var onClick = safe(function (e) {
  var target = e.composedPath()[0],
    a = target && target.closest && target.closest(LINKS);
  // auxclick is any non-primary button; only the middle one opens a link.
  if (!a || !consented || (e.type == "auxclick" && e.button != 1)) return;
  if (!configured()) return hold(e, a);
  tagAll([a]);
  if (e.type != "contextmenu") opened(follows(a));
});

// A visitor's plain click (primary button or the keyboard, without the
// keys that open a new tab or window) on a chat link before the snippet
// can tag it: its wasm, or on a first visit the site's config, still on
// the way. The click is stopped before the page sees it, and made again
// once the snippet is ready (`release`), then tagged and counted like
// any other; after 1.5 s it is made again as it is. The page's own
// handlers see it once, when it is made again (then untrusted, so never
// held twice). An SVG link has no click() to make it again: not held.
var hold = function (e, a) {
  if (
    e.isTrusted &&
    e.type == "click" &&
    a.click &&
    !(e.button || e.ctrlKey || e.shiftKey || e.metaKey) &&
    CHAT.test(a.getAttribute("href"))
  ) {
    e.preventDefault();
    e.stopImmediatePropagation();
    held || setTimeout(release, 1500, 1);
    held = a;
  }
};
// Makes the held click again, once the snippet is ready or `now`.
var release = function (now) {
  var a = held;
  if (a && (now || configured())) {
    held = 0;
    a.click();
  }
};

// The click hooks of a window: from the script's start on for the page's.
// Also in the bubble phase, after the page's own handlers: an href they
// build on click is tagged and counted before the browser follows it.
var listen = function (win) {
  ["click", "auxclick", "contextmenu"].forEach(function (type) {
    win.addEventListener(type, onClick, true);
    win.addEventListener(type, onClick);
  });
};

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
          if (n.firstElementChild) links.push(...n.querySelectorAll(LINKS));
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
    name = tagged.has(START_PARAM) ? START_PARAM : TEXT_PARAM;
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
  doc.querySelectorAll("iframe").forEach(inner);
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
  listen(win);
  win.addEventListener("submit", onSubmit);
  // Chat widgets open WhatsApp with window.open: the URL gets the code
  // and the click is counted; the window opens whatever happens here.
  win.open = function (url) {
    var args = [...arguments];
    safe(function () {
      if (started && url != null && CHAT.test((url += ""))) {
        url = resolve(url, doc);
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
  wins = new WeakSet();
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
