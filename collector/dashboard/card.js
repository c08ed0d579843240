// The source card of one dialog: where the client came from and who they are, every field
// of the product's card, the contact's earlier dialogs, and the operator's tags.

import { api } from './api.js';
import { errorBox, h, replace } from './dom.js';
import { dateTime, duration, orDash } from './format.js';

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
  if (!s) return facts(title, id, [['Session', 'no session: the chat could not be joined to a visit']]);
  return facts(title, id, [
    ['Channel', s.channel],
    ['Source', s.source],
    ['Medium', s.utm_medium],
    ['Campaign', s.utm_campaign],
    ['Ad (utm_content)', s.utm_content],
    ['Keyword', s.keyword || s.utm_term],
    ['utm_source', s.utm_source],
    ['Referrer', link(s.referrer)],
    ['Referring domain', s.referring_domain],
    ['Landing page', link(s.landing_page)],
    ['Click ids', clickIds(s.click_ids)],
    ['Session start', dateTime(s.started_at)],
    ['Pages viewed', s.pageviews],
  ]);
}

function tagsSection(card) {
  const list = h('ul', { class: 'tags', id: 'tags' });
  const message = h('div');
  const draw = (tags) => {
    replace(list, tags.length ? tags.map((t) => h('li', null, t,
      h('button', {
        type: 'button', class: 'remove', title: `Remove ${t}`, 'aria-label': `Remove tag ${t}`,
        onclick: () => change('DELETE', t),
      }, '×'))) : h('li', { class: 'muted' }, 'No tags yet'));
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
  const input = h('input', { name: 'tag', placeholder: 'e.g. lead, wedding-shoot', size: 24 });
  const form = h('form', { class: 'inline', id: 'add-tag' }, input,
    h('button', { type: 'submit' }, 'Add tag'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tag = input.value.trim();
    if (!tag) return;
    await change('PUT', tag);
    input.value = '';
  });
  draw(card.tags);
  return h('section', { class: 'card' }, h('h2', null, 'Tags'), list, form, message);
}

function history(entries) {
  return h('section', { class: 'card', id: 'history' },
    h('h2', null, 'Earlier dialogs of this contact'),
    entries.length
      ? h('table', { class: 'list' },
        h('thead', null, h('tr', null, ['Started', 'Channel', 'Source', 'Campaign', 'Ad', 'Match']
          .map((c) => h('th', null, c)))),
        h('tbody', null, entries.map((e) => h('tr', null,
          h('td', null, h('a', { href: `#/dialogs/${e.dialog_id}` }, dateTime(e.started_at))),
          h('td', null, orDash(e.channel)),
          h('td', null, orDash(e.source || e.utm_source)),
          h('td', null, orDash(e.utm_campaign)),
          h('td', null, orDash(e.ad_headline || e.ad_source_id)),
          h('td', null, e.match_kind)))))
      : h('p', { class: 'muted' }, 'None: this is the contact’s first dialog.'));
}

export async function cardPage(me, id) {
  let card;
  try {
    card = await api(`/dialogs/${encodeURIComponent(id)}`);
  } catch (err) {
    return h('div', null, h('p', null, h('a', { href: '#/dialogs' }, '← All dialogs')), errorBox(err));
  }
  const c = card.contact;
  const s = card.session || {};
  const v = card.visitor;
  const m = card.match;
  const r = card.referral;
  const region = [s.city, s.region, s.country].filter(Boolean).join(', ');
  return h('article', { id: 'card' },
    h('p', null, h('a', { href: '#/dialogs' }, '← All dialogs')),
    h('h1', null, c.name || (c.phone ? `+${c.phone}` : c.username || 'Unknown contact'),
      ' ', h('span', { class: `badge ${card.kind}` }, card.kind)),
    h('blockquote', { class: 'first-message' }, orDash(card.first_message)),
    h('div', { class: 'grid' },
      facts('Contact', 'contact', [
        ['Name', c.name],
        ['Phone', c.phone ? `+${c.phone}` : null],
        ['Username', c.username],
        ['Provider user id', c.provider_user_id],
        ['Messenger', c.channel],
        ['Contact type', card.kind === 'new' ? 'new contact' : 'repeat contact'],
      ]),
      facts('Dialog', 'dialog', [
        ['First message', dateTime(card.started_at)],
        ['Last message', dateTime(card.last_message_at)],
        ['Number written to', /^\d+$/.test(card.business_number) ? `+${card.business_number}` : card.business_number],
        ['Match', h('span', { class: `badge ${m.kind}` }, m.kind)],
        ['Session code', m.code],
        ['Confidence', m.confidence == null ? null : `${Math.round(m.confidence * 100)}%`],
        ['Page of contact', link(card.page_of_contact)],
        ['Link clicked', card.clicked_at ? dateTime(card.clicked_at) : null],
      ]),
      source('Source of this visit', 'session', card.session),
      facts('Visitor', 'visitor', [
        ['First visit', v ? dateTime(v.first_seen_at) : null],
        ['First-touch channel', v && v.first_touch ? v.first_touch.channel : null],
        ['First-touch source', v && v.first_touch ? (v.first_touch.source || v.first_touch.utm_source) : null],
        ['First-touch campaign', v && v.first_touch ? v.first_touch.utm_campaign : null],
        ['Visits before the chat', v ? v.sessions_before_chat : null],
        ['Time from first visit to chat', v ? duration(v.seconds_to_chat) : null],
      ]),
      facts('Device and region', 'device', [
        ['Region', card.session ? (region || 'unknown') : null],
        ['OS', version(s.os, s.os_version)],
        ['Browser', version(s.browser, s.browser_version)],
        ['Device', s.device],
        ['Screen', s.screen_w ? `${s.screen_w} × ${s.screen_h}` : null],
        ['Language', s.language],
        ['Time zone', s.timezone],
      ]),
      r ? facts('Click-to-WhatsApp ad', 'referral', [
        ['Headline', r.headline],
        ['Text', r.body],
        ['Ad id', r.source_id],
        ['Ad URL', link(r.source_url)],
        ['Type', r.source_type],
        ['Media', r.media_type],
        ['ctwa_clid', r.ctwa_clid],
      ]) : null,
      tagsSection(card)),
    history(card.history));
}
