/**
 * Pieces shared by the US Socrata normalisers (Chicago, NYC, LA): turning a floating date (+ optional
 * separate time) into `occurredAt`/`timePrecision`/`timeFlags`, and checking the finished event
 * against the `CrimeEvent` contract so a bad row becomes a rejection, never a throw.
 */
import { CrimeEvent, type TimeFlag, type TimePrecision } from '../core/crime-event.js';
import type { TaxonomyMapping } from '../core/taxonomy/mapping.js';
import { countUnmappedType, isUnmapped } from '../core/taxonomy/mapping.js';
import { fastEventCheck, fullCheckDue } from './fast-event-check.js';
import { localToUtcIso, parseFloatingLocal, type WallTime } from './local-time.js';
import type { NormaliseResult, RawRow } from './normalise.js';

export interface Occurrence {
  occurredAt: string;
  timePrecision: TimePrecision;
  timeFlags: TimeFlag[];
}

export interface OccurrenceOptions {
  /** Is this wall time a portal's "time unknown" value? Then precision drops to `day`. */
  isPlaceholder?: (w: WallTime) => boolean;
  /** The portal gives no time of day at all (NYC arrests): precision `day`, flag `date-only`. */
  dateOnly?: boolean;
}

/** Earliest plausible occurrence year; older dates are typing errors (the NYPD data has year 1015). */
export const MIN_YEAR = 1900;

/** `HH:MM[:SS]` or `HHMM` (LA TIME OCC) → [hour, minute, second]; undefined if malformed. */
export function parseClock(text: string): [number, number, number] | undefined {
  const s = text.trim();
  const colon = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  const hhmm = /^(\d{1,4})$/.exec(s);
  let h: number;
  let m: number;
  let sec = 0;
  if (colon) {
    h = Number(colon[1]);
    m = Number(colon[2]);
    sec = colon[3] ? Number(colon[3]) : 0;
  } else if (hhmm) {
    const v = hhmm[1]!.padStart(4, '0');
    h = Number(v.slice(0, 2));
    m = Number(v.slice(2));
  } else return undefined;
  // 24:00 ("end of day") is handled by the caller as a placeholder; here it is malformed.
  if (h > 23 || m > 59 || sec > 59) return undefined;
  return [h, m, sec];
}

/**
 * The occurrence of a row from a floating date and, when the portal splits it, a separate clock
 * text. `clock === null` means "the portal has a time column but this row left it empty", which is a
 * placeholder; `undefined` means the time is inside `date`.
 */
export function occurrence(
  date: string | undefined,
  clock: string | null | undefined,
  zone: string,
  options: OccurrenceOptions = {},
): Occurrence | string {
  if (date === undefined) return 'missing date';
  const parsed = parseFloatingLocal(date);
  if (!parsed) return `unparseable date '${date.slice(0, 40)}'`;
  const wall: WallTime = { ...parsed.wall };
  if (wall.year < MIN_YEAR) return `implausible date '${date.slice(0, 40)}'`;
  let hasTime = parsed.hasTime;
  let placeholder = false;
  if (options.dateOnly) {
    hasTime = false;
  } else if (clock === null) {
    placeholder = true;
  } else if (clock !== undefined && /^24:?00(:?00)?$/.test(clock.trim())) {
    // NYPD's historic complaints have a few `24:00:00` times: "end of day", i.e. time unknown.
    placeholder = true;
  } else if (clock !== undefined) {
    const c = parseClock(clock);
    if (!c) return `unparseable time '${clock.slice(0, 20)}'`;
    [wall.hour, wall.minute, wall.second] = c;
    wall.millisecond = 0;
    hasTime = true;
  }
  if (hasTime && !placeholder && options.isPlaceholder?.(wall)) placeholder = true;
  if (!hasTime || placeholder) {
    // Day precision: the local midnight that starts the day (a day window in the source zone).
    wall.hour = 0;
    wall.minute = 0;
    wall.second = 0;
    wall.millisecond = 0;
  }
  const occurredAt = localToUtcIso(wall, zone);
  if (!occurredAt) return `invalid date '${date.slice(0, 40)}'`;
  if (placeholder) return { occurredAt, timePrecision: 'day', timeFlags: ['placeholder-time'] };
  if (!hasTime) return { occurredAt, timePrecision: 'day', timeFlags: ['date-only'] };
  return { occurredAt, timePrecision: 'minute', timeFlags: [] };
}

/** A floating timestamp (report date, update date) → UTC ISO, or undefined when absent/unreadable. */
export function floatingToUtc(value: string | undefined, zone: string): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseFloatingLocal(value);
  if (!parsed || parsed.wall.year < MIN_YEAR) return undefined;
  return localToUtcIso(parsed.wall, zone);
}

/** Counts unmapped portal types for the taxonomy metric. */
export function noteMapping(source: string, mapping: TaxonomyMapping, sourceType: string): void {
  if (isUnmapped(mapping)) countUnmappedType(source, sourceType);
}

/**
 * Validates a finished event; a contract breach becomes a rejection carrying the raw row. The cheap
 * schema-derived check vouches for most rows (see fast-event-check.ts for why that is safe); rows it
 * cannot vouch for, and a sample of the others, get zod's full verdict and its error message.
 */
export function finish(candidate: Record<string, unknown>, payload: RawRow): NormaliseResult {
  if (fastEventCheck(candidate) && !fullCheckDue()) return { ok: true, event: candidate };
  const parsed = CrimeEvent.safeParse(candidate);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    reason: `contract: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    payload,
  };
}
