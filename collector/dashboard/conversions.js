// Conversions in the admins' settings: where a site's chats and sales are sent back (a CRM's
// webhook, Meta's Conversions API, GA4's Measurement Protocol), a form to add a destination,
// and per destination a pause/resume toggle, an edit form, a test event and its delivery log
// with a retry of what was not sent.
// Credentials go one way: the API never shows them back, and the form forgets them once
// sent; only a webhook's signing secret made up by the server is shown, once.

import { api, query } from './api.js';
import { errorBox, field, h, replace, scrollBox } from './dom.js';
import { count, dateTime } from './format.js';
import { t, tOr } from './i18n.js';
import { copyBox } from './settings.js';

const KINDS = ['webhook', 'meta', 'ga4'];
/** States a retry can make due again (a sent delivery is never sent twice). */
const UNSENT = new Set(['pending', 'failed', 'expired', 'dropped']);
/** How much of the platform's answer a row shows before it is opened. */
const ANSWER_CHARS = 60;
const LOG_LIMIT = 50;
/** The events each kind gets when the form names none (the server's defaults), as a hint. */
const DEFAULT_EVENTS = {
  webhook: 'started = dialog.started\nmatched = dialog.matched\noutcome = outcome.changed',
  meta: 'started = LeadSubmitted\nstage:qualified = QualifiedLead\nwon = Purchase',
  ga4: 'started = generate_lead\nstage:qualified = qualify_lead\nwon = purchase',
};

/** A delivery's state in words; a pending one already tried is "retrying". */
function stateOf(d) {
  return d.state === 'pending' && d.attempts > 0 ? 'retrying' : d.state;
}

function stateBadge(state) {
  return h('span', { class: `badge state ${state}`, 'data-state': state }, t(`conversions.state.${state}`));
}

/** Triggers in the order a dialog goes through them (stages between outcome and won). */
function triggerRank(trigger) {
  const rank = ['started', 'matched', 'outcome', 'stage:', 'won'].findIndex((p) => trigger.startsWith(p));
  return rank < 0 ? 9 : rank;
}

/** A trigger (`started`, `stage:qualified`, …) in words. */
function triggerName(trigger) {
  if (trigger.startsWith('stage:')) return t('conversions.trigger.stage', { stage: trigger.slice(6) });
  return tOr(`conversions.trigger.${trigger}`, trigger);
}

function eventName(d) {
  const name = tOr(`conversions.event.${d.event}`, d.event);
  return d.stage ? t('conversions.event_stage', { event: name, stage: d.stage }) : name;
}

/** The platform's answer: short ones as they are, long ones cut, whole when opened. */
function answerCell(text) {
  if (!text) return '—';
  if (text.length <= ANSWER_CHARS) return h('code', null, text);
  const cut = () => h('code', null, `${text.slice(0, ANSWER_CHARS)}…`);
  const summary = h('summary', { title: text }, cut());
  const details = h('details', { class: 'answer' }, summary, h('pre', null, text));
  // Open, the whole text is below: the summary only folds it again.
  details.addEventListener('toggle', () => replace(summary, details.open ? t('conversions.answer_less') : cut()));
  return details;
}

