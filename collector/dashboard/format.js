// Numbers, times and labels as people read them: in the chosen language's locale (Intl) and
// the site's time zone.

import { locale, t, tOr } from './i18n.js';

let zone = 'UTC';

/** Sets the time zone every date is shown in (the site's). */
export function useTimeZone(tz) {
  zone = tz;
}

/** Date and time of an RFC 3339 timestamp, in the site's zone and the chosen locale. */
export function dateTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zone, dateStyle: 'medium', timeStyle: 'short',
  }).format(new Date(iso));
}

/** Today's date (`YYYY-MM-DD`, a form field's value) in the site's zone, `days` earlier. */
export function localDate(daysAgo = 0) {
  const d = new Date(Date.now() - daysAgo * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(d);
}

/** A calendar date (`YYYY-MM-DD`, as reports name their days) as the locale writes it. */
export function day(ymd, options = { dateStyle: 'medium' }) {
  if (!ymd) return '—';
  // Noon UTC, shown in UTC: the same calendar day whatever the zones.
  const d = new Date(`${ymd}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return ymd;
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', ...options }).format(d);
}

/** A period's bucket (its first day) at `granularity`: "3 Nov", "Nov 2026", "Q4 2026". */
export function bucket(ymd, granularity) {
  if (granularity === 'month') return day(ymd, { month: 'short', year: 'numeric' });
  if (granularity === 'quarter') {
    const [year, month] = ymd.split('-').map(Number);
    return t('quarter', { q: Math.floor((month - 1) / 3) + 1, year });
  }
  return day(ymd, { day: 'numeric', month: 'short' });
}

/** A share (0.1234) as a percentage with `digits` decimals. */
export function percent(v, digits = 1) {
  return v == null ? '—' : new Intl.NumberFormat(locale(), {
    style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(v);
}

/** A change in percentage points (a share's `now − then`), signed, one decimal. */
export function pointsChange(now, then) {
  const pp = (now - then) * 100;
  return (pp >= 0 ? '+' : '') + new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(pp);
}

/** A count with the locale's thousands separators. */
export function count(v) {
  return v == null ? '—' : new Intl.NumberFormat(locale()).format(Number(v));
}

/** A duration in seconds, roughly, in the locale's words. */
export function duration(seconds) {
  if (seconds == null) return '—';
  const unit = (value, name) => new Intl.NumberFormat(locale(), {
    style: 'unit', unit: name, unitDisplay: name === 'day' ? 'long' : 'short',
  }).format(value);
  if (seconds < 60) return unit(seconds, 'second');
  if (seconds < 3600) return unit(Math.round(seconds / 60), 'minute');
  if (seconds < 172800) return unit(Math.round(seconds / 3600), 'hour');
  return unit(Math.round(seconds / 86400), 'day');
}

/** A value or a dash. */
export function orDash(v) {
  return v == null || v === '' ? '—' : v;
}

/** A traffic channel's name in the chosen language (custom channels as they are). */
export function channelName(c) {
  return c ? tOr(`channel.${c}`, c) : '—';
}

/** How a dialog was matched (`exact`, `referral`, `probable`, `none`), in words. */
export function matchName(kind) {
  return tOr(`match.${kind}`, kind);
}

/** A contact type (`new`, `repeat`), in words. */
export function kindName(kind) {
  return tOr(`kind.${kind}`, kind);
}

/** A stage of the site's: the default ones in words, the site's own as written. */
export function stageName(name) {
  return name ? tOr(`stage.${name}`, name) : '—';
}

/** An amount (a number or a decimal string) in `currency` (ISO 4217), as the locale writes
 * money; without a currency, a plain number. */
export function money(value, currency) {
  if (value == null || value === '') return '—';
  const n = Number(value);
  if (!currency) return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(n);
  try {
    return new Intl.NumberFormat(locale(), {
      style: 'currency', currency, maximumFractionDigits: 2,
    }).format(n);
  } catch (_) {
    return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(n)} ${currency}`;
  }
}

/** A token's role, in words. */
export function roleName(role) {
  return tOr(`role.${role}`, role);
}

/** A period between two calendar dates (`YYYY-MM-DD`), as the locale writes a range. */
export function range(from, to) {
  const at = (ymd) => new Date(`${ymd}T12:00:00Z`);
  const f = new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', dateStyle: 'medium' });
  try {
    return f.formatRange(at(from), at(to));
  } catch (_) {
    return `${day(from)} – ${day(to)}`;
  }
}
