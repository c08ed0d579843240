// The operators' dialogs list: newest first, filters and search kept in the URL, and
// keyset pages ("Show more"). Filters apply on the button (or Enter), or a moment after a
// drop-down or the search box stops changing, so stepping through a drop-down with the
// arrow keys does not fetch at every step; the form stays in place, and the focus with it.

import { api, downloadCsv, query } from './api.js';
import { stageBadge } from './card.js';
import { checklist } from './checklist.js';
import { debounce, errorBox, field, foldable, h, replace, select } from './dom.js';
import { channelName, dateTime, kindName, matchName, money, orDash, range, stageName,
} from './format.js';
import { t, tOr } from './i18n.js';
import { isUnread, subscribe } from './live.js';

const FILTERS = ['q', 'channel', 'stage', 'match', 'kind', 'tag', 'number'];
/** A report row's keys and period (links from the reports' dialog counts): not in the form,
 * shown above the list with a way out. */
const ROW = ['from', 'to', 'campaign', 'ad', 'keyword', 'landing_page', 'page', 'country',
  'region', 'device', 'os', 'browser', 'missing'];

function columns() {
  return [t('dialogs.col.started'), t('dialogs.col.contact'), t('dialogs.col.message'),
    t('dialogs.col.channel'), t('dialogs.col.campaign'), t('dialogs.col.stage'),
    t('dialogs.col.match'), t('dialogs.col.kind')];
}

/** A dot and, for screen readers, words: the dialog has messages not seen yet. */
function unreadMark() {
  return h('span', { class: 'unread' }, h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'sr-only' }, t('live.unread')));
}

function row(d, labels, kinds, site) {
  const contact = d.contact_name || d.contact_phone || t('dialogs.unknown');
  // `data-label`: the column's name, shown beside the value when rows become cards.
  const td = (i, attrs, ...children) => h('td', { 'data-label': labels[i], ...attrs }, ...children);
  return h('tr', null,
    td(0, { class: 'nowrap when' }, isUnread(site, d.dialog_id) ? unreadMark() : null,
      h('a', { href: `#/dialogs/${d.dialog_id}` }, dateTime(d.started_at))),
    td(1, { class: 'who' }, h('div', null, contact), d.contact_name && d.contact_phone
      ? h('div', { class: 'muted' }, `+${d.contact_phone}`) : null),
    td(2, { class: 'message' }, orDash(d.first_message)),
    td(3, null, d.channel ? channelName(d.channel) : '—',
      d.source ? h('div', { class: 'muted' }, d.source) : null),
    td(4, null, orDash(d.utm_campaign)),
    td(5, { class: 'stage' }, stageBadge(d.stage, kinds[d.stage]),
      d.value != null ? h('div', { class: 'value' }, money(d.value, d.currency)) : null),
    td(6, null, h('span', { class: `badge ${d.match_kind}` }, matchName(d.match_kind))),
    td(7, null, h('span', { class: `badge ${d.kind}` }, kindName(d.kind))));
}

/** The report row the list is narrowed to, as a line with a link back to every dialog. */
function fromRow(current) {
  const keys = ROW.filter((k) => !['from', 'to', 'missing'].includes(k) && current[k]);
  if (!keys.length && !current.from && !current.missing) return null;
  const label = (k) => tOr(`col.${k}`, k.replaceAll('_', ' '));
  const parts = keys.map((k) => `${label(k)}: ${current[k]}`);
  for (const k of current.missing.split(',').filter(Boolean)) {
    parts.push(`${label(k)}: ${t(k === 'channel' ? 'chart.no_source' : 'chart.unknown')}`);
  }
  if (current.from) parts.push(range(current.from, current.to));
  const rest = Object.fromEntries(FILTERS.map((k) => [k, current[k]]));
  return h('p', { class: 'card row-filter', id: 'row-filter' }, t('dialogs.from_row'), ' ',
    h('b', null, parts.join(' · ')), ' ', h('a', { href: `#/dialogs${query(rest)}` }, t('dialogs.all_rows')));
}

