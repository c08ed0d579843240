// The beacons: what they carry (chatrail-core's beacon fields, clipped to
// what the collector accepts), sending them, and keeping those that failed
// for the next page view.
var CLICKS = "/collect/click",
  VISITS = "/collect/visit",
  // Beacons to send after the current task (see `send`).
  outbox = [],
  // The last chat opened, and when (see `opened`).
  last = "",
  lastAt = 0;

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
      fields[FIELD_SCREEN_W] = size(screen.width);
      fields[FIELD_SCREEN_H] = size(screen.height);
      fields[FIELD_LANGUAGE] = short(navigator.language);
      try {
        fields[FIELD_TIMEZONE] = short(Intl.DateTimeFormat().resolvedOptions().timeZone);
        // The visitor's ids in GA4 and Yandex Metrica, from their own cookies,
        // digits only (MAX_ID_DIGITS a run, as the collector checks): GA4's
        // client id is the last two fields of `_ga` (GA1.1.<random>.<time>),
        // its session id the first `_ga_<container>`'s (GS1.1.<id>.… or
        // GS2.1.s<id>$…), Metrica's ClientID `_ym_uid`. Here, not at the page
        // view: reading document.cookie may throw (sandboxed frames).
        fields[FIELD_GA_CLIENT_ID] = cookie(/; _ga=GA\d+\.\d+\.(\d{1,20}\.\d{1,20});/);
        fields[FIELD_GA_SESSION_ID] = cookie(/; _ga_\w+=GS\d+\.\d+\.s?(\d{1,20})[.$]/);
        fields[FIELD_YM_CLIENT_ID] = cookie(/; _ym_uid=(\d{1,20});/);
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
    fields[FIELD_SITE] = site;
    fields[FIELD_VISITOR] = visitor;
    fields[FIELD_SESSION] = session;
    fields[FIELD_CODE] = api.code;
    // Advertising consent denied: every beacon says so from now on.
    ads || (fields[FIELD_ADS] = false);
    outbox.push([path, fields, 0]);
  }
  now ? flush() : setTimeout(flush);
};

// What the collector accepts: URLs of at most MAX_URL_LEN bytes (ASCII, as
// browsers serialize them), short strings of at most MAX_SHORT_LEN, sizes
// in 1..MAX_SCREEN_PX.
var clip = function (url) {
  return url.slice(0, MAX_URL_LEN) || undefined;
};
var short = function (s) {
  return s && s.length <= MAX_SHORT_LEN ? s : undefined;
};
var cookie = function (re) {
  return (("; " + d.cookie + ";").match(re) || [])[1];
};
var size = function (n) {
  return n > 0 && n <= MAX_SCREEN_PX ? n : undefined;
};

// A chat is being opened with `url`: count it (once, even when a widget
// both follows a link and calls window.open).
var opened = function (url) {
  var chat = ask(OP_CLICK, [url]),
    now = Date.now();
  if (chat && (url != last || now - lastAt > 1000)) {
    last = url;
    lastAt = now;
    chat = chat.split(SEP);
    send(
      CLICKS,
      {
        [FIELD_PAGE]: clip(location.href),
        [FIELD_NUMBER]: chat[0],
        [FIELD_KIND]: chat[1],
        [FIELD_ID]: newId(),
      },
      1
    );
  }
};
