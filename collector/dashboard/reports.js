// The analysts' reports page: one period (and optional comparison period) and filters in
// the URL; every report of the API as a widget, each table with its CSV download. The
// controls apply on "Show" or a moment after they stop changing, and stay in place while
// the widgets below are fetched again; a report that fails says so in its own widget.

import { api, downloadCsv, query } from './api.js';
import { debounce, errorBox, field, foldable, h, replace, scrollBox, select } from './dom.js';
import {
  channelName, count, kindName, localDate, matchName, money, percent, pointsChange, range, stageName,
} from './format.js';
import { t, tn, tOr } from './i18n.js';
import { dynamicsChart } from './chart.js';
import { hoursWidget } from './hours.js';

const CONTROLS = ['from', 'to', 'granularity', 'compare', 'compare_from', 'compare_to',
  'channel', 'campaign', 'number', 'match', 'tag', 'model', 'currency'];
/** The reports with money columns, which take the attribution model and the currency. */
const MONEY_REPORTS = new Set(['channels', 'campaigns', 'ads', 'keywords', 'pages',
  'landing-pages', 'funnel']);
const RATE_COLUMNS = new Set(['share', 'click_to_chat', 'share_previous', 'click_to_chat_previous',
  'conversion']);
/** Money columns, in the row's `currency` (which is then not a column of its own). */
const MONEY_COLUMNS = new Set(['revenue', 'spend', 'cost_per_dialog', 'cost_per_won']);
const NAMES = ['new-repeat', 'match-quality', 'channels', 'campaigns', 'ads', 'keywords',
  'pages', 'landing-pages', 'hours', 'regions', 'devices', 'browsers', 'funnel'];
/** Report columns whose values are names the dashboard has words for. */
const NAMED = { channel: channelName, kind: kindName, match_kind: matchName };

/** A table cell; `key` marks the column a row is about (an empty one: "Unknown", or for
 * channels "No source known"). */
function cell(column, value, key, row) {
  if (RATE_COLUMNS.has(column)) return percent(value);
  if (MONEY_COLUMNS.has(column)) return money(value, row.currency);
  if (column === 'roas') return value == null ? '—' : `${money(value)}×`;
  if (typeof value === 'number') return count(value);
  if (value == null || value === '') {
    if (!key) return '—';
    return t(column === 'channel' ? 'chart.no_source' : 'chart.unknown');
  }
  return NAMED[column] ? NAMED[column](value) : value;
}

/** A widget's frame: its title, the CSV download of `path`, and `content`. */
function frame(title, id, csv, ...content) {
  return h('section', { class: 'card widget', id },
    h('header', null, h('h2', null, title), csv), ...content);
}

function csvButton(report, path, file) {
  const button = h('button', {
    type: 'button', class: 'link csv', 'data-report': report,
    onclick: () => downloadCsv(path, file).catch((err) => button.after(errorBox(err))),
  }, t('reports.csv'));
  return button;
}

/** The report columns that name a row's source (the API's `ROW_KEYS`). */
const KEYS = ['channel', 'campaign', 'ad', 'keyword', 'landing_page', 'page', 'country', 'region',
  'device', 'os', 'browser'];

/** The dialogs list of a report row: the report's period and filters, and the row's keys (an
 * empty key as `missing`). */
function rowDialogs(report, r, f) {
  const keys = report.columns.filter((c) => KEYS.includes(c));
  const given = Object.fromEntries(keys.filter((c) => r[c] != null && r[c] !== '').map((c) => [c, r[c]]));
  const missing = keys.filter((c) => r[c] == null || r[c] === '').join(',');
  return `#/dialogs${query({
    channel: f.channel, number: f.number, match: f.match, tag: f.tag, campaign: f.campaign,
    ...given, missing, from: report.from, to: report.to,
  })}`;
}

/** A report as a table, with a CSV button for the same report and parameters; with the
 * report's `filters` (roles that read dialogs), a row's dialog count links to its dialogs. */
