/**
 * A small rule-based holiday table for the count models' holiday indicator.
 *
 * - `US`: the eleven federal holidays (Juneteenth from 2021), each on its actual date plus the
 *   federal "observed" Friday/Monday when a fixed-date holiday falls on a weekend.
 * - `UK`: bank holidays of England and Wales (City of London data): New Year's Day, Good Friday,
 *   Easter Monday, Early May (moved to 8 May in 2020), Spring, Summer, Christmas and Boxing Day with
 *   their weekend substitutes. One-off holidays (jubilees, state funerals) are not listed.
 *
 * Rules rather than a fetched list because the models must work offline for any year; the table is
 * documented in docs/model.md. Dates are local calendar dates `yyyy-MM-dd`.
 */

export type HolidayCalendar = 'US' | 'UK' | 'none';

const cache = new Map<string, Set<string>>();

function iso(y: number, m: number, d: number): string {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Weekday of a calendar date, 0 = Sunday. */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** Day of the month of the n-th (1-based; -1 = last) given weekday in a month. */
function nthWeekday(y: number, m: number, wd: number, n: number): number {
  if (n > 0) {
    const first = weekday(y, m, 1);
    return 1 + ((wd - first + 7) % 7) + (n - 1) * 7;
  }
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const last = weekday(y, m, days);
  return days - ((last - wd + 7) % 7);
}

/** Western Easter Sunday (Meeus/Jones/Butcher algorithm) as [month, day]. */
export function easterSunday(y: number): [number, number] {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function addDays(y: number, m: number, d: number, n: number): string {
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

function usYear(y: number, out: Set<string>): void {
  const fixed: [number, number][] = [
    [1, 1],
    [7, 4],
    [11, 11],
    [12, 25],
  ];
  if (y >= 2021) fixed.push([6, 19]);
  for (const [m, d] of fixed) {
    out.add(iso(y, m, d));
    const wd = weekday(y, m, d);
    if (wd === 6) out.add(addDays(y, m, d, -1));
    if (wd === 0) out.add(addDays(y, m, d, 1));
  }
  out.add(iso(y, 1, nthWeekday(y, 1, 1, 3))); // Martin Luther King Jr. Day
  out.add(iso(y, 2, nthWeekday(y, 2, 1, 3))); // Presidents' Day
  out.add(iso(y, 5, nthWeekday(y, 5, 1, -1))); // Memorial Day
  out.add(iso(y, 9, nthWeekday(y, 9, 1, 1))); // Labor Day
  out.add(iso(y, 10, nthWeekday(y, 10, 1, 2))); // Columbus Day
  out.add(iso(y, 11, nthWeekday(y, 11, 4, 4))); // Thanksgiving
}

function ukYear(y: number, out: Set<string>): void {
  // New Year's Day, substitute Monday when on a weekend.
  const ny = weekday(y, 1, 1);
  out.add(ny === 6 ? iso(y, 1, 3) : ny === 0 ? iso(y, 1, 2) : iso(y, 1, 1));
  const [em, ed] = easterSunday(y);
  out.add(addDays(y, em, ed, -2)); // Good Friday
  out.add(addDays(y, em, ed, 1)); // Easter Monday
  out.add(y === 2020 ? iso(2020, 5, 8) : iso(y, 5, nthWeekday(y, 5, 1, 1))); // Early May (VE Day in 2020)
  out.add(iso(y, 5, nthWeekday(y, 5, 1, -1))); // Spring bank holiday
  out.add(iso(y, 8, nthWeekday(y, 8, 1, -1))); // Summer bank holiday
  const xmas = weekday(y, 12, 25);
  if (xmas === 6) {
    out.add(iso(y, 12, 27));
    out.add(iso(y, 12, 28));
  } else if (xmas === 0) {
    out.add(iso(y, 12, 26));
    out.add(iso(y, 12, 27));
  } else if (xmas === 5) {
    out.add(iso(y, 12, 25));
    out.add(iso(y, 12, 28));
  } else {
    out.add(iso(y, 12, 25));
    out.add(iso(y, 12, 26));
  }
}

/** The holiday dates of one calendar and year. */
export function holidaysOf(calendar: HolidayCalendar, year: number): Set<string> {
  const key = `${calendar}:${year}`;
  let set = cache.get(key);
  if (!set) {
    set = new Set<string>();
    if (calendar === 'US') usYear(year, set);
    if (calendar === 'UK') ukYear(year, set);
    cache.set(key, set);
  }
  return set;
}

/** True when the local calendar date `yyyy-MM-dd` is a holiday of the calendar. */
export function isHoliday(calendar: HolidayCalendar, localDate: string): boolean {
  if (calendar === 'none') return false;
  return holidaysOf(calendar, Number(localDate.slice(0, 4))).has(localDate);
}