/** The delivery log of destination `d`, with its refresh; `changed` redraws the counts. */
function deliveryLog(d, changed) {
  const body = h('tbody');
  const message = h('div', { class: 'log-message' });
  const labels = ['time', 'event', 'state', 'attempts', 'status', 'answer', ''].map((c) => (c ? t(`conversions.col.${c}`) : ''));
  const td = (i, attrs, ...children) => h('td', { 'data-label': labels[i], ...attrs }, ...children);
  let follow = null;
  const draw = async () => {
    const log = await api(`/conversions/destinations/${d.destination_id}/deliveries${query({ limit: LOG_LIMIT })}`);
    if (!log.length) {
      replace(body, h('tr', null, h('td', { colspan: labels.length, class: 'empty muted' }, t('conversions.no_deliveries'))));
      return log;
    }
    replace(body, log.map((x) => {
      const state = stateOf(x);
      return h('tr', { 'data-event': x.event_id, 'data-state': state },
        td(0, { class: 'nowrap' }, dateTime(x.occurred_at)),
        td(1, null, eventName(x)),
        td(2, null, stateBadge(state),
          x.state === 'pending' && x.next_at
            ? h('div', { class: 'muted next' }, t('conversions.next_try', { time: dateTime(x.next_at) })) : null),
        td(3, { class: 'num' }, count(x.attempts)),
        td(4, { class: 'num' }, x.status == null ? '—' : String(x.status)),
        td(5, { class: 'answer' }, answerCell(x.answer)),
        td(6, null, UNSENT.has(x.state) ? h('button', {
          type: 'button', class: 'link retry',
          onclick: () => act(`/deliveries/${x.event_id}/retry`, null),
        }, t('conversions.retry')) : null));
    }));
    return log;
  };
  // After an action, look again for a few seconds while something is about to be sent.
  const refresh = async (times = 0) => {
    clearTimeout(follow);
    // A retry button redrawn away takes the focus with it: it goes to the refresh button.
    const focused = body.contains(document.activeElement);
    try {
      const log = await draw();
      if (focused && !body.contains(document.activeElement)) refreshButton.focus();
      await changed();
      const soon = log.some((x) => x.state === 'pending' && Date.parse(x.next_at) < Date.now() + 5000);
      // Not once its page is gone.
      if (times > 0 && soon) follow = setTimeout(() => body.isConnected && refresh(times - 1), 1000);
    } catch (err) {
      replace(message, errorBox(err, () => refresh()));
    }
  };
  /** POSTs `path` under the destination, says `done`, and follows the log. */
  const act = async (path, done) => {
    replace(message);
    try {
      await api(`/conversions/destinations/${d.destination_id}${path}`, { method: 'POST' });
      if (done) replace(message, h('p', { class: 'ok', role: 'status' }, done));
    } catch (err) {
      replace(message, errorBox(err));
    }
    await refresh(10);
  };
  const refreshButton = h('button', { type: 'button', class: 'link refresh', onclick: () => refresh() }, t('conversions.refresh'));
  const box = h('div', { class: 'log', hidden: true },
    h('div', { class: 'log-head' }, h('h4', null, t('conversions.log')), refreshButton),
    scrollBox(t('conversions.log'), h('table', { class: 'list cards deliveries' },
      h('thead', null, h('tr', null, labels.map((c) => h('th', { scope: 'col' }, c)))), body)));
  return { box, message, act, refresh };
}

/** `trigger = name` per line, as the events textarea reads them. */
function eventsText(events) {
  return Object.entries(events || {}).sort(([a], [b]) => triggerRank(a) - triggerRank(b))
    .map(([trigger, name]) => `${trigger} = ${name}`).join('\n');
}