function tableWidget(title, report, path, id, filters = null) {
  const keyed = filters && report.columns.some((c) => KEYS.includes(c));
  const columns = report.columns.filter((c) => c !== 'currency');
  const value = (r, c, i) => {
    const shown = cell(c, r[c], i === 0, r);
    return keyed && c === 'dialogs' && r[c] > 0
      ? h('a', { href: rowDialogs(report, r, filters), title: t('reports.row_dialogs') }, shown) : shown;
  };
  // A column of numbers (some maybe null) is aligned as numbers, its header too.
  const numeric = new Set(columns.filter((c) => report.rows.some((r) => typeof r[c] === 'number')));
  const rows = report.rows.length ? report.rows.map((r) => h('tr', null,
    columns.map((c, i) => h('td', { class: numeric.has(c) ? 'num' : `text ${c}` },
      value(r, c, i)))))
    : h('tr', null, h('td', { colspan: columns.length, class: 'muted empty' }, t('reports.no_data')));
  const widget = frame(title, id, csvButton(report.report, path, `${report.report}_${report.from}_${report.to}.csv`),
    scrollBox(title, h('table', { class: 'list' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', {
        scope: 'col', class: numeric.has(c) ? 'num' : null,
      }, tOr(`col.${c}`, c.replaceAll('_', ' ')))))),
      h('tbody', null, rows))));
  // Money columns make a table wide: it takes the grid's whole width.
  if (report.columns.includes('won')) widget.classList.add('money');
  return widget;
}

/** The funnel: per channel, its dialogs and how many reached each of the site's stages, as
 * a table of bars (each cell's bar is its share of the channel's dialogs). */
function funnelWidget(report, path) {
  const title = t('reports.funnel');
  const stages = [];
  const channels = new Map();
  for (const r of report.rows) {
    if (!stages.some((s) => s.step === r.step)) stages.push({ step: r.step, name: r.stage, kind: r.kind });
    const key = r.channel ?? '';
    if (!channels.has(key)) channels.set(key, []);
    channels.get(key)[r.step] = r;
  }
  const csv = csvButton('funnel', path, `funnel_${report.from}_${report.to}.csv`);
  if (!report.rows.length) {
    return frame(title, 'funnel', csv, h('p', { class: 'muted empty' }, t('reports.no_data')));
  }
  const bar = (r) => h('td', { class: `num step ${r.kind}` },
    h('span', { class: 'n' }, count(r.dialogs)),
    r.step > 0 ? h('small', { class: 'muted' }, ' ', percent(r.share, 0)) : null,
    h('span', { class: 'meter', 'aria-hidden': 'true' },
      h('span', { class: `fill ${r.kind}`, style: { width: `${Math.round((r.share || 0) * 100)}%` } })));
  // Without an outcome every dialog is still in the first stage: say how to fill it.
  const moved = report.rows.some((r) => r.step > 0 && r.dialogs > 0);
  return frame(title, 'funnel', csv,
    h('p', { class: 'muted note' }, t(moved ? 'reports.funnel_note' : 'reports.funnel_empty')),
    scrollBox(title, h('table', { class: 'list funnel' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('col.channel')),
        stages.map((s) => h('th', { scope: 'col', class: 'num' }, stageName(s.name))))),
      h('tbody', null, [...channels].map(([channel, steps]) => h('tr', null,
        h('td', { class: 'text channel' }, cell('channel', channel, true)),
        stages.map((s) => (steps[s.step] ? bar(steps[s.step]) : h('td', { class: 'num' }, '—')))))))));
}

/** Shares (new vs repeat, match quality) as a stacked bar with its legend over the table. */
function sharesWidget(title, report, path, id) {
  const key = report.columns[0];
  const name = NAMED[key] || ((v) => v);
  const shown = report.rows.filter((r) => r.dialogs);
  const bar = h('div', { class: 'bar chart', role: 'img', 'aria-label': title }, shown.map((r) => h('span', {
    class: `seg ${r[key]}`, style: { flex: String(r.dialogs) }, title: `${name(r[key])}: ${count(r.dialogs)}`,
  })));
  const legend = h('ul', { class: 'legend' }, report.rows.map((r) => h('li', null,
    h('span', { class: `swatch seg ${r[key]}` }), `${name(r[key])}: ${percent(r.share)}`)));
  const widget = tableWidget(title, report, path, id);
  widget.querySelector('header').after(bar, legend);
  return widget;
}

