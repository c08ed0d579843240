// The source card of one dialog: where the client came from and who they are, every field
// of the product's card, the contact's earlier dialogs, the operator's tags, and the
// dialog's outcome (stage, a won deal's value) with a form to change it and its history.

import { api } from './api.js';
import { errorBox, field, h, replace, scrollBox, select } from './dom.js';
import { channelName, count, dateTime, duration, kindName, matchName, money, orDash, percent,
  stageName } from './format.js';
import { t } from './i18n.js';
import { markUnread, subscribe } from './live.js';

/** A titled list of label → value pairs; empty values show a dash. */
function facts(title, id, pairs) {
  return h('section', { class: 'card facts', id },
    h('h2', null, title),
    h('dl', null, pairs.map(([label, value]) => [
      h('dt', null, label),
      h('dd', null, value == null || value === '' ? '—' : value),
    ])));
}

function link(url) {
  return url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, url) : null;
}

function version(name, v) {
  return name ? (v ? `${name} ${v}` : name) : null;
}

function clickIds(ids) {
  const entries = Object.entries(ids || {});
  return entries.length
    ? h('ul', { class: 'plain' }, entries.map(([k, v]) => h('li', null, h('code', null, k), ' ', v)))
    : null;
}

function source(title, id, s) {
  if (!s) return facts(title, id, [[t('card.session'), t('card.no_session')]]);
  return facts(title, id, [
    [t('card.channel'), channelName(s.channel)],
    [t('card.source'), s.source],
    [t('card.medium'), s.utm_medium],
    [t('card.campaign'), s.utm_campaign],
    [t('card.ad'), s.utm_content],
    [t('card.keyword'), s.keyword || s.utm_term],
    ['utm_source', s.utm_source],
    [t('card.referrer'), link(s.referrer)],
    [t('card.referring_domain'), s.referring_domain],
    [t('card.landing_page'), link(s.landing_page)],
    [t('card.click_ids'), clickIds(s.click_ids)],
    [t('card.session_start'), dateTime(s.started_at)],
    [t('card.pages_viewed'), s.pageviews],
  ]);
}

function tagsSection(card) {
  const list = h('ul', { class: 'tags', id: 'tags' });
  const message = h('div');
  const draw = (tags) => {
    replace(list, tags.length ? tags.map((tag) => h('li', null, tag,
      h('button', {
        type: 'button', class: 'remove', title: t('card.remove_tag', { tag }),
        'aria-label': t('card.remove_tag', { tag }),
        onclick: () => change('DELETE', tag),
      }, '×'))) : h('li', { class: 'muted' }, t('card.no_tags')));
  };
  const change = async (method, tag) => {
    try {
      const r = await api(`/dialogs/${card.dialog_id}/tags/${encodeURIComponent(tag)}`, { method });
      draw(r.tags);
      replace(message);
    } catch (err) {
      replace(message, errorBox(err));
    }
  };
  const input = h('input', {
    name: 'tag', placeholder: t('card.tag_hint'), size: 24, 'aria-label': t('card.tags'),
  });
  const form = h('form', { class: 'inline', id: 'add-tag' }, input,
    h('button', { type: 'submit' }, t('card.add_tag')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tag = input.value.trim();
    if (!tag) return;
    await change('PUT', tag);
    input.value = '';
  });
  draw(card.tags);
  return h('section', { class: 'card' }, h('h2', null, t('card.tags')), list, form, message);
}

/** The currency last given on this device, the next won deal's default. */
const CURRENCY = 'chatrail.currency';

/** A stage as a badge, coloured by its kind (open, won, lost). */
export function stageBadge(stage, kind) {
  return h('span', { class: `badge stage ${kind || 'open'}` }, stageName(stage));
}

/** Who made an outcome change: the token's name, or the rule. */
function changedBy(c) {
  return c.source === 'rule' ? t('outcome.by_rule', { rule: c.actor })
    : t(c.source === 'card' ? 'outcome.by_card' : 'outcome.by_api', { name: c.actor });
}

/** The dialog's outcome: its stage and value now, a form to change them (the value and
 * currency only for a won stage), and every change with who made it and when. */
