// A fresh site's getting-started checklist, shown instead of the dialogs list until the
// first dialog: has the script tag sent a visit, has a chat link been clicked, is a
// provider's webhook set up and has it brought a message — each with when it last happened
// (`GET /api/v1/site/first-steps`). Admins get links to where each is set up.

import { api } from './api.js';
import { h } from './dom.js';
import { dateTime } from './format.js';
import { t, tOr } from './i18n.js';

/** One step: done or not, what it is, when it last happened, and how to do it. */
function step(id, done, label, status, how) {
  return h('li', { class: `step ${done ? 'done' : 'todo'}`, id, 'data-done': String(done) },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, done ? '✓' : ''),
    h('div', { class: 'step-body' },
      h('strong', null, label),
      h('span', { class: 'sr-only' }, ` (${done ? t('start.done') : t('start.not_yet')})`),
      h('div', { class: 'when muted' }, status),
      how ? h('div', { class: 'how' }, how) : null));
}

/** "Last: <time>" or "Not yet". */
function last(at, key) {
  return at ? t(key, { time: dateTime(at) }) : t('start.not_yet');
}

/** The webhooks' line: each provider set up or with a message, and when. */
function webhookStatus(webhooks) {
  const shown = webhooks.filter((w) => (w.configured && w.provider !== 'api') || w.message_at);
  if (!shown.length) return t('start.no_webhook');
  return shown.map((w) => h('div', { class: 'provider', 'data-provider': w.provider },
    `${tOr(`provider.${w.provider}`, w.provider)}: `,
    w.message_at ? t('start.last_message', { time: dateTime(w.message_at) })
      : t('start.no_message')));
}

/** The checklist for `me`'s site; without the API's answer, the steps alone. */
export async function checklist(me) {
  const settings = (label) => (me.can.settings ? h('a', { href: '#/settings' }, label) : label);
  let steps = null;
  try {
    steps = await api('/site/first-steps');
  } catch (_) { /* the steps still say what to do */ }
  const webhooks = steps ? steps.webhooks : [];
  const messaged = webhooks.some((w) => w.message_at);
  const status = (text) => (steps ? text : null);
  return h('section', { class: 'card empty-state', id: 'getting-started' },
    h('h2', null, t('start.title')),
    h('p', null, t('start.intro')),
    h('ol', { class: 'checklist' },
      step('step-script', Boolean(steps && steps.visit_at), t('start.check_script'),
        status(last(steps && steps.visit_at, 'start.last_visit')),
        [t('start.snippet'), ' ', settings(t('start.snippet_where'))]),
      step('step-click', Boolean(steps && steps.click_at), t('start.check_click'),
        status(last(steps && steps.click_at, 'start.last_click')),
        [t('start.numbers'), ' ', settings(t('start.numbers_where'))]),
      step('step-webhook', messaged, t('start.check_webhook'),
        status(webhookStatus(webhooks)),
        [t('start.webhook'), ' ', settings(t('start.webhook_where'))]),
      step('step-dialog', false, t('start.check_dialog'), null, t('start.try'))),
    me.can.settings ? null : h('p', { class: 'muted' }, t('start.ask_admin')));
}
