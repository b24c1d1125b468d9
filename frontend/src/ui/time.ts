// Relative times for posts and comments ("just now", "5 min ago", "yesterday"): pure, so tested.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Whole calendar days between two instants, in local time (0 = the same day). */
function calendarDays(from: number, to: number): number {
  const a = new Date(from);
  const b = new Date(to);
  const startA = new Date(a.getFullYear(), a.getMonth(), a.getDate()).getTime();
  const startB = new Date(b.getFullYear(), b.getMonth(), b.getDate()).getTime();
  return Math.round((startB - startA) / (24 * HOUR));
}

/** How long ago ``ts`` was, in a few words. A time slightly in the future (clock skew) is "just now". */
export function relativeTime(ts: number, now: number, locale?: string): string {
  const ago = now - ts;
  if (ago < MINUTE) return "just now";
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  const days = calendarDays(ts, now);
  if (ago < 6 * HOUR || days === 0) return `${Math.floor(ago / HOUR)} h ago`;
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, sameYear ? "dayMonth" : "date").format(ts);
}

/** The full date and time, for a tooltip. */
export function fullTime(ts: number, locale?: string): string {
  return formatter(locale, "full").format(ts);
}

const STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  dayMonth: { day: "numeric", month: "short" },
  date: { day: "numeric", month: "short", year: "numeric" },
  full: { dateStyle: "full", timeStyle: "short" },
};
// Making a formatter costs far more than using one: a wall shows hundreds of times.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined, style: keyof typeof STYLES): Intl.DateTimeFormat {
  const key = `${locale ?? ""} ${style}`;
  let made = formatters.get(key);
  if (!made) formatters.set(key, (made = new Intl.DateTimeFormat(locale, STYLES[style])));
  return made;
}

/** How long until the display of ``ts`` may change: when to look again. */
export function refreshIn(ts: number, now: number): number {
  const ago = now - ts;
  if (ago < HOUR) return 15_000;
  return 5 * MINUTE;
}