/** The form changing destination `d` (hidden until opened); `onSaved()` after the API took it. */
function editForm(d, onSaved) {
  const text = (name, attrs = {}) => h('input', { name, spellcheck: 'false', ...attrs });
  const name = text('name', { required: true, maxlength: 60, value: d.name });
  const endpoint = text('endpoint', { type: 'url', required: d.kind === 'webhook', value: d.endpoint });
  const events = h('textarea', { name: 'events', rows: 3, spellcheck: 'false' });
  events.value = eventsText(d.events);
  const secret = secretInput('secret', false);
  const message = h('div', { class: 'message' });
  const save = h('button', { type: 'submit' }, t('conversions.save'));
  const form = h('form', { class: 'settings edit-destination', hidden: true },
    h('h4', null, t('conversions.edit_title', { name: d.name })),
    field(t('conversions.name'), name),
    field(t(d.kind === 'webhook' ? 'conversions.endpoint' : 'conversions.base_url'), endpoint),
    field(t('conversions.events'), events),
    field(t('conversions.new_secret'), secret),
    message,
    h('div', { class: 'actions' }, save, h('button', {
      type: 'button', class: 'link cancel', onclick: () => { form.hidden = true; replace(message); },
    }, t('conversions.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: name.value.trim(),
      endpoint: endpoint.value.trim() || undefined,
      events: parseEvents(events.value) || {},
      // Blank keeps the stored secret.
      secret: secret.value.trim() || undefined,
    };
    save.disabled = true;
    replace(message);
    try {
      await api(`/conversions/destinations/${d.destination_id}`, { method: 'PATCH', body });
      secret.value = '';
      await onSaved();
    } catch (err) {
      replace(message, errorBox(err));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/** One destination: what it is, its counts, its actions and its log; `onChanged(id)` redraws. */
function destinationItem(d, onRemoved, onChanged) {
  const counts = h('p', { class: 'counts' });
  const drawCounts = (deliveries) => {
    const states = Object.entries(deliveries || {}).filter(([, n]) => n > 0);
    replace(counts, states.length
      ? states.map(([s, n]) => h('span', { class: `badge state ${s}`, 'data-state': s },
        t('conversions.state_count', { state: t(`conversions.state.${s}`), n: count(n) })))
      : h('span', { class: 'muted' }, t('conversions.no_deliveries')));
  };
  drawCounts(d.deliveries);
  const log = deliveryLog(d, async () => {
    const all = await api('/conversions/destinations');
    const now = all.find((x) => x.destination_id === d.destination_id);
    if (now) drawCounts(now.deliveries);
  });
  const toggle = h('button', {
    type: 'button', class: 'link show-log', 'aria-expanded': 'false',
    onclick: async () => {
      const open = log.box.hidden;
      log.box.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = t(open ? 'conversions.hide_log' : 'conversions.log');
      if (open) await log.refresh();
    },
  }, t('conversions.log'));
  const openLog = () => {
    if (log.box.hidden) toggle.click();
  };
  const settings = Object.entries(d.settings || {});
  const edit = editForm(d, () => onChanged(d.destination_id, '.edit'));
  const pause = h('button', {
    type: 'button', class: 'pause', 'aria-pressed': String(!d.enabled),
    onclick: async () => {
      pause.disabled = true;
      try {
        const body = { enabled: !d.enabled };
        await api(`/conversions/destinations/${d.destination_id}`, { method: 'PATCH', body });
        await onChanged(d.destination_id, '.pause');
      } catch (err) {
        replace(log.message, errorBox(err));
        pause.disabled = false;
      }
    },
  }, t(d.enabled ? 'conversions.pause' : 'conversions.resume'));
  const state = d.enabled ? 'on' : 'paused';
  return h('article', { class: `destination ${state}`, 'data-id': d.destination_id, 'data-kind': d.kind, 'data-enabled': String(d.enabled) },
    h('header', null, h('h3', null, d.name), h('span', { class: 'badge kind' }, t(`conversions.kind.${d.kind}`)),
      d.enabled ? null : h('span', { class: 'badge paused' }, t('conversions.disabled'))),
    d.enabled ? null : h('p', { class: 'paused-note' }, t('conversions.paused_note')),
    h('dl', null,
      h('dt', null, t('conversions.sends_to')), h('dd', null, h('code', { class: 'endpoint' }, d.endpoint)),
      settings.length ? [h('dt', null, t('conversions.ids')), h('dd', null, settings.map(([k, v]) => h('div', null,
        tOr(`conversions.setting.${k}`, k), ': ', h('code', null, v))))] : null,
      h('dt', null, t('conversions.events_label')),
      h('dd', null, h('ul', { class: 'plain events' }, Object.entries(d.events || {})
        .sort(([a], [b]) => triggerRank(a) - triggerRank(b)).map(([trigger, name]) => h('li', null,
        triggerName(trigger), ' → ', h('code', null, name))))),
      h('dt', null, t('conversions.deliveries_label')), h('dd', null, counts)),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'send-test',
        onclick: () => {
          openLog();
          return log.act('/test', t('conversions.test_queued'));
        },
      }, t('conversions.send_test')),
      pause,
      h('button', {
        type: 'button', class: 'link edit', 'aria-expanded': 'false',
        onclick: (e) => {
          edit.hidden = !edit.hidden;
          e.target.setAttribute('aria-expanded', String(!edit.hidden));
          if (!edit.hidden) edit.elements.name.focus();
        },
      }, t('conversions.edit')),
      toggle,
      h('button', {
        type: 'button', class: 'link danger remove',
        onclick: async () => {
          if (!confirm(t('conversions.remove_confirm', { name: d.name }))) return;
          try {
            await api(`/conversions/destinations/${d.destination_id}`, { method: 'DELETE' });
            await onRemoved();
          } catch (err) {
            replace(log.message, errorBox(err));
          }
        },
      }, t('conversions.remove'))),
    edit, log.message, log.box);
}

/** `trigger = name` per line; `undefined` (the platform's names) when empty. */
function parseEvents(text) {
  const pairs = text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const at = l.indexOf('=');
    return at < 0 ? [l, ''] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
  });
  return pairs.length ? Object.fromEntries(pairs) : undefined;
}

/** An input for a secret: never filled in by the browser's password manager. */
function secretInput(name, required) {
  return h('input', { type: 'password', name, required, autocomplete: 'new-password', spellcheck: 'false' });
}

