// The operators' dialogs list: newest first, filters and search kept in the URL, and
// keyset pages ("Show more").

import { api, query } from './api.js';
import { errorBox, field, h, replace, select } from './dom.js';
import { dateTime, orDash } from './format.js';

const FILTERS = ['q', 'channel', 'match', 'kind', 'tag', 'number'];

function row(d) {
  const contact = d.contact_name || d.contact_phone || 'unknown';
  return h('tr', null,
    h('td', { class: 'nowrap' }, h('a', { href: `#/dialogs/${d.dialog_id}` }, dateTime(d.started_at))),
    h('td', null, h('div', null, contact), d.contact_name && d.contact_phone
      ? h('div', { class: 'muted' }, `+${d.contact_phone}`) : null),
    h('td', { class: 'message' }, orDash(d.first_message)),
    h('td', null, orDash(d.channel), d.source ? h('div', { class: 'muted' }, d.source) : null),
    h('td', null, orDash(d.utm_campaign)),
    h('td', null, h('span', { class: `badge ${d.match_kind}` }, d.match_kind)),
    h('td', null, h('span', { class: `badge ${d.kind}` }, d.kind)));
}

export async function dialogsPage(me, params, go) {
  const current = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  const form = h('form', { class: 'filters', id: 'dialog-filters' },
    field('Search', h('input', {
      name: 'q', type: 'search', value: current.q, placeholder: 'Name or phone',
    })),
    field('Channel', select('channel', [['', 'All channels'], ...me.channels], current.channel)),
    field('Match', select('match', [['', 'Any match'], 'exact', 'referral', 'probable', 'none'],
      current.match)),
    field('Contact', select('kind', [['', 'New and repeat'], 'new', 'repeat'], current.kind)),
    field('Tag', h('input', { name: 'tag', value: current.tag, size: 12 })),
    field('Number', select('number', [['', 'All numbers'],
      ...me.numbers.map((n) => [n, `+${n}`])], current.number)),
    h('button', { type: 'submit' }, 'Filter'));
  const apply = (e) => {
    e.preventDefault();
    const data = new FormData(form);
    go(`#/dialogs${query(Object.fromEntries(FILTERS.map((k) => [k, data.get(k)])))}`);
  };
  form.addEventListener('submit', apply);
  form.querySelectorAll('select').forEach((el) => el.addEventListener('change', apply));

  const body = h('tbody');
  const more = h('div', { class: 'more' });
  const table = h('table', { class: 'list', id: 'dialogs' },
    h('thead', null, h('tr', null,
      ['Started', 'Contact', 'First message', 'Channel', 'Campaign', 'Match', 'Contact type']
        .map((c) => h('th', null, c)))),
    body);

  const load = async (cursor) => {
    const page = await api(`/dialogs${query({ ...current, limit: 50, cursor })}`);
    body.append(...page.dialogs.map(row));
    if (!body.children.length) {
      body.append(h('tr', null, h('td', { colspan: 7, class: 'muted empty' },
        'No dialogs match.')));
    }
    replace(more, page.next_cursor
      ? h('button', {
        type: 'button', id: 'more',
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await load(page.next_cursor);
          } catch (err) {
            replace(more, errorBox(err));
          }
        },
      }, 'Show more')
      : null);
  };
  await load();
  return h('section', null, h('h1', null, 'Dialogs'), form, table, more);
}
