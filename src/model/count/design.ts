/**
 * The seasonal design matrix of a count series, as sparse rows.
 *
 * Columns: intercept; linear trend (years since the model's trend origin); holiday indicator (hourly
 * and daily); hour-of-day (23) + day-of-week (6) main effects plus a more strongly penalised
 * hour-of-week interaction (168) for hourly series, so that a short history falls back to the
 * additive profile and a long one learns the full weekly shape; day-of-week (6) for daily series;
 * Fourier day-of-year pairs sin/cos(2πk·doy/365.25), k = 1..K. Monthly series use trend + Fourier only.
 * Calendar fields are taken in the series' own IANA zone (luxon), never with hand-made offsets.
 */
import { DateTime } from 'luxon';
import type { SparseRow } from './glm.js';
import { type HolidayCalendar, isHoliday } from './holidays.js';

export type Granularity = 'hour' | 'day' | 'month';

export interface DesignSpec {
  granularity: Granularity;
  timeZone: string;
  holidays: HolidayCalendar;
  fourierOrder: number;
  /** Trend origin (ISO instant): trend = years since then. */
  trendOrigin: string;
}

export interface DesignLayout {
  names: string[];
  trend: number;
  holiday: number;
  hourOfDay: number;
  dayOfWeek: number;
  hourOfWeek: number;
  fourier: number;
  size: number;
}

const YEAR_MS = 365.25 * 86_400_000;

export function layoutOf(spec: DesignSpec): DesignLayout {
  const names = ['intercept', 'trend'];
  let holiday = -1;
  let hourOfDay = -1;
  let dayOfWeek = -1;
  let hourOfWeek = -1;
  if (spec.granularity !== 'month') {
    holiday = names.length;
    names.push('holiday');
  }
  if (spec.granularity === 'hour') {
    hourOfDay = names.length;
    for (let h = 1; h < 24; h++) names.push(`hour:${h}`);
  }
  if (spec.granularity !== 'month') {
    dayOfWeek = names.length;
    for (let d = 2; d <= 7; d++) names.push(`weekday:${d}`);
  }
  if (spec.granularity === 'hour') {
    hourOfWeek = names.length;
    for (let k = 0; k < 168; k++) names.push(`how:${k}`);
  }
  const fourier = names.length;
  for (let k = 1; k <= spec.fourierOrder; k++) names.push(`sin${k}`, `cos${k}`);
  return { names, trend: 1, holiday, hourOfDay, dayOfWeek, hourOfWeek, fourier, size: names.length };
}

/** Local calendar fields of a window start. */
export function localTime(start: string, timeZone: string): DateTime {
  const dt = DateTime.fromISO(start, { zone: timeZone });
  if (!dt.isValid) throw new RangeError(`invalid window start ${start}: ${dt.invalidExplanation ?? ''}`);
  return dt;
}

export function designRow(start: string, spec: DesignSpec, layout: DesignLayout): SparseRow {
  const dt = localTime(start, spec.timeZone);
  const idx: number[] = [0, layout.trend];
  const val: number[] = [1, (dt.toMillis() - Date.parse(spec.trendOrigin)) / YEAR_MS];
  if (layout.holiday >= 0 && isHoliday(spec.holidays, dt.toISODate() as string)) {
    idx.push(layout.holiday);
    val.push(1);
  }
  if (layout.hourOfDay >= 0 && dt.hour > 0) {
    idx.push(layout.hourOfDay + dt.hour - 1);
    val.push(1);
  }
  if (layout.dayOfWeek >= 0 && dt.weekday > 1) {
    idx.push(layout.dayOfWeek + dt.weekday - 2);
    val.push(1);
  }
  if (layout.hourOfWeek >= 0) {
    idx.push(layout.hourOfWeek + (dt.weekday - 1) * 24 + dt.hour);
    val.push(1);
  }
  if (spec.fourierOrder > 0) {
    // Mid-month for monthly windows so a month's phase does not depend on its first day.
    const doy = spec.granularity === 'month' ? dt.plus({ days: 14 }).ordinal : dt.ordinal;
    for (let k = 1; k <= spec.fourierOrder; k++) {
      const a = (2 * Math.PI * k * doy) / 365.25;
      idx.push(layout.fourier + 2 * (k - 1), layout.fourier + 2 * (k - 1) + 1);
      val.push(Math.sin(a), Math.cos(a));
    }
  }
  return { idx, val };
}

/** The start of the window after `start` (calendar-aware for days and months across DST). */
export function nextStart(start: string, granularity: Granularity, timeZone: string, steps = 1): string {
  const dt = localTime(start, timeZone);
  const next =
    granularity === 'hour'
      ? dt.plus({ hours: steps })
      : granularity === 'day'
        ? dt.plus({ days: steps })
        : dt.plus({ months: steps });
  return next.toUTC().toISO() as string;
}

/** Windows per 30-day month, to express false alarms per series-month. */
export function windowsPerMonth(granularity: Granularity): number {
  return granularity === 'hour' ? 720 : granularity === 'day' ? 30 : 1;
}