export async function dialogsPage(me, params, go) {
  const values = (p) => Object.fromEntries([...FILTERS, ...ROW].map((k) => [k, p.get(k) || '']));
  let current = values(params);
  const { stages } = await api('/site/outcomes');
  const kinds = Object.fromEntries(stages.map((s) => [s.name, s.kind]));
  const form = h('form', { class: 'filters', id: 'dialog-filters', role: 'search' },
    field(t('dialogs.search'), h('input', {
      name: 'q', type: 'search', value: current.q, placeholder: t('dialogs.search_hint'),
    })),
    field(t('dialogs.channel'), select('channel',
      [['', t('filter.all_channels')], ...me.channels.map((c) => [c, channelName(c)])], current.channel)),
    field(t('dialogs.stage'), select('stage', [['', t('filter.any_stage')],
      ...stages.map((s) => [s.name, stageName(s.name)])], current.stage)),
    field(t('dialogs.match'), select('match', [['', t('filter.any_match')],
      ...['exact', 'referral', 'probable', 'none'].map((k) => [k, matchName(k)])], current.match)),
    field(t('dialogs.kind'), select('kind', [['', t('filter.new_and_repeat')],
      ...['new', 'repeat'].map((k) => [k, kindName(k)])], current.kind)),
    field(t('dialogs.tag'), h('input', { name: 'tag', value: current.tag, size: 12 })),
    field(t('dialogs.number'), select('number', [['', t('filter.all_numbers')],
      ...me.numbers.map((n) => [n, `+${n}`])], current.number)),
    h('button', { type: 'submit' }, t('dialogs.apply')));
  const apply = debounce(() => {
    const data = new FormData(form);
    const row = Object.fromEntries(ROW.map((k) => [k, current[k]]));
    go(`#/dialogs${query({ ...row, ...Object.fromEntries(FILTERS.map((k) => [k, data.get(k)])) })}`);
  }, 600);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply.now();
  });
  form.querySelectorAll('select').forEach((el) => el.addEventListener('change', () => apply()));
  form.querySelectorAll('input').forEach((el) => el.addEventListener('input', () => apply()));

  const summary = h('span');
  const box = foldable(summary, form);
  const rowLine = h('div');
  const results = h('div', { class: 'results', id: 'dialog-results' });
  const labels = columns();
  let loaded = 0;
  /** Fetches the first page for `current` into `results`, or a next one into `body`. */
  const load = async (body, more, cursor) => {
    const page = await api(`/dialogs${query({ ...current, limit: 50, cursor })}`);
    return { page, draw: () => {
      body.append(...page.dialogs.map((d) => row(d, labels, kinds, me.site.key)));
      replace(more, page.next_cursor
        ? h('button', {
          type: 'button', id: 'more',
          onclick: async (e) => {
            e.target.disabled = true;
            e.target.textContent = t('loading');
            try {
              const next = await load(body, more, page.next_cursor);
              next.draw();
              // Keep the keyboard where the new rows start.
              document.getElementById('more')?.focus();
            } catch (err) {
              replace(more, errorBox(err, () => e.target.click()));
            }
          },
        }, t('dialogs.more'))
        : null);
    } };
  };
  /** The newest render: one that a newer one overtook resolves with it, so whoever waits
   * for a render (the router, before it marks the page ready) waits for what is shown. */
  let latest = null;
  const render = (p) => {
    latest = renderOnce(p);
    return latest;
  };
  const renderOnce = async (p) => {
    const mine = ++loaded;
    current = values(p);
    // Back and forward change the address: the form follows it.
    for (const k of FILTERS) {
      const el = form.elements[k];
      if (el && el.value !== current[k]) el.value = current[k];
    }
    const body = h('tbody');
    const more = h('div', { class: 'more' });
    const { page, draw } = await load(body, more);
    if (mine !== loaded) return latest;
    const active = FILTERS.filter((k) => current[k]).length;
    replace(summary, active ? t('filter.summary_active', { n: active }) : t('filter.summary'));
    const row = fromRow(current);
    replace(rowLine, row);
    const filtered = active > 0 || row != null;
    // A site without a dialog has nothing to filter: the steps to the first one instead.
    box.hidden = !filtered && !page.dialogs.length;
    if (!page.dialogs.length) {
      const guide = filtered ? null : await checklist(me);
      if (mine !== loaded) return latest;
      replace(results, guide
        || h('p', { class: 'card muted empty', id: 'no-match' }, t('dialogs.none_match'), ' ',
          h('a', { href: '#/dialogs' }, t('dialogs.clear'))));
      return;
    }
    draw();
    // Every dialog the filters keep, not only the pages shown.
    const csv = h('button', {
      type: 'button', class: 'link csv', id: 'dialogs-csv',
      onclick: () => downloadCsv(`/dialogs${query(current)}`, `dialogs.csv`)
        .catch((err) => csv.after(errorBox(err))),
    }, t('dialogs.csv'));
    replace(results,
      h('p', { class: 'actions' }, csv),
      h('table', { class: 'list cards', id: 'dialogs' },
        h('thead', null, h('tr', null, labels.map((c) => h('th', { scope: 'col' }, c)))),
        body),
      more);
  };
  const fail = (err) => replace(results, errorBox(err, () => render(new URLSearchParams(query(current)))));
  try {
    await render(params);
  } catch (err) {
    fail(err);
  }
  const el = h('section', null, h('h1', null, t('dialogs.title')), box, rowLine, results);
  // A new message: the first page again, in place, with the focus kept on the same link.
  const refresh = debounce(async () => {
    const focused = document.activeElement;
    const href = results.contains(focused) ? focused.getAttribute('href') : null;
    try {
      await render(new URLSearchParams(query(current)));
    } catch (_) { return; /* the next event tries again */ }
    if (href) results.querySelector(`a[href="${CSS.escape(href)}"]`)?.focus();
  }, 300);
  subscribe(me, el, () => refresh());
  return {
    el,
    update: render,
    fail,
  };
}
