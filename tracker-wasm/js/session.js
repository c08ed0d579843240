// Page views: the visitor and the session (stored), where the visit comes
// from, and the visit's beacon.
var visitor,
  session,
  // This page's URL without its fragment.
  page = "",
  // The site's own domains (from its config): not a new source.
  domains = [];

// A host without its "www.", as sources and the site's domains compare it.
var bare = function (host) {
  return host.toLowerCase().replace(/^www\./, "");
};

// A page view: at start, and when a single-page app changes the URL. It
// goes on with the stored session unless it has been idle SESSION_IDLE_MS or
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
    source = (hash >>> 0).toString(16).padStart(8, 0);
  }
  visitor = ID.test(v[0]) && !(now - v[1] > VISITOR_IDLE_MS) ? v[0].toLowerCase() : newId();
  var goesOn =
    ID.test(s[0]) &&
    /^\d+$/.test(s[2]) &&
    now - s[2] <= SESSION_IDLE_MS &&
    (!source || source == (s[3] || ""));
  // The wasm keeps a stored code that is valid, else makes a new one.
  code = ask(OP_VIEW, [goesOn ? s[1] : "", random(VIEW_RANDOM_BYTES), location.pathname]);
  if (goesOn && code == s[1]) {
    session = s[0].toLowerCase();
    source = s[3] || "";
  } else session = newId();
  set(VISITOR, visitor + "|" + now);
  set(SESSION, [session, code, now, source].join("|"));
  api.code = code;
  // What failed earlier goes out first: a click needs its session's visit.
  outbox = queued().concat(outbox);
  forget(QUEUE);
  send(VISITS, { [FIELD_URL]: clip(location.href), [FIELD_REFERRER]: clip(referrer) });
};
