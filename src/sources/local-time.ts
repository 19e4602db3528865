/**
 * Floating local wall-clock times (what the US portals publish) → UTC instants, through luxon and the
 * IANA database; no offset arithmetic of our own.
 *
 * DST is resolved deterministically, the way Temporal's `disambiguation: 'compatible'` does:
 * - a wall time inside a spring-forward gap (e.g. 02:30 on the March change) does not exist; it maps
 *   to the transition instant itself (03:00 daylight time). Luxon alone would move it forward by
 *   the gap (02:30 → 03:30), which puts it after real times such as 03:15 and breaks the ordering
 *   of wall times; clamping keeps the conversion monotonic (non-decreasing);
 * - a wall time inside a fall-back overlap (e.g. 01:30 on the November change) happens twice; the
 *   EARLIER instant (daylight time) is chosen, as Temporal's `compatible` does. Luxon alone picks the
 *   later one, so we check the offset in force a few hours before and use it when it reproduces the
 *   same wall time.
 */
import { DateTime, IANAZone } from 'luxon';

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  millisecond?: number;
}

const SIX_HOURS = 6 * 3600_000;

function sameWall(dt: DateTime, w: WallTime): boolean {
  return (
    dt.year === w.year &&
    dt.month === w.month &&
    dt.day === w.day &&
    dt.hour === w.hour &&
    dt.minute === w.minute &&
    dt.second === (w.second ?? 0)
  );
}

/** The UTC epoch milliseconds of a local wall time in `zone`, or undefined if the fields are not a valid date. */
export function localToUtcMillis(w: WallTime, zone: string): number | undefined {
  const fast = cachedLocalToUtcMillis(w, zone);
  return fast === undefined ? luxonLocalToUtcMillis(w, zone) : fast;
}

/*
 * Fast path. Asking luxon (Intl's formatToParts) for the offset of every row costs ~30 µs and was most of
 * the normalisers' time. Offsets change only at zone transitions, months apart, so we cache, per zone
 * and per LOCAL calendar day, the one offset that holds for every wall time of that day, when there is
 * one. The offset itself always comes from luxon/Intl; the only arithmetic of ours is reading a wall
 * time as if it were UTC (Date.UTC, calendar maths, no zone rules) and subtracting that cached offset.
 *
 * A day is "regular" when luxon reports the same offset `o` at instants every SAMPLE_STEP over
 * [day start − MARGIN, day end + MARGIN] (wall times read as UTC). MARGIN (15 h) exceeds any UTC offset
 * (±14 h), so every candidate instant W − o′ of every wall time W of the day lies inside that span; since
 * the offset is `o` throughout, W − o is the one and only instant with that wall time (no gap, no
 * overlap). A transition anywhere in the span shows up as a differing sample (samples are 6 h apart and
 * real transitions are months apart), and such a day is marked irregular: all its wall times take the
 * exact luxon path below, which implements the gap/overlap rules. So DST days (and their neighbours
 * within 15 h) behave exactly as before, and every other day costs one Map lookup.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MARGIN = 15 * HOUR;
const SAMPLE_STEP = 6 * HOUR;
/** Per zone: local day number (wall time read as UTC, / DAY) → offset in minutes, or NaN (irregular). */
const dayOffsets = new Map<string, Map<number, number>>();
/** Zones luxon's IANAZone accepts (others, e.g. `UTC+3` specifiers or bad names, take the luxon path). */
const ianaZones = new Map<string, IANAZone | null>();
/** Bound on cached days per zone (~270 years); the cache is simply cleared when it is reached. */
const MAX_CACHED_DAYS = 100_000;

function ianaZone(zone: string): IANAZone | null {
  let z = ianaZones.get(zone);
  if (z === undefined) {
    z = IANAZone.isValidZone(zone) ? IANAZone.create(zone) : null;
    ianaZones.set(zone, z);
  }
  return z;
}

function dayOffset(z: IANAZone, zone: string, dayNumber: number): number {
  let days = dayOffsets.get(zone);
  if (days === undefined) {
    days = new Map();
    dayOffsets.set(zone, days);
  }
  let o = days.get(dayNumber);
  if (o !== undefined) return o;
  const start = dayNumber * DAY - MARGIN;
  const end = (dayNumber + 1) * DAY + MARGIN;
  o = z.offset(start);
  for (let t = start + SAMPLE_STEP; ; t += SAMPLE_STEP) {
    if (z.offset(Math.min(t, end)) !== o) {
      o = Number.NaN;
      break;
    }
    if (t >= end) break;
  }
  if (days.size >= MAX_CACHED_DAYS) days.clear();
  days.set(dayNumber, o);
  return o;
}

