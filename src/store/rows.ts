/**
 * Rows read back from DuckDB are a boundary (STYLE.md, convention 5): each is checked with zod and
 * turned into the pipeline's types. TIMESTAMP columns are read as text and become ISO UTC instants.
 */
import { z } from 'zod';
import { CrimeEvent } from '../core/crime-event.js';
import type { Granularity } from '../pipeline/event-time.js';
import { AnomalyRow } from '../pipeline/scorer.js';
import type { WindowRow } from '../pipeline/sink.js';
import { fastEventCheck } from '../sources/fast-event-check.js';

const DUCK_TS = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;

/** DuckDB TIMESTAMP text (`2015-02-01 06:00:00[.123]`) → `2015-02-01T06:00:00.000Z`. */
export function tsToIso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  // Fast path for DuckDB's own TIMESTAMP text (the batch read-back converts every timestamp of every
  // row): same result as the Date round trip below, which truncates the fraction to milliseconds.
  const m = DUCK_TS.exec(s);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  return new Date(
    Date.parse(`${s.replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? '' : 'Z'}`),
  ).toISOString();
}

const Num = z.union([z.number(), z.bigint()]).transform((v) => Number(v));
const Ts = z.union([z.string(), z.date()]).transform(tsToIso);
const OptTs = Ts.nullable();
const OptStr = z.string().nullable();
const OptNum = z.number().nullable();

const EventDbRow = z.object({
  id: z.string(),
  source: z.string(),
  source_key: z.string(),
  incident_key: z.string(),
  occurred_at: Ts,
  time_zone: z.string(),
  time_precision: z.string(),
  time_flags: z.string(),
  reported_at: OptTs,
  updated_at: OptTs,
  ingested_at: Ts,
  category: z.string(),
  subcategory: OptStr,
  source_type: z.string(),
  source_code: OptStr,
  lat: OptNum,
  lon: OptNum,
  location_status: z.string(),
  area_id: z.string(),
  area: z.string(),
  attributes: z.string(),
});

/** An `events` row (EVENT_SELECT) back to the CrimeEvent it came from. */
export function rowToEvent(row: Record<string, unknown>): CrimeEvent {
  const r = EventDbRow.parse(row);
  const e = {
    id: r.id,
    source: r.source,
    sourceKey: r.source_key,
    incidentKey: r.incident_key,
    occurredAt: r.occurred_at,
    timeZone: r.time_zone,
    timePrecision: r.time_precision,
    timeFlags: JSON.parse(r.time_flags),
    ...(r.reported_at === null ? {} : { reportedAt: r.reported_at }),
    ...(r.updated_at === null ? {} : { updatedAt: r.updated_at }),
    ingestedAt: r.ingested_at,
    category: r.category,
    ...(r.subcategory === null ? {} : { subcategory: r.subcategory }),
    sourceType: r.source_type,
    ...(r.source_code === null ? {} : { sourceCode: r.source_code }),
    ...(r.lat === null ? {} : { lat: r.lat }),
    ...(r.lon === null ? {} : { lon: r.lon }),
    locationStatus: r.location_status,
    areaId: r.area_id,
    area: JSON.parse(r.area),
    attributes: JSON.parse(r.attributes),
  };
  // Sinks read whole batches back (the lake path): the schema-compiled check vouches for the usual row
  // in ~1 µs; any row it cannot vouch for is parsed by zod as before (and throws if it is invalid).
  return fastEventCheck(e) ? e : CrimeEvent.parse(e);
}

const WindowDbRow = z.object({
  source: z.string(),
  area_id: z.string(),
  category: z.string(),
  window_start: Ts,
  window_end: Ts,
  local_label: z.string(),
  event_count: Num,
  incident_count: Num,
  arrest_count: Num,
  domestic_count: Num,
  arrest_known: Num,
  domestic_known: Num,
  closed: z.boolean(),
  batch_seq: Num,
});

export function rowToWindow(granularity: Granularity, row: Record<string, unknown>): WindowRow {
  const r = WindowDbRow.parse(row);
  return {
    granularity,
    source: r.source,
    areaId: r.area_id,
    category: r.category,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    localLabel: r.local_label,
    eventCount: r.event_count,
    incidentCount: r.incident_count,
    arrestCount: r.arrest_count,
    domesticCount: r.domestic_count,
    arrestKnown: r.arrest_known,
    domesticKnown: r.domestic_known,
    closed: r.closed,
    batchSeq: r.batch_seq,
  };
}

const AnomalyDbRow = z.object({
  id: z.string(),
  granularity: z.enum(['hour', 'day', 'month']),
  source: z.string(),
  area_id: z.string(),
  category: z.string(),
  window_start: Ts,
  window_end: Ts,
  observed: z.number(),
  expected: z.number(),
  lower: z.number(),
  upper: z.number(),
  p_value: z.number(),
  q_value: OptNum,
  severity: z.string(),
  contributors: OptStr,
  model_version: z.string(),
  detected_at: Ts,
});

export function rowToAnomaly(row: Record<string, unknown>): AnomalyRow {
  const r = AnomalyDbRow.parse(row);
  return AnomalyRow.parse({
    id: r.id,
    granularity: r.granularity,
    source: r.source,
    areaId: r.area_id,
    category: r.category,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    observed: r.observed,
    expected: r.expected,
    lower: r.lower,
    upper: r.upper,
    pValue: r.p_value,
    qValue: r.q_value,
    severity: r.severity,
    contributors: r.contributors === null ? null : JSON.parse(r.contributors),
    modelVersion: r.model_version,
    detectedAt: r.detected_at,
  });
}
