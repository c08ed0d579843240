// The busiest hours of the week as a heat map: a CSS grid of 7 days by 24 hours, hours
// across on a wide screen and down on a phone (the same cells, laid out by the style sheet).
// Each cell's colour grows with its count; its number is written in whichever of dark or
// white text contrasts more with it, and an empty hour has no number.

import { h } from './dom.js';
import { count, day } from './format.js';
import { t, tn } from './i18n.js';

const EMPTY = [243, 244, 246];
const LOW = [219, 234, 254];
const HIGH = [30, 58, 138];
const DARK = [17, 24, 39];
const WHITE = [255, 255, 255];

function mix(share) {
  return LOW.map((c, i) => Math.round(c + (HIGH[i] - c) * share));
}

function luminance(rgb) {
  const [r, g, b] = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two colours. */
export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

const css = (rgb) => `rgb(${rgb.join(' ')})`;

/** The map of the hours report's rows (`weekday` 1–7 from Monday, `hour` 0–23, `dialogs`). */
export function hoursWidget(report) {
  const max = Math.max(1, ...report.rows.map((r) => r.dialogs));
  // 2024-01-01 was a Monday.
  const days = [1, 2, 3, 4, 5, 6, 7].map((d) => day(`2024-01-0${d}`, { weekday: 'short' }));
  const color = (n) => (n ? mix(max === 1 ? 1 : (n - 1) / (max - 1)) : EMPTY);
  const cells = [h('span', { class: 'corner' })];
  for (let hr = 0; hr < 24; hr += 1) cells.push(h('span', { class: 'hour-label' }, hr));
  days.forEach((name, di) => {
    cells.push(h('span', { class: 'day-label' }, name));
    for (let hr = 0; hr < 24; hr += 1) {
      const n = report.rows.find((r) => r.weekday === di + 1 && r.hour === hr)?.dialogs || 0;
      const bg = color(n);
      const ink = contrast(bg, WHITE) >= contrast(bg, DARK) ? WHITE : DARK;
      cells.push(h('span', {
        class: 'cell', 'data-hour': hr, 'data-day': di + 1,
        title: `${name} ${hr}:00–${hr + 1}:00 · ${tn('chart.dialogs', n)}`,
        style: { background: css(bg), color: css(ink) },
      }, n ? count(n) : ''));
    }
  });
  const swatch = (rgb, label) => h('li', null, h('span', { class: 'swatch block', style: { background: css(rgb) } }), label);
  const legend = h('ul', { class: 'legend' },
    swatch(EMPTY, count(0)),
    swatch(color(1), count(1)),
    max > 2 ? swatch(color(Math.round(max / 2)), count(Math.round(max / 2))) : null,
    max > 1 ? swatch(color(max), count(max)) : null,
    h('li', { class: 'muted' }, t('hours.legend')));
  return [
    h('div', { class: 'heat-frame' },
      h('div', { class: 'heat', id: 'hours-grid', role: 'img', 'aria-label': t('reports.hours') }, cells)),
    legend,
  ];
}
