// Numbers, times and labels as people read them, in the site's time zone.

let zone = 'UTC';

/** Sets the time zone every date is shown in (the site's). */
export function useTimeZone(tz) {
  zone = tz;
}

/** `2026-11-23 14:05` style date and time of an RFC 3339 timestamp, in the site's zone. */
export function dateTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, {
    timeZone: zone, dateStyle: 'medium', timeStyle: 'short',
  }).format(new Date(iso));
}

/** Today's date (`YYYY-MM-DD`) in the site's zone, `days` earlier. */
export function localDate(daysAgo = 0) {
  const d = new Date(Date.now() - daysAgo * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(d);
}

/** A share (0.1234) as a percentage. */
export function percent(v) {
  return v == null ? '—' : `${(v * 100).toFixed(1)}%`;
}

/** A count with thousands separators. */
export function count(v) {
  return v == null ? '—' : Number(v).toLocaleString();
}

/** A duration in seconds, roughly. */
export function duration(seconds) {
  if (seconds == null) return '—';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** A value or a dash. */
export function orDash(v) {
  return v == null || v === '' ? '—' : v;
}