function outcomeSection(card, settings) {
  const stages = settings.stages;
  const kindOf = (name) => (stages.find((s) => s.name === name) || {}).kind || 'open';
  const now = h('p', { class: 'outcome-now', id: 'outcome-now' });
  const changes = h('div', { id: 'outcome-history' });
  const message = h('div', { id: 'outcome-message' });
  const stage = select('stage', stages.map((s) => [s.name, stageName(s.name)]), card.outcome.stage);
  const value = h('input', {
    name: 'value', inputmode: 'decimal', pattern: '[0-9]+([.,][0-9]{1,3})?', size: 10,
    value: card.outcome.value || '', placeholder: '1500.00',
  });
  const currency = h('input', {
    name: 'currency', size: 4, maxlength: 3, pattern: '[A-Za-z]{3}', placeholder: 'USD',
    value: card.outcome.currency || localStorage.getItem(CURRENCY) || '',
  });
  const amount = h('div', { class: 'outcome-money' },
    field(t('outcome.value'), value), field(t('outcome.currency'), currency));
  const form = h('form', { class: 'filters outcome-form', id: 'outcome-form' },
    field(t('outcome.stage'), stage), amount,
    h('button', { type: 'submit' }, t('outcome.save')));
  const won = () => kindOf(stage.value) === 'won';
  const fold = () => { amount.hidden = !won(); };
  stage.addEventListener('change', fold);
  const draw = (o) => {
    if (o.value != null) {
      value.value = o.value;
      currency.value = o.currency;
    }
    replace(now, stageBadge(o.stage, o.kind),
      o.value != null ? [' ', h('b', { id: 'outcome-value' }, money(o.value, o.currency))] : null,
      o.changed_at ? h('span', { class: 'muted' }, ' · ', dateTime(o.changed_at)) : null);
    replace(changes, o.history.length
      ? h('ol', { class: 'plain changes' }, o.history.map((c) => h('li', null,
        h('span', { class: 'muted' }, dateTime(c.at)), ' ', stageBadge(c.stage, kindOf(c.stage)),
        c.value != null ? ` ${money(c.value, c.currency)}` : '', ' · ', changedBy(c))))
      : h('p', { class: 'muted' }, t('outcome.no_changes')));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { stage: stage.value, source: 'card' };
    if (won() && value.value.trim()) {
      body.value = value.value.trim().replace(',', '.');
      body.currency = currency.value.trim().toUpperCase();
      localStorage.setItem(CURRENCY, body.currency);
    }
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const r = await api(`/dialogs/${card.dialog_id}/outcome`, { method: 'PUT', body });
      draw(r.outcome);
      replace(message, h('p', { class: 'ok', role: 'status' },
        t(r.changed ? 'outcome.saved' : 'outcome.unchanged')));
    } catch (err) {
      replace(message, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  fold();
  draw(card.outcome);
  return h('section', { class: 'card', id: 'outcome' }, h('h2', null, t('outcome.title')),
    now, form, message, h('h3', null, t('outcome.history')), changes);
}

function history(entries) {
  return h('section', { class: 'card', id: 'history' },
    h('h2', null, t('card.history')),
    entries.length
      ? scrollBox(t('card.history'), h('table', { class: 'list' },
        h('thead', null, h('tr', null, [t('dialogs.col.started'), t('card.channel'), t('card.source'),
          t('card.campaign'), t('card.ad_short'), t('dialogs.col.match')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, entries.map((e) => h('tr', null,
          h('td', null, h('a', { href: `#/dialogs/${e.dialog_id}` }, dateTime(e.started_at))),
          h('td', null, e.channel ? channelName(e.channel) : '—'),
          h('td', null, orDash(e.source || e.utm_source)),
          h('td', null, orDash(e.utm_campaign)),
          h('td', null, orDash(e.ad_headline || e.ad_source_id)),
          h('td', null, h('span', { class: `badge ${e.match_kind}` }, matchName(e.match_kind))))))))
      : h('p', { class: 'muted' }, t('card.history_none')));
}

/** The dialog's messages, oldest first: the contact's with their text, the business's with
 * their delivery status. */
function thread(messages) {
  return h('section', { class: 'card', id: 'thread' },
    h('h2', null, t('card.messages')),
    messages.length
      ? h('ol', { class: 'thread' }, messages.map((m) => h('li', { class: `message ${m.direction}` },
        h('span', { class: 'muted' }, dateTime(m.at), ' · ',
          t(m.direction === 'in' ? 'card.from_contact' : 'card.from_business')),
        m.direction === 'in'
          ? h('p', null, orDash(m.text))
          : h('p', null, h('span', { class: `badge status ${m.status}` },
            t(`status.${m.status}`))))))
      : h('p', { class: 'muted' }, t('card.messages_none')));
}

export async function cardPage(me, id) {
  let card;
  let settings;
  try {
    [card, settings] = await Promise.all([api(`/dialogs/${encodeURIComponent(id)}`),
      api('/site/outcomes')]);
  } catch (err) {
    return h('div', null, h('h1', null, t('card.title')),
      h('p', null, h('a', { href: '#/dialogs', class: 'back' }, t('card.back'))), errorBox(err));
  }
  const c = card.contact;
  const s = card.session || {};
  const v = card.visitor;
  const m = card.match;
  const r = card.referral;
  const region = [s.city, s.region, s.country].filter(Boolean).join(', ');
  markUnread(me.site.key, id, false);
  const messages = thread(card.messages || []);
  const el = h('article', { id: 'card' },
    h('p', null, h('a', { href: '#/dialogs', class: 'back' }, t('card.back'))),
    h('h1', null, c.name || (c.phone ? `+${c.phone}` : c.username || t('card.unknown_contact')),
      ' ', h('span', { class: `badge ${card.kind}` }, kindName(card.kind))),
    h('blockquote', { class: 'first-message' }, orDash(card.first_message)),
    h('div', { class: 'grid' },
      facts(t('card.contact'), 'contact', [
        [t('card.name'), c.name],
        [t('card.phone'), c.phone ? `+${c.phone}` : null],
        [t('card.username'), c.username],
        [t('card.provider_user_id'), c.provider_user_id],
        [t('card.messenger'), c.channel],
        [t('card.contact_type'), t(card.kind === 'new' ? 'card.new_contact' : 'card.repeat_contact')],
      ]),
      facts(t('card.dialog'), 'dialog', [
        [t('card.first_message'), dateTime(card.started_at)],
        [t('card.last_message'), dateTime(card.last_message_at)],
        [t('card.number'), /^\d+$/.test(card.business_number) ? `+${card.business_number}` : card.business_number],
        [t('dialogs.col.match'), h('span', { class: `badge ${m.kind}` }, matchName(m.kind))],
        [t('card.code'), m.code],
        [t('card.confidence'), m.confidence == null ? null : percent(m.confidence, 0)],
        [t('card.page_of_contact'), link(card.page_of_contact)],
        [t('card.clicked'), card.clicked_at ? dateTime(card.clicked_at) : null],
      ]),
      outcomeSection(card, settings),
      source(t('card.source_title'), 'session', card.session),
      facts(t('card.visitor'), 'visitor', [
        [t('card.first_visit'), v ? dateTime(v.first_seen_at) : null],
        [t('card.first_touch_channel'), v && v.first_touch ? channelName(v.first_touch.channel) : null],
        [t('card.first_touch_source'), v && v.first_touch ? (v.first_touch.source || v.first_touch.utm_source) : null],
        [t('card.first_touch_campaign'), v && v.first_touch ? v.first_touch.utm_campaign : null],
        [t('card.visits_before'), v ? count(v.sessions_before_chat) : null],
        [t('card.time_to_chat'), v ? duration(v.seconds_to_chat) : null],
      ]),
      facts(t('card.device_region'), 'device', [
        [t('card.region'), card.session ? (region || t('card.region_unknown')) : null],
        [t('card.os'), version(s.os, s.os_version)],
        [t('card.browser'), version(s.browser, s.browser_version)],
        [t('card.device'), s.device],
        [t('card.screen'), s.screen_w ? `${s.screen_w} × ${s.screen_h}` : null],
        [t('card.language'), s.language],
        [t('card.timezone'), s.timezone],
      ]),
      r ? facts(t('card.ad_title'), 'referral', [
        [t('card.headline'), r.headline],
        [t('card.text'), r.body],
        [t('card.ad_id'), r.source_id],
        [t('card.ad_url'), link(r.source_url)],
        [t('card.type'), r.source_type],
        [t('card.media'), r.media_type],
        ['ctwa_clid', r.ctwa_clid],
      ]) : null,
      tagsSection(card)),
    messages,
    history(card.history));
  // A new message of this dialog: its thread again.
  subscribe(me, el, async (event) => {
    if (event.dialog_id !== id) return;
    try {
      const fresh = await api(`/dialogs/${encodeURIComponent(id)}`);
      replace(messages, ...thread(fresh.messages || []).childNodes);
    } catch (_) { /* the next event tries again */ }
  }, id);
  return el;
}
