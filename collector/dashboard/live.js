// New messages as they arrive: `GET /api/v1/live`, a stream of server-sent events read with
// fetch() (EventSource cannot send the token's Authorization header, and a token never goes
// in a URL). A page subscribes while it is shown; the stream reconnects with backoff when it
// drops (signed in with a password, the session cookie and the site header go instead of
// the token). Dialogs with messages the operator has not seen since last opening them are kept
// per site on this device, and marked unread in the list.

import { authHeaders, hadSession, token } from './api.js';

const unreadKey = (site) => `chatrail.unread.${site}`;

function unreadOf(site) {
  try {
    return JSON.parse(localStorage.getItem(unreadKey(site))) || {};
  } catch (_) {
    return {};
  }
}

/** Whether dialog `id` of `site` has a message the operator has not seen. */
export function isUnread(site, id) {
  return Boolean(unreadOf(site)[id]);
}

/** Marks dialog `id` of `site` unread (`true`) or seen. */
export function markUnread(site, id, unread) {
  const all = unreadOf(site);
  if (unread) all[id] = Date.now();
  else delete all[id];
  localStorage.setItem(unreadKey(site), JSON.stringify(all));
}

/** Parses the server-sent events in `text`; returns the unfinished rest. */
function parse(text, onEvent) {
  let rest = text.replaceAll('\r\n', '\n');
  let end = rest.indexOf('\n\n');
  while (end >= 0) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trim());
    }
    if (data.length && name === 'message') {
      try {
        onEvent(JSON.parse(data.join('\n')));
      } catch (_) { /* not an event of ours */ }
    }
    end = rest.indexOf('\n\n');
  }
  return rest;
}

/**
 * Calls `onEvent({dialog_id, started, at})` for each new message of the site while `el` is
 * in the document; every event first marks its dialog unread unless `open` is its id.
 */
export function subscribe(me, el, onEvent, open) {
  let delay = 1000;
  let controller = null;
  const born = Date.now();
  // Until the page is first shown (it is built before), give it a moment.
  const shown = () => el.isConnected || (!el.dataset.liveShown && Date.now() - born < 10000);
  const connect = async () => {
    if (!shown() || !(token() || hadSession())) return;
    controller = new AbortController();
    try {
      const res = await fetch('/api/v1/live', {
        headers: authHeaders(),
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(String(res.status));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        delay = 1000;
        text = parse(text + decoder.decode(value, { stream: true }), (event) => {
          // A page already replaced (its stream not aborted yet) does nothing.
          if (!el.isConnected) return;
          if (event.dialog_id !== open) markUnread(me.site.key, event.dialog_id, true);
          onEvent(event);
        });
      }
    } catch (_) { /* dropped: reconnect below */ }
    if (!shown()) return;
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  };
  // Stop once the page is replaced.
  const watch = setInterval(() => {
    if (el.isConnected) el.dataset.liveShown = '1';
    if (!shown()) {
      clearInterval(watch);
      if (controller) controller.abort();
    }
  }, 1000);
  connect();
}
