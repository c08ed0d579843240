// Tagging: what links become, asked of the wasm for many links at once, and
// given to them with as few DOM reads and writes as possible.
var TEXT = "data-chatrail-text",
  LINKS = "a[href],area[href]",
  // The answers given since the last scan (given) and in the scan before
  // (older): how an href is told to be ours, on the link we tagged or on a
  // copy of it (cloneNode, innerHTML), and the original it is recomputed
  // from. A scan recomputes every link, so the two hold every href we gave
  // that a link still has, and a single-page app's navigations do not pile
  // them up. See `answers`.
  given = { add: noop, find: noop },
  older = given;

// What the wasm says of each [href as the browser resolves it, own
// starter text] of `pairs`, asked all at once (crossing into the wasm
// costs more than most answers): the tagged href, or "" to leave the
// link alone; the answers are kept (`given`) with the `originals` the
// site wrote. Callers pass only hrefs that may be chat links (CHAT) and
// hold no separator.
var tags = function (pairs, originals) {
  var list = ask(OP_TAGS, pairs).split(SEP);
  given.add(list, originals);
  return list;
};
// An absolute URL's tagged form, or nothing.
var answer = function (url) {
  return url.indexOf(SEP) < 0 && tags([url, ""], [url])[0];
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
// href may be a chat link (CHAT in it or, for a relative one, in its
// base URL; or it is ours) are looked at further, as the browser
// resolves them, and only
// an href that changes is written: one DOM write per tagged link, and
// no other bookkeeping per link.
var tagAll = function (links, again) {
  var todo = [],
    pairs = [],
    originals = [],
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
        : !(original = older.find(href)) &&
          (!(CHAT.test(href) || (!ABSOLUTE.test(href) && CHAT.test(links[i].baseURI))) ||
            href.indexOf(SEP) >= 0)
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
    originals.push((original = original || href));
    pairs.push(resolve(original, links[i]), text && text.indexOf(SEP) < 0 ? text : "");
  }
  if (!todo.length) return;
  tagged = tags(pairs, originals);
  for (i = 0; i < todo.length; i += 2)
    if ((href = tagged[i / 2] || originals[i / 2]) != todo[i + 1]) todo[i].setAttribute("href", href);
};
// Answers given with the current session code: `add` keeps them as
// `tags` had them (lists and originals), `find` says the original of an
// href that is one of them. The map from tagged href to original is made
// only when first needed: a tagged href carries its code, so an href
// without it is not looked up, and a page load's first scan, and most
// links added later, make no map at all.
var answers = function () {
  var code = api.code,
    lists = [],
    map,
    remember = function (list, originals) {
      for (var i = 0; i < originals.length; i++) if (list[i]) map.set(list[i], originals[i]);
    };
  return {
    add: function (list, originals) {
      map ? remember(list, originals) : lists.push(list, originals);
    },
    find: function (href) {
      if (!code || href.indexOf(code) < 0) return;
      if (!map) for (map = new Map(); lists.length; ) remember(lists.shift(), lists.shift());
      return map.get(href);
    },
  };
};
// Recomputes every link, after the session, page, config or consent
// changed: every answer given before is out of date. A click held until
// the snippet could tag it goes now if it can.
var scan = function () {
  older = given;
  given = answers();
  quietly(function () {
    docs.forEach(function (doc) {
      tagAll(doc.querySelectorAll(LINKS), 1);
    });
  });
  release();
};
