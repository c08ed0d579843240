// The analysts' reports page: one period (and optional comparison period) and filters in
// the URL; every report of the API as a widget, each table with its CSV download.

import { api, downloadCsv, query } from './api.js';
import { errorBox, field, h, replace, select } from './dom.js';
import { count, localDate, percent } from './format.js';
import { dynamicsChart } from './chart.js';

const CONTROLS = ['from', 'to', 'granularity', 'compare', 'compare_from', 'compare_to',
  'channel', 'campaign', 'number', 'match', 'tag'];
const COMPARE = [['none', 'No comparison'], ['previous', 'Previous period'],
  ['year', 'Same period last year'], ['custom', 'Custom period']];
const RATE_COLUMNS = new Set(['share', 'click_to_chat']);

function cell(column, value) {
  if (RATE_COLUMNS.has(column)) return percent(value);
  if (typeof value === 'number') return count(value);
  return value == null || value === '' ? '—' : value;
}

/** A report as a table, with a CSV button for the same report and parameters. */
function tableWidget(title, report, path, id) {
  const csv = h('button', {
    type: 'button', class: 'link csv', 'data-report': report.report,
    onclick: () => downloadCsv(path, `${report.report}_${report.from}_${report.to}.csv`)
      .catch((err) => csv.after(errorBox(err))),
  }, 'CSV');
  const rows = report.rows.length ? report.rows.map((r) => h('tr', null,
    report.columns.map((c) => h('td', { class: typeof r[c] === 'number' ? 'num' : null }, cell(c, r[c])))))
    : h('tr', null, h('td', { colspan: report.columns.length, class: 'muted empty' }, 'No data'));
  return h('section', { class: 'card widget', id },
    h('header', null, h('h2', null, title), csv),
    h('div', { class: 'scroll' }, h('table', { class: 'list' },
      h('thead', null, h('tr', null, report.columns.map((c) => h('th', null, c.replaceAll('_', ' '))))),
      h('tbody', null, rows))));
}

/** Shares (new vs repeat, match quality) as a stacked bar over the table. */
function sharesWidget(title, report, path, id) {
  const key = report.columns[0];
  const bar = h('div', { class: 'bar' }, report.rows.filter((r) => r.dialogs).map((r) => h('span', {
    class: `seg ${r[key]}`, style: { flex: String(r.dialogs) }, title: `${r[key]}: ${r.dialogs}`,
  }, r[key])));
  const widget = tableWidget(title, report, path, id);
  widget.querySelector('header').after(bar);
  return widget;
}

function hoursWidget(report, path) {
  const max = Math.max(1, ...report.rows.map((r) => r.dialogs));
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const grid = h('table', { class: 'heat', id: 'hours-grid' },
    h('thead', null, h('tr', null, h('th'), [...Array(24).keys()].map((hr) => h('th', null, hr)))),
    h('tbody', null, days.map((d, di) => h('tr', null, h('th', null, d),
      report.rows.filter((r) => r.weekday === di + 1).map((r) => h('td', {
        style: { '--heat': (r.dialogs / max).toFixed(3) }, title: `${d} ${r.hour}:00 — ${r.dialogs} dialogs`,
      }, r.dialogs || ''))))));
  const widget = tableWidget('Busiest hours of the week', report, path, 'hours');
  widget.querySelector('.scroll').replaceChildren(grid);
  return widget;
}

function controls(me, p, go) {
  const form = h('form', { class: 'filters', id: 'report-controls' },
    field('From', h('input', { type: 'date', name: 'from', value: p.from, required: true })),
    field('To', h('input', { type: 'date', name: 'to', value: p.to, required: true })),
    field('By', select('granularity', ['day', 'week', 'month', 'quarter'], p.granularity)),
    field('Compare with', select('compare', COMPARE, p.compare)),
    p.compare === 'custom' ? [
      field('Compare from', h('input', { type: 'date', name: 'compare_from', value: p.compare_from })),
      field('Compare to', h('input', { type: 'date', name: 'compare_to', value: p.compare_to })),
    ] : null,
    field('Channel', select('channel', [['', 'All channels'], ...me.channels], p.channel)),
    field('Campaign', h('input', { name: 'campaign', value: p.campaign, size: 12 })),
    field('Number', select('number', [['', 'All numbers'], ...me.numbers.map((n) => [n, `+${n}`])], p.number)),
    field('Match', select('match', [['', 'Any match'], 'exact', 'referral', 'probable', 'none'], p.match)),
    field('Tag', h('input', { name: 'tag', value: p.tag, size: 10 })),
    h('button', { type: 'submit' }, 'Show'));
  const apply = (e) => {
    e.preventDefault();
    const data = new FormData(form);
    go(`#/reports${query(Object.fromEntries(CONTROLS.map((k) => [k, data.get(k)])))}`);
  };
  form.addEventListener('submit', apply);
  form.querySelectorAll('select').forEach((el) => el.addEventListener('change', apply));
  const presets = h('p', { class: 'presets' }, 'Last ', [7, 30, 90, 365].map((days) => h('a', {
    href: `#/reports${query({ ...p, from: localDate(days - 1), to: localDate(0) })}`,
  }, `${days} days`)));
  return [form, presets];
}

