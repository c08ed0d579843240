// The dynamics chart: dialogs per bucket, one line per channel and one for the total, with
// the comparison period's total overlaid (dashed) on the same bucket positions. Plain SVG,
// drawn from the report's rows, so it needs no library and no network. It is drawn at the
// width it is shown at (one user unit = one CSS pixel), so its labels keep their size on a
// phone, and drawn again when that width changes.

import { h, s } from './dom.js';
import { bucket, channelName, count } from './format.js';
import { t, tn } from './i18n.js';

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
const PAD = { l: 40, r: 14, t: 12, b: 30 };
/** Room for one date label on the time axis, in pixels. */
const LABEL_WIDTH = 76;

/** Series from the dynamics rows: `{ buckets, total, comparison, channels: [[name, values]] }`. */
export function series(rows) {
  const current = rows.filter((r) => r.period === 'current');
  const buckets = [];
  const partial = [];
  for (const r of current) {
    buckets[r.index] = r.bucket;
    partial[r.index] = Boolean(r.partial);
  }
  const n = buckets.length;
  const total = new Array(n).fill(0);
  const byChannel = new Map();
  for (const r of current) {
    total[r.index] += r.dialogs;
    const name = r.channel || '';
    if (!byChannel.has(name)) byChannel.set(name, new Array(n).fill(0));
    byChannel.get(name)[r.index] += r.dialogs;
  }
  const compared = rows.filter((r) => r.period === 'comparison');
  let comparison = null;
  if (compared.length) {
    comparison = new Array(Math.max(n, ...compared.map((r) => r.index + 1))).fill(0);
    for (const r of compared) comparison[r.index] += r.dialogs;
  }
  const channels = [...byChannel.entries()]
    .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))
    .slice(0, COLORS.length - 1);
  // Buckets still filling (today's, or later) come last.
  const firstPartial = partial.indexOf(true);
  return { buckets, total, comparison, channels, firstPartial };
}

function path(values, x, y, from = 0, to = values.length) {
  return values.slice(from, to)
    .map((v, i) => `${i ? 'L' : 'M'}${x(i + from).toFixed(1)},${y(v).toFixed(1)}`).join('');
}

/** A series as its finished part and, dashed, its part still filling (from the bucket before). */
function lines(values, x, y, cut, attrs, title) {
  if (cut < 0 || values.length < 2) {
    return [s('path', { d: path(values, x, y), ...attrs }, title)];
  }
  const start = Math.max(0, cut - 1);
  return [
    cut > 0 ? s('path', { d: path(values, x, y, 0, cut), ...attrs }, title) : null,
    s('path', { d: path(values, x, y, start), ...attrs, class: `${attrs.class} partial` }, title),
  ];
}

function svg(data, width, granularity, compareLabel) {
  const { buckets, total, comparison, channels, firstPartial } = data;
  const n = Math.max(buckets.length, comparison ? comparison.length : 0);
  const W = Math.max(240, Math.round(width));
  const H = W < 520 ? 220 : 260;
  // Four grid steps of a whole number of dialogs.
  const step = Math.max(1, Math.ceil(Math.max(1, ...total, ...(comparison || [])) / 4));
  const max = step * 4;
  const x = (i) => PAD.l + (n === 1 ? 0 : (i * (W - PAD.l - PAD.r)) / (n - 1));
  const y = (v) => H - PAD.b - (v * (H - PAD.t - PAD.b)) / max;
  const grid = [0, 1, 2, 3, 4].map((k) => {
    const v = k * step;
    return [
      s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, count(v)),
    ];
  });
  const room = Math.max(1, Math.floor((W - PAD.l - PAD.r) / LABEL_WIDTH));
  const every = Math.max(1, Math.ceil(buckets.length / room));
  const last = buckets.length - 1;
  const ticks = buckets.map((b, i) => {
    if (i % every) return null;
    // The first and last labels stay inside the drawing.
    const anchor = i === 0 && n > 1 ? 'start' : (i === last && n > 1 ? 'end' : 'middle');
    return s('text', { x: x(i), y: H - 9, 'text-anchor': anchor, class: 'tick' }, bucket(b, granularity));
  });
  const drawn = [];
  channels.forEach(([name, values], i) => {
    drawn.push(...lines(values, x, y, firstPartial,
      { stroke: COLORS[i + 1], class: 'line channel', 'data-series': name },
      s('title', null, channelName(name) === '—' ? t('chart.no_source') : channelName(name))));
  });
  if (comparison) {
    drawn.push(s('path', { d: path(comparison, x, y), class: 'line comparison', 'data-series': 'comparison' },
      s('title', null, t('chart.total_compared', { period: compareLabel }))));
  }
  drawn.push(...lines(total, x, y, firstPartial,
    { stroke: COLORS[0], class: 'line total', 'data-series': 'total' }, s('title', null, t('chart.total'))));
  const filling = (i) => firstPartial >= 0 && i >= firstPartial;
  const points = total.map((v, i) => s('circle', {
    cx: x(i), cy: y(v), r: 3, class: filling(i) ? 'point partial' : 'point',
  }, s('title', null, `${bucket(buckets[i], granularity)}: ${tn('chart.dialogs', v)}${
    filling(i) ? ` (${t('chart.partial')})` : ''}${
    comparison && comparison[i] != null ? ` (${compareLabel}: ${count(comparison[i])})` : ''}`)));
  return s('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': t('chart.label'),
    id: 'dynamics-chart',
  }, grid, ticks, drawn, points);
}

/** The chart and its legend; `compareLabel` names the comparison period, if any. */
export function dynamicsChart(rows, granularity, compareLabel) {
  const data = series(rows);
  if (!Math.max(data.buckets.length, data.comparison ? data.comparison.length : 0)) {
    return h('p', { class: 'muted' }, t('chart.empty'));
  }
  const legend = [h('li', null, h('span', { class: 'swatch', style: { background: COLORS[0] } }), t('chart.total'))];
  data.channels.forEach(([name], i) => legend.push(h('li', null,
    h('span', { class: 'swatch', style: { background: COLORS[i + 1] } }),
    name ? channelName(name) : t('chart.no_source'))));
  if (data.comparison) {
    legend.push(h('li', null, h('span', { class: 'swatch dashed' }),
      t('chart.total_compared', { period: compareLabel })));
  }
  if (data.firstPartial >= 0) {
    legend.push(h('li', { class: 'partial-note' }, h('span', { class: 'swatch dotted' }), t('chart.partial')));
  }
  const frame = h('div', { class: 'frame' });
  let drawn = 0;
  const draw = (width) => {
    if (Math.abs(width - drawn) < 1) return;
    drawn = width;
    frame.replaceChildren(svg(data, width, granularity, compareLabel));
  };
  draw(760);
  // Drawn again at the width it gets once shown, and whenever that changes (a rotated phone).
  new ResizeObserver((entries) => {
    const width = Math.floor(entries[0].contentRect.width);
    if (width > 0) requestAnimationFrame(() => draw(width));
  }).observe(frame);
  return h('figure', { class: 'chart' }, frame, h('ul', { class: 'legend' }, legend));
}
