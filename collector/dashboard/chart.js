// The dynamics chart: dialogs per bucket, one line per channel and one for the total, with
// the comparison period's total overlaid (dashed) on the same bucket positions. Plain SVG,
// drawn from the report's rows, so it needs no library and no network.

import { h, s } from './dom.js';

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
const W = 760;
const H = 260;
const PAD = { l: 44, r: 12, t: 12, b: 28 };

/** Series from the dynamics rows: `{ buckets, total, comparison, channels: [[name, values]] }`. */
export function series(rows) {
  const current = rows.filter((r) => r.period === 'current');
  const buckets = [];
  for (const r of current) buckets[r.index] = r.bucket;
  const n = buckets.length;
  const total = new Array(n).fill(0);
  const byChannel = new Map();
  for (const r of current) {
    total[r.index] += r.dialogs;
    const name = r.channel || 'Unknown';
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
  return { buckets, total, comparison, channels };
}

function path(values, x, y) {
  return values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
}

/** The chart and its legend. */
export function dynamicsChart(rows, compareLabel) {
  const { buckets, total, comparison, channels } = series(rows);
  const n = Math.max(buckets.length, comparison ? comparison.length : 0);
  if (!n) return h('p', { class: 'muted' }, 'No dialogs in this period.');
  // Four grid steps of a whole number of dialogs.
  const step = Math.max(1, Math.ceil(Math.max(1, ...total, ...(comparison || [])) / 4));
  const max = step * 4;
  const x = (i) => PAD.l + (n === 1 ? 0 : (i * (W - PAD.l - PAD.r)) / (n - 1));
  const y = (v) => H - PAD.b - (v * (H - PAD.t - PAD.b)) / max;
  const grid = [0, 1, 2, 3, 4].map((k) => {
    const v = k * step;
    return [
      s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, v),
    ];
  });
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  const ticks = buckets.map((b, i) => (i % every ? null
    : s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, b)));
  const lines = [];
  const legend = [];
  channels.forEach(([name, values], i) => {
    const color = COLORS[i + 1];
    lines.push(s('path', { d: path(values, x, y), stroke: color, class: 'line channel', 'data-series': name },
      s('title', null, name)));
    legend.push(h('li', null, h('span', { class: 'swatch', style: { background: color } }), name));
  });
  if (comparison) {
    lines.push(s('path', { d: path(comparison, x, y), class: 'line comparison', 'data-series': 'comparison' },
      s('title', null, `Total, ${compareLabel}`)));
    legend.push(h('li', null, h('span', { class: 'swatch dashed' }), `Total, ${compareLabel}`));
  }
  lines.push(s('path', { d: path(total, x, y), stroke: COLORS[0], class: 'line total', 'data-series': 'total' },
    s('title', null, 'Total')));
  legend.unshift(h('li', null, h('span', { class: 'swatch', style: { background: COLORS[0] } }), 'Total'));
  const points = total.map((v, i) => s('circle', { cx: x(i), cy: y(v), r: 3, class: 'point' },
    s('title', null, `${buckets[i]}: ${v} dialogs${comparison && comparison[i] != null ? `, ${comparison[i]} ${compareLabel}` : ''}`)));
  return h('figure', { class: 'chart' },
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Dialogs per period', id: 'dynamics-chart' },
      grid, ticks, lines, points),
    h('ul', { class: 'legend' }, legend));
}
