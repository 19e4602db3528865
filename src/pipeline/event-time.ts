/**
 * Timestamp assigner and tumbling window assigner: picks `occurredAt` and its `timePrecision`, and
 * places each event in its hour, local calendar day and local calendar month.
 *
 * Invariants (tested with fast-check in test/pipeline/event-time.test.ts):
 * - each window kind gives an event exactly one window, and the window contains `occurredAt`;
 * - hourly windows only for `minute`/`hour` precision; daily windows only for `minute`/`hour`/`day`;
 *   month-precision events (UK) land in monthly windows only: never an invented day or hour;
 * - days and months follow the source's IANA zone (luxon over `Intl`), so a DST day lasts 23 or 25
 *   hours and the repeated autumn hour is two distinct hourly windows.
 *
 * Zone math is cached per (zone, quarter-hour): every real zone offset is a multiple of 15 minutes,
 * so all instants in one UTC quarter-hour share their local hour, day and month.
 */
import { DateTime } from 'luxon';
import type { CrimeEvent, TimePrecision } from '../core/crime-event.js';

export type Granularity = 'hour' | 'day' | 'month';

/** Where one event lands; instants are epoch ms (UTC), `localDay` is the source's calendar date. */
export interface WindowAssignment {
  occurredMs: number;
  /** Start of the local clock hour, or null for day/month precision. */
  hourStart: number | null;
  hourEnd: number | null;
  /** Start and end of the local calendar day, or null for month precision. */
  dayStart: number | null;
  dayEnd: number | null;
  /** `YYYY-MM-DD` in the source's zone, null for month precision. */
  localDay: string | null;
  monthStart: number;
  monthEnd: number;
  /** `YYYY-MM` in the source's zone. */
  localMonth: string;
  /** Local hour 0..23 (null unless minute/hour precision) and ISO weekday 1 (Mon)..7 (null for month precision). */
  localHour: number | null;
  localDow: number | null;
}

interface ZoneSlot {
  hourStart: number;
  hourEnd: number;
  dayStart: number;
  dayEnd: number;
  localDay: string;
  monthStart: number;
  monthEnd: number;
  localMonth: string;
  localHour: number;
  localDow: number;
}

const QUARTER_MS = 15 * 60 * 1000;
const MAX_CACHE = 200_000;

/** A window assigner with its own zone cache (one per pipeline, so tests stay independent). */
export class WindowAssigner {
  private readonly cache = new Map<string, ZoneSlot>();

  /** Window starts and ends of one event. Throws on an unknown zone (validation let it through). */
  assign(occurredAt: string, timeZone: string, precision: TimePrecision): WindowAssignment {
    const occurredMs = Date.parse(occurredAt);
    const slot = this.slot(occurredMs, timeZone);
    const sub = precision === 'minute' || precision === 'hour';
    const day = sub || precision === 'day';
    return {
      occurredMs,
      hourStart: sub ? slot.hourStart : null,
      hourEnd: sub ? slot.hourEnd : null,
      dayStart: day ? slot.dayStart : null,
      dayEnd: day ? slot.dayEnd : null,
      localDay: day ? slot.localDay : null,
      monthStart: slot.monthStart,
      monthEnd: slot.monthEnd,
      localMonth: slot.localMonth,
      localHour: sub ? slot.localHour : null,
      localDow: day ? slot.localDow : null,
    };
  }

  /** Convenience for events. */
  assignEvent(e: Pick<CrimeEvent, 'occurredAt' | 'timeZone' | 'timePrecision'>): WindowAssignment {
    return this.assign(e.occurredAt, e.timeZone, e.timePrecision);
  }

  private slot(ms: number, zone: string): ZoneSlot {
    const q = Math.floor(ms / QUARTER_MS);
    const key = `${zone}|${q}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const t = DateTime.fromMillis(q * QUARTER_MS, { zone });
    if (!t.isValid) throw new RangeError(`invalid time zone ${zone}: ${t.invalidReason ?? ''}`);
    const hour = t.startOf('hour');
    const day = t.startOf('day');
    const month = t.startOf('month');
    const slot: ZoneSlot = {
      hourStart: hour.toMillis(),
      hourEnd: hour.plus({ hours: 1 }).toMillis(),
      dayStart: day.toMillis(),
      dayEnd: day.plus({ days: 1 }).toMillis(),
      localDay: day.toISODate() ?? '',
      monthStart: month.toMillis(),
      monthEnd: month.plus({ months: 1 }).toMillis(),
      localMonth: month.toFormat('yyyy-MM'),
      localHour: t.hour,
      localDow: t.weekday,
    };
    if (this.cache.size >= MAX_CACHE) this.cache.clear();
    this.cache.set(key, slot);
    return slot;
  }
}

/** The finest window an event of this precision has: the one whose end decides lateness. */
export function finestWindowEnd(a: WindowAssignment): number {
  return a.hourEnd ?? a.dayEnd ?? a.monthEnd;
}