/** The form adding a destination; `onAdded(created)` after the API took it. */
function newDestinationForm(onAdded) {
  const kind = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k }, t(`conversions.kind.${k}`))));
  const text = (name, attrs = {}) => h('input', { name, spellcheck: 'false', ...attrs });
  // One set of fields per kind; the others are disabled, so their `required` does not count.
  const fields = {
    webhook: h('fieldset', { 'data-kind': 'webhook' },
      field(t('conversions.endpoint'), text('endpoint', { type: 'url', required: true, placeholder: 'https://crm.example/hooks/chatrail' })),
      field(t('conversions.webhook_secret'), secretInput('secret', false))),
    meta: h('fieldset', { 'data-kind': 'meta' },
      field(t('conversions.setting.dataset_id'), text('dataset_id', { required: true, inputmode: 'numeric', pattern: '[0-9]+' })),
      field(t('conversions.setting.whatsapp_business_account_id'), text('whatsapp_business_account_id', { inputmode: 'numeric', pattern: '[0-9]+' })),
      field(t('conversions.access_token'), secretInput('secret', true)),
      field(t('conversions.setting.test_event_code'), text('test_event_code'))),
    ga4: h('fieldset', { 'data-kind': 'ga4' },
      field(t('conversions.setting.measurement_id'), text('measurement_id', { required: true, placeholder: 'G-XXXXXXXXXX', pattern: 'G-[A-Za-z0-9]+' })),
      field(t('conversions.api_secret'), secretInput('secret', true))),
  };
  const baseUrl = field(t('conversions.base_url'), text('base_url', { type: 'url' }));
  const events = h('textarea', { name: 'events', rows: 3, spellcheck: 'false' });
  const message = h('div', { class: 'message' });
  const submit = h('button', { type: 'submit' }, t('conversions.add'));
  const form = h('form', { class: 'settings', id: 'new-destination' },
    h('h3', null, t('conversions.new')),
    field(t('conversions.kind'), kind),
    field(t('conversions.name'), text('name', { required: true, maxlength: 60, placeholder: t('conversions.name_hint') })),
    Object.values(fields),
    h('details', { class: 'advanced' }, h('summary', null, t('conversions.advanced')),
      baseUrl, field(t('conversions.events'), events)),
    message, submit);
  const show = () => {
    for (const [k, set] of Object.entries(fields)) {
      set.hidden = k !== kind.value;
      set.disabled = k !== kind.value;
    }
    // A webhook's endpoint is its URL; the others' base URL is an override.
    baseUrl.hidden = kind.value === 'webhook';
    events.placeholder = DEFAULT_EVENTS[kind.value];
  };
  kind.addEventListener('change', show);
  show();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const set = fields[kind.value];
    const value = (name) => (set.elements[name] ? set.elements[name].value.trim() : '');
    const settings = {};
    for (const input of set.querySelectorAll('input:not([type=password]):not([name=endpoint])')) {
      if (input.value.trim()) settings[input.name] = input.value.trim();
    }
    const body = {
      kind: kind.value,
      name: form.elements.name.value.trim(),
      settings,
      endpoint: (kind.value === 'webhook' ? value('endpoint') : form.elements.base_url.value.trim()) || undefined,
      secret: value('secret') || undefined,
      events: parseEvents(events.value),
    };
    submit.disabled = true;
    replace(message, h('p', { class: 'muted', role: 'status' }, t('conversions.adding')));
    try {
      const created = await api('/conversions/destinations', { method: 'POST', body });
      replace(message);
      // The credentials typed leave the page with the request.
      form.reset();
      show();
      await onAdded(created);
    } catch (err) {
      replace(message, errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/**
 * The Conversions section of the settings, its destinations loaded; nothing for a token
 * that may not see them (the API answers 403).
 */
export async function conversionsSection() {
  const list = h('div', { id: 'destinations' });
  const notice = h('div', { id: 'destination-notice' });
  const heading = h('h2', { tabindex: -1 }, t('conversions.title'));
  // The removed one's button is gone: the focus goes to the section's heading.
  const removed = async () => {
    replace(notice);
    await draw();
    heading.focus();
  };
  // A changed one is drawn again: the focus goes back to the button that changed it.
  const changed = async (id, button) => {
    replace(notice);
    await draw();
    const again = list.querySelector(`[data-id="${id}"] ${button}`);
    if (again) again.focus();
  };
  const draw = async () => {
    const all = await api('/conversions/destinations');
    replace(list, all.length
      ? all.map((d) => destinationItem(d, removed, changed))
      : h('p', { class: 'muted empty-list' }, t('conversions.none')));
  };
  try {
    await draw();
  } catch (err) {
    if (err.status === 403) return null;
    replace(list, errorBox(err, () => draw().catch((e) => replace(list, errorBox(e)))));
  }
  const form = newDestinationForm(async (created) => {
    replace(notice, h('div', { class: 'ok', role: 'status' },
      h('p', null, t('conversions.added', { name: created.name })),
      created.secret ? [h('p', { class: 'once' }, t('conversions.secret_once', { name: created.name })),
        copyBox('new-destination-secret', created.secret)] : null));
    await draw();
  });
  return h('section', { class: 'card', id: 'conversions' },
    heading,
    h('p', { class: 'muted' }, t('conversions.intro')),
    h('div', { class: 'conversions-body' }, h('div', null, notice, list), form));
}