/** The controls: period, granularity, comparison and filters, with `p` chosen. */
function controls(me, p, apply) {
  const compareOptions = [['none', t('compare.none')], ['previous', t('compare.previous')],
    ['year', t('compare.year')], ['custom', t('compare.custom')]];
  const custom = h('div', { class: 'custom-period', hidden: p.compare !== 'custom' },
    field(t('reports.compare_from'), h('input', { type: 'date', name: 'compare_from', value: p.compare_from })),
    field(t('reports.compare_to'), h('input', { type: 'date', name: 'compare_to', value: p.compare_to })));
  const form = h('form', { class: 'filters', id: 'report-controls' },
    field(t('reports.from'), h('input', { type: 'date', name: 'from', value: p.from, required: true })),
    field(t('reports.to'), h('input', { type: 'date', name: 'to', value: p.to, required: true })),
    field(t('reports.granularity'), select('granularity',
      ['day', 'week', 'month', 'quarter'].map((g) => [g, t(`granularity.${g}`)]), p.granularity)),
    field(t('reports.compare'), select('compare', compareOptions, p.compare)),
    custom,
    field(t('reports.channel'), select('channel',
      [['', t('filter.all_channels')], ...me.channels.map((c) => [c, channelName(c)])], p.channel)),
    field(t('reports.campaign'), h('input', { name: 'campaign', value: p.campaign, size: 12 })),
    field(t('reports.number'), select('number',
      [['', t('filter.all_numbers')], ...me.numbers.map((n) => [n, `+${n}`])], p.number)),
    field(t('reports.match'), select('match', [['', t('filter.any_match')],
      ...['exact', 'referral', 'probable', 'none'].map((k) => [k, matchName(k)])], p.match)),
    field(t('reports.tag'), h('input', { name: 'tag', value: p.tag, size: 10 })),
    field(t('reports.model'), select('model',
      ['last', 'first'].map((m) => [m, t(`model.${m}`)]), p.model)),
    field(t('reports.currency'), h('input', {
      name: 'currency', value: p.currency, size: 4, maxlength: 3, pattern: '[A-Za-z]{3}',
      placeholder: t('reports.currency_default'), autocapitalize: 'characters', title: t('reports.currency_hint'),
    })),
    h('button', { type: 'submit' }, t('reports.apply')));
  const note = h('p', { class: 'muted custom-note', hidden: true }, t('reports.custom_needs_dates'));
  custom.append(note);
  // A custom comparison waits for both its dates: nothing is fetched before.
  const ready = () => {
    const e = form.elements;
    const waiting = e.compare.value === 'custom' && !(e.compare_from.value && e.compare_to.value);
    note.hidden = !waiting;
    return !waiting;
  };
  const later = debounce(() => ready() && apply(form), 600);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    later.cancel();
    if (ready()) apply(form);
  });
  form.elements.compare.addEventListener('change', () => {
    custom.hidden = form.elements.compare.value !== 'custom';
    if (!custom.hidden) form.elements.compare_from.focus();
  });
  form.querySelectorAll('select, input').forEach((el) => {
    el.addEventListener(el.tagName === 'SELECT' || el.type === 'date' ? 'change' : 'input', () => later());
  });
  return form;
}

/** The report parameters in `params`, with the defaults filled in. */
function parameters(params) {
  const p = Object.fromEntries(CONTROLS.map((k) => [k, params.get(k) || '']));
  p.from ||= localDate(29);
  p.to ||= localDate(0);
  p.granularity ||= 'day';
  p.compare ||= 'previous';
  p.model = p.model === 'first' ? 'first' : 'last';
  p.currency = p.currency.toUpperCase();
  if (p.compare !== 'custom') {
    p.compare_from = '';
    p.compare_to = '';
  }
  return p;
}

