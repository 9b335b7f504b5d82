// How numbers and times read on a page. Times are the server's local time (TZ is passed
// to pages), with the date always shown: an archive spans days.

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `2026-11-20` */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** `Fri 2026-11-20` */
export function dayHeading(d: Date): string {
  return `${WEEKDAYS[d.getDay()]} ${isoDay(d)}`;
}

/** `22:20:01` */
export function clockTime(d: Date): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `2026-11-20 22:20` */
export function dateTime(d: Date): string {
  return `${isoDay(d)} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** `3 minutes ago`, for "last active"; exact dates past a week. */
export function ago(then: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${plural(Math.floor(s / 60), 'minute')} ago`;
  if (s < 86400) return `${plural(Math.floor(s / 3600), 'hour')} ago`;
  if (s < 7 * 86400) return `${plural(Math.floor(s / 86400), 'day')} ago`;
  return isoDay(then);
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