const isInt = Number.isInteger;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The cached-offset conversion; undefined when it cannot decide (the caller then asks luxon). Exported for tests. */
export function cachedLocalToUtcMillis(w: WallTime, zone: string): number | undefined {
  const second = w.second ?? 0;
  const millisecond = w.millisecond ?? 0;
  // Only plain in-range fields; anything unusual (hour 24, fractions, years before 100, which Date.UTC
  // maps to 19xx) goes to luxon, which decides validity as before.
  if (
    !isInt(w.year) ||
    w.year < 100 ||
    w.year > 9999 ||
    !isInt(w.month) ||
    w.month < 1 ||
    w.month > 12 ||
    !isInt(w.day) ||
    w.day < 1 ||
    w.day > daysInMonth(w.year, w.month) ||
    !isInt(w.hour) ||
    w.hour < 0 ||
    w.hour > 23 ||
    !isInt(w.minute) ||
    w.minute < 0 ||
    w.minute > 59 ||
    !isInt(second) ||
    second < 0 ||
    second > 59 ||
    !isInt(millisecond) ||
    millisecond < 0 ||
    millisecond > 999
  )
    return undefined;
  const z = ianaZone(zone);
  if (z === null) return undefined;
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, second, millisecond);
  const o = dayOffset(z, zone, Math.floor(wallAsUtc / DAY));
  return Number.isNaN(o) ? undefined : wallAsUtc - o * 60_000;
}

/** The exact conversion through luxon alone, with the gap and overlap rules of the module comment (the reference the cached path is tested against). */
export function luxonLocalToUtcMillis(w: WallTime, zone: string): number | undefined {
  const dt = DateTime.fromObject(
    {
      year: w.year,
      month: w.month,
      day: w.day,
      hour: w.hour,
      minute: w.minute,
      second: w.second ?? 0,
      millisecond: w.millisecond ?? 0,
    },
    { zone },
  );
  if (!dt.isValid) return undefined;
  const ms = dt.toMillis();
  if (!sameWall(dt, w)) return transitionBefore(ms, dt.offset, zone);
  // Overlap: the offset in force before the change may give an earlier instant with the same wall time.
  const before = DateTime.fromMillis(ms - SIX_HOURS, { zone }).offset;
  if (before !== dt.offset) {
    const wallAsUtc = ms + dt.offset * 60_000;
    const earlier = wallAsUtc - before * 60_000;
    if (earlier < ms && sameWall(DateTime.fromMillis(earlier, { zone }), w)) return earlier;
  }
  return ms;
}

/**
 * The first instant at or before `ms` (within six hours) from which `offset` is in force: the end of
 * a spring-forward gap. Binary search to the second; zone transitions fall on whole seconds.
 */
function transitionBefore(ms: number, offset: number, zone: string): number {
  let lo = ms - SIX_HOURS; // offset differs here (we are just past a gap)
  let hi = ms; // offset in force here
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (DateTime.fromMillis(mid, { zone }).offset === offset) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** ISO `...Z` form of {@link localToUtcMillis}; undefined for an invalid date. */
export function localToUtcIso(w: WallTime, zone: string): string | undefined {
  const ms = localToUtcMillis(w, zone);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** The wall time of a UTC instant in `zone` (the inverse, for tests and round trips). */
export function utcToWall(ms: number, zone: string): WallTime {
  const dt = DateTime.fromMillis(ms, { zone });
  return {
    year: dt.year,
    month: dt.month,
    day: dt.day,
    hour: dt.hour,
    minute: dt.minute,
    second: dt.second,
    millisecond: dt.millisecond,
  };
}

const US_DATE_TIME =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?\s*([AaPp][Mm])?)?$/;
const ISO_FLOATING = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

export interface ParsedLocal {
  wall: WallTime;
  /** The string carried a time of day (even `00:00`), not a bare date. */
  hasTime: boolean;
}

/**
 * Parses the floating timestamps the portals use: SODA `2015-02-08T23:43:40.000`, CSV exports
 * `02/08/2015 11:43:40 PM`, spreadsheet re-saves `01/08/2020 00:00`, and bare dates. A string with a
 * zone or offset is refused: these fields are floating by contract, so an offset means drift.
 */
export function parseFloatingLocal(text: string): ParsedLocal | undefined {
  const s = text.trim();
  let y: number;
  let mo: number;
  let d: number;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let ms = 0;
  let hasTime = false;
  const us = US_DATE_TIME.exec(s);
  if (us) {
    mo = Number(us[1]);
    d = Number(us[2]);
    y = Number(us[3]);
    if (us[4] !== undefined) {
      hasTime = true;
      h = Number(us[4]);
      mi = Number(us[5]);
      sec = us[6] ? Number(us[6]) : 0;
      ms = us[7] ? Number(us[7].padEnd(3, '0')) : 0;
      const ampm = us[8]?.toUpperCase();
      if (ampm) {
        if (h < 1 || h > 12) return undefined;
        if (ampm === 'AM' && h === 12) h = 0;
        else if (ampm === 'PM' && h !== 12) h += 12;
      }
    }
  } else {
    const iso = ISO_FLOATING.exec(s);
    if (!iso) return undefined;
    y = Number(iso[1]);
    mo = Number(iso[2]);
    d = Number(iso[3]);
    if (iso[4] !== undefined) {
      hasTime = true;
      h = Number(iso[4]);
      mi = Number(iso[5]);
      sec = iso[6] ? Number(iso[6]) : 0;
      ms = iso[7] ? Number(iso[7].slice(0, 3).padEnd(3, '0')) : 0;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  return { wall: { year: y, month: mo, day: d, hour: h, minute: mi, second: sec, millisecond: ms }, hasTime };
}