/** The widgets for `p`, each report fetched on its own; a failed one shows its error. */
async function widgets(me, p, retry) {
  const filters = {
    from: p.from, to: p.to, channel: p.channel, campaign: p.campaign, number: p.number,
    match: p.match, tag: p.tag,
  };
  const rowLinks = me.can.dialogs ? filters : null;
  // The model and currency of the money columns: the default model is left out of the URL.
  const money = { model: p.model === 'first' ? 'first' : '', currency: p.currency };
  const path = (name, extra = {}) => `/reports/${name}${query({
    ...filters, ...(MONEY_REPORTS.has(name) ? money : {}), ...extra,
  })}`;
  const compared = { compare: p.compare, compare_from: p.compare_from, compare_to: p.compare_to };
  const dynamicsPath = path('dynamics', { granularity: p.granularity, ...compared });
  // The KPI tiles' reports come with the comparison period's counts beside their own.
  const withComparison = new Set(['new-repeat', 'match-quality']);
  const settled = await Promise.allSettled([
    ...NAMES.map((n) => api(path(n, withComparison.has(n) ? compared : {}))), api(dynamicsPath)]);
  const [newRepeat, matchQuality, channels, campaigns, ads, keywords, pages, landing, hours,
    regions, devices, browsers, funnel, dynamics] = settled.map((r) => (r.status === 'fulfilled' ? r.value : null));
  if (settled.every((r) => r.status === 'rejected')) throw settled[0].reason;
  /** The widget `make()` builds, or the report's error in a widget of its own. */
  const each = (i, title, id, make) => (settled[i].status === 'fulfilled'
    ? make() : frame(title, id, null, errorBox(settled[i].reason, retry)));
  const compareLabel = dynamics && dynamics.compare_from
    ? range(dynamics.compare_from, dynamics.compare_to) : '';
  const sum = (report, column) => report.rows.reduce((n, r) => n + (r[column] || 0), 0);
  const total = newRepeat ? sum(newRepeat, 'dialogs') : null;
  const hasPrevious = newRepeat && 'dialogs_previous' in (newRepeat.rows[0] || {});
  const before = hasPrevious ? range(newRepeat.compare_from, newRepeat.compare_to) : '';
  /** A tile: the value, its label, and its change against the comparison period. */
  const kpi = (id, value, label, change) => h('div', { class: 'kpi' }, h('b', { id }, value),
    h('span', null, label),
    change ? h('small', { class: `change ${change.sign}`, title: before },
      t('reports.change', { change: change.text, period: before })) : null);
  /** The relative change of a count, as `+12.5 %`; none without a count before. */
  const relative = (now, then) => (hasPrevious && then ? {
    sign: now > then ? 'up' : now < then ? 'down' : 'same',
    text: (now >= then ? '+' : '') + percent((now - then) / then),
  } : null);
  /** The change of a share, in percentage points. */
  const points = (now, then) => (hasPrevious && now != null && then != null ? {
    sign: now > then ? 'up' : now < then ? 'down' : 'same',
    text: t('reports.points', { change: pointsChange(now, then) }),
  } : null);
  const exact = matchQuality ? matchQuality.rows.find((r) => r.match_kind === 'exact') : null;
  return [
    h('div', { class: 'kpis' },
      newRepeat ? [
        kpi('kpi-dialogs', count(total), tn('reports.kpi_dialogs', total),
          relative(total, hasPrevious ? sum(newRepeat, 'dialogs_previous') : 0)),
        newRepeat.rows.map((r) => kpi(null, percent(r.share), t(`reports.kpi_${r.kind}`),
          points(r.share, r.share_previous))),
      ] : null,
      exact ? kpi(null, percent(exact.share), t('reports.kpi_exact'),
        points(exact.share, exact.share_previous)) : null),
    h('p', { class: 'period muted' }, range(p.from, p.to)),
    each(13, t(`reports.by.${p.granularity}`), 'dynamics', () => h('section', { class: 'card widget wide', id: 'dynamics' },
      h('header', null,
        h('h2', null, t(`reports.by.${p.granularity}`),
          compareLabel ? h('span', { class: 'muted' }, ' ', t('reports.vs', { period: compareLabel })) : ''),
        csvButton('dynamics', dynamicsPath, `dynamics_${p.from}_${p.to}.csv`)),
      dynamicsChart(dynamics.rows, p.granularity, compareLabel))),
    h('div', { class: 'grid' },
      each(0, t('reports.new_repeat'), 'new-repeat',
        () => sharesWidget(t('reports.new_repeat'), newRepeat, path('new-repeat'), 'new-repeat')),
      each(1, t('reports.match_quality'), 'match-quality',
        () => sharesWidget(t('reports.match_quality'), matchQuality, path('match-quality'), 'match-quality')),
      each(2, t('reports.channels'), 'channels',
        () => tableWidget(t('reports.channels'), channels, path('channels'), 'channels', rowLinks)),
      each(3, t('reports.campaigns'), 'campaigns',
        () => tableWidget(t('reports.campaigns'), campaigns, path('campaigns'), 'campaigns', rowLinks)),
      each(4, t('reports.ads'), 'ads', () => tableWidget(t('reports.ads'), ads, path('ads'), 'ads', rowLinks)),
      each(5, t('reports.keywords'), 'keywords',
        () => tableWidget(t('reports.keywords'), keywords, path('keywords'), 'keywords', rowLinks)),
      each(6, t('reports.pages'), 'pages', () => tableWidget(t('reports.pages'), pages, path('pages'), 'pages', rowLinks)),
      each(7, t('reports.landing_pages'), 'landing-pages',
        () => tableWidget(t('reports.landing_pages'), landing, path('landing-pages'), 'landing-pages', rowLinks)),
      each(12, t('reports.funnel'), 'funnel', () => funnelWidget(funnel, path('funnel'))),
      each(9, t('reports.regions'), 'regions',
        () => tableWidget(t('reports.regions'), regions, path('regions'), 'regions', rowLinks)),
      each(10, t('reports.devices'), 'devices',
        () => tableWidget(t('reports.devices'), devices, path('devices'), 'devices', rowLinks)),
      each(11, t('reports.browsers'), 'browsers',
        () => tableWidget(t('reports.browsers'), browsers, path('browsers'), 'browsers', rowLinks)),
      each(8, t('reports.hours'), 'hours', () => frame(t('reports.hours'), 'hours',
        csvButton('hours', path('hours'), `hours_${p.from}_${p.to}.csv`), hoursWidget(hours)))),
  ];
}