export async function reportsPage(me, params, go) {
  const p = Object.fromEntries(CONTROLS.map((k) => [k, params.get(k) || '']));
  p.from ||= localDate(29);
  p.to ||= localDate(0);
  p.granularity ||= 'day';
  p.compare ||= 'previous';
  const filters = {
    from: p.from, to: p.to, channel: p.channel, campaign: p.campaign, number: p.number,
    match: p.match, tag: p.tag,
  };
  const path = (name, extra = {}) => `/reports/${name}${query({ ...filters, ...extra })}`;
  const dynamicsPath = path('dynamics', {
    granularity: p.granularity,
    compare: p.compare,
    compare_from: p.compare === 'custom' ? p.compare_from : '',
    compare_to: p.compare === 'custom' ? p.compare_to : '',
  });
  const names = ['new-repeat', 'match-quality', 'channels', 'campaigns', 'ads', 'keywords',
    'pages', 'landing-pages', 'hours'];
  const page = h('section', { id: 'reports' }, h('h1', null, 'Reports'), controls(me, p, go));
  let results;
  try {
    results = await Promise.all([...names.map((n) => api(path(n))), api(dynamicsPath)]);
  } catch (err) {
    page.append(errorBox(err));
    return page;
  }
  const [newRepeat, matchQuality, channels, campaigns, ads, keywords, pages, landing, hours,
    dynamics] = results;
  const compareLabel = dynamics.compare_from
    ? `${dynamics.compare_from} – ${dynamics.compare_to}` : '';
  const total = newRepeat.rows.reduce((n, r) => n + r.dialogs, 0);
  page.append(
    h('div', { class: 'kpis' },
      h('div', { class: 'kpi' }, h('b', { id: 'kpi-dialogs' }, count(total)), h('span', null, 'dialogs')),
      newRepeat.rows.map((r) => h('div', { class: 'kpi' }, h('b', null, percent(r.share)),
        h('span', null, `${r.kind} contacts`))),
      h('div', { class: 'kpi' }, h('b', null, percent(matchQuality.rows.find((r) => r.match_kind === 'exact')?.share)),
        h('span', null, 'matched exactly'))),
    h('section', { class: 'card widget wide', id: 'dynamics' },
      h('header', null,
        h('h2', null, `Dialogs by ${p.granularity}`, compareLabel ? ` vs ${compareLabel}` : ''),
        h('button', {
          type: 'button', class: 'link csv', 'data-report': 'dynamics',
          onclick: () => downloadCsv(dynamicsPath, `dynamics_${p.from}_${p.to}.csv`),
        }, 'CSV')),
      dynamicsChart(dynamics.rows, compareLabel)),
    h('div', { class: 'grid' },
      sharesWidget('New vs repeat contacts', newRepeat, path('new-repeat'), 'new-repeat'),
      sharesWidget('Match quality', matchQuality, path('match-quality'), 'match-quality'),
      tableWidget('Channels', channels, path('channels'), 'channels'),
      tableWidget('Campaigns', campaigns, path('campaigns'), 'campaigns'),
      tableWidget('Ads', ads, path('ads'), 'ads'),
      tableWidget('Keywords', keywords, path('keywords'), 'keywords'),
      tableWidget('Pages of contact', pages, path('pages'), 'pages'),
      tableWidget('Landing pages', landing, path('landing-pages'), 'landing-pages'),
      hoursWidget(hours, path('hours'))));
  return page;
}