export async function reportsPage(me, params, go) {
  let p = parameters(params);
  const apply = (form) => {
    const data = new FormData(form);
    const chosen = Object.fromEntries(CONTROLS.map((k) => [k, data.get(k)]));
    if (chosen.compare !== 'custom') {
      chosen.compare_from = '';
      chosen.compare_to = '';
    }
    go(`#/reports${query(chosen)}`);
  };
  const form = controls(me, p, apply);
  const presets = h('p', { class: 'presets' });
  const summary = h('span');
  const results = h('div', { class: 'results', id: 'report-results' });
  let loaded = 0;
  const render = async (next) => {
    const mine = ++loaded;
    p = parameters(next);
    for (const k of CONTROLS) {
      const el = form.elements[k];
      if (el && el.value !== p[k]) el.value = p[k];
    }
    form.querySelector('.custom-period').hidden = p.compare !== 'custom';
    const active = ['channel', 'campaign', 'number', 'match', 'tag'].filter((k) => p[k]).length;
    replace(summary, t('reports.summary', { period: range(p.from, p.to) }),
      active ? ` · ${t('filter.summary_active', { n: active })}` : '');
    replace(presets, t('reports.last'), ' ', [7, 30, 90, 365].map((days) => h('a', {
      href: `#/reports${query({ ...p, from: localDate(days - 1), to: localDate(0) })}`,
    }, tn('reports.days', days))));
    const content = await widgets(me, p, () => render(new URLSearchParams(query(p))));
    if (mine !== loaded) return;
    replace(results, content);
  };
  const fail = (err) => replace(results, errorBox(err, () => render(new URLSearchParams(query(p)))));
  try {
    await render(params);
  } catch (err) {
    fail(err);
  }
  return {
    el: h('section', { id: 'reports' }, h('h1', null, t('reports.title')), foldable(summary, form), presets,
      results),
    update: render,
    fail,
  };
}

