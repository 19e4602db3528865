import { join } from 'node:path';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../src/core/crime-event.js';
import {
  activeFiles,
  createDeltaSink,
  eventTimeFilters,
  eventToLakeRow,
  LAKE_TABLES,
  type LakeBatch,
  type LakeWindowInput,
  lakeAppId,
  lakeTablePath,
  lakeVersions,
  loadSnapshot,
  localDate,
  readTable,
} from '../../src/lake/index.js';
import { readRecordedRows } from '../../src/sources/recorded-file.js';
import { useTempDir } from './helpers.js';

const tempDir = useTempDir();
const SAMPLE = join(
  import.meta.dirname,
  '../../samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz',
);

// A deliberately small mapping of real Chicago rows to the CrimeEvent contract (the real normaliser
// lives in src/sources; the lake only needs valid events with real times, areas and keys).
function toEvent(r: Record<string, string | undefined>): CrimeEvent {
  const local = DateTime.fromFormat(r.date ?? '', 'MM/dd/yyyy hh:mm:ss a', { zone: 'America/Chicago' });
  const updated = DateTime.fromFormat(r.updated_on ?? '', 'MM/dd/yyyy hh:mm:ss a', {
    zone: 'America/Chicago',
  });
  const lat = r.latitude ? Number(r.latitude) : undefined;
  const lon = r.longitude ? Number(r.longitude) : undefined;
  return CrimeEvent.parse({
    id: `chicago:${r.id}`,
    source: 'chicago',
    sourceKey: r.id,
    incidentKey: r.case_number || r.id,
    occurredAt: local.toUTC().toISO({ suppressMilliseconds: false }),
    timeZone: 'America/Chicago',
    timePrecision: 'minute',
    timeFlags: [],
    updatedAt: updated.toUTC().toISO(),
    ingestedAt: '2026-11-25T12:00:00.000Z',
    category: r.primary_type === 'THEFT' ? 'theft' : r.primary_type === 'BURGLARY' ? 'burglary' : 'other',
    subcategory: r.description,
    sourceType: r.primary_type,
    sourceCode: r.iucr,
    ...(lat !== undefined && lon !== undefined ? { lat, lon } : {}),
    locationStatus: lat !== undefined ? 'ok' : 'missing',
    areaId: r.community_area || 'unknown',
    area: { communityArea: r.community_area ?? '', district: r.district ?? '', beat: r.beat ?? '' },
    attributes: { arrest: r.arrest === 'true', domestic: r.domestic === 'true', block: r.block },
  });
}

let events: CrimeEvent[] = [];
beforeAll(async () => {
  const rows = await readRecordedRows(SAMPLE);
  // 400 real rows spread over the file (the newest ones include late-evening local times).
  events = rows.filter((_, i) => i % 25 === 0).map((r) => toEvent(r as Record<string, string | undefined>));
});

function hourlyWindows(evs: CrimeEvent[], seq: number): LakeWindowInput[] {
  const m = new Map<string, LakeWindowInput>();
  for (const e of evs) {
    const start = DateTime.fromISO(e.occurredAt, { zone: 'utc' }).startOf('hour');
    const key = `${e.areaId}|${e.category}|${start.toISO()}`;
    const w = m.get(key) ?? {
      granularity: 'hour' as const,
      source: e.source,
      areaId: e.areaId,
      category: e.category,
      windowStart: start.toISO() ?? '',
      windowEnd: start.plus({ hours: 1 }).toISO() ?? '',
      localLabel: start.setZone(e.timeZone).toFormat("yyyy-MM-dd'T'HH"),
      eventCount: 0,
      incidentCount: 0,
      arrestCount: 0,
      domesticCount: 0,
      arrestKnown: 0,
      domesticKnown: 0,
      closed: false,
      batchSeq: seq,
    };
    w.eventCount++;
    w.incidentCount++;
    m.set(key, w);
  }
  return [...m.values()];
}

describe('table definitions', () => {
  it('partition columns are in every schema, keys exist, and events follow the CrimeEvent contract', () => {
    for (const def of Object.values(LAKE_TABLES)) {
      const names = def.schema.fields.map((f) => f.name);
      for (const c of [...def.partitionColumns, ...def.key]) expect(names).toContain(c);
    }
    const row = eventToLakeRow(events[0] as CrimeEvent);
    expect(Object.keys(row).sort()).toEqual(LAKE_TABLES.events.schema.fields.map((f) => f.name).sort());
  });

  it('the events partition date is the local date in the source zone', () => {
    // 23:43 on 8 Feb 2015 in Chicago is 05:43 UTC on 9 Feb.
    expect(localDate('2015-02-09T05:43:40.000Z', 'America/Chicago')).toBe('2015-02-08');
    expect(localDate('2019-01-01T00:00:00.000Z', 'Europe/London')).toBe('2019-01-01');
    expect(localDate('2015-02-09T05:43:40.000Z', 'Not/AZone')).toBe('2015-02-09');
  });
});

describe('localDate (cached offsets)', () => {
  it('agrees with luxon minute by minute around DST changes and half-hour zones', () => {
    const luxonDate = (iso: string, zone: string) => {
      const utc = DateTime.fromISO(iso, { zone: 'utc' });
      const local = utc.setZone(zone);
      return (local.isValid ? local : utc).toISODate();
    };
    // Each start is a few hours before a transition (or a local midnight of a non-whole-hour zone).
    const cases: [string, string][] = [
      ['America/Chicago', '2015-03-08T06:00:00.000Z'],
      ['America/Chicago', '2015-11-01T05:00:00.000Z'],
      ['Europe/London', '2019-03-31T00:00:00.000Z'],
      ['Asia/Kolkata', '2020-01-01T17:00:00.000Z'],
      ['Australia/Lord_Howe', '2020-04-04T13:00:00.000Z'],
      ['Asia/Kathmandu', '2020-01-01T17:00:00.000Z'],
    ];
    let checked = 0;
    for (const [zone, start] of cases)
      for (let m = 0; m < 6 * 60; m++) {
        const iso = new Date(Date.parse(start) + m * 60_000 + 30_123).toISOString();
        expect(localDate(iso, zone), `${iso} ${zone}`).toBe(luxonDate(iso, zone));
        checked++;
      }
    expect(checked).toBe(cases.length * 360);
  });
});

describe('Delta sink with real Chicago events', () => {
  it('writes a batch once, replaces updated events by id, and records the txn version per table', async () => {
    const lake = await tempDir();
    const sink = createDeltaSink(lake);
    const batch: LakeBatch = {
      workerId: 'w1',
      seq: 1,
      committedAt: '2026-11-25T12:00:00.000Z',
      events,
      windows: hourlyWindows(events, 1),
      anomalies: [],
    };
    const first = await sink.writeBatch(batch);
    expect(first.events).toMatchObject({ skipped: false, version: 1 });
    const again = await sink.writeBatch(batch);
    expect(again.events?.skipped).toBe(true);
    expect(again.windows_hourly?.skipped).toBe(true);

    const eventsTable = lakeTablePath(lake, 'events');
    const { rows } = await readTable(eventsTable);
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(events.length);
    // Partitioned by (source, local date); a late-evening local event sits on its local date.
    const late = events.find((e) => DateTime.fromISO(e.occurredAt, { zone: 'America/Chicago' }).hour >= 19);
    expect(late).toBeDefined();
    const lateRow = rows.find((r) => r.id === late?.id);
    expect(lateRow?.date).toBe(
      DateTime.fromISO(late?.occurredAt ?? '', { zone: 'America/Chicago' }).toISODate(),
    );
    expect(lateRow?.date).not.toBe(late?.occurredAt.slice(0, 10));
    expect(lateRow?.occurred_at).toBe(late?.occurredAt.replace(/\.(\d{3})Z$/, '.$1000Z'));
    const files = await activeFiles(eventsTable);
    const dates = new Set(rows.map((r) => r.date));
    expect(files).toHaveLength(dates.size);
    expect(files.every((f) => f.partitionValues.source === 'chicago')).toBe(true);

    // Pruning by local date reads one partition only.
    const oneDay = [...dates].sort()[0] as string;
    const day = await readTable(eventsTable, { filters: [{ column: 'date', op: '=', value: oneDay }] });
    expect(day.files).toHaveLength(1);
    expect(day.rows.length).toBe(rows.filter((r) => r.date === oneDay).length);

    // A UTC range: partitions pruned by local date ±1 day, rows cut exactly by occurred_at.
    const from = '2015-02-03T06:00:00.000Z';
    const to = '2015-02-04T06:00:00.000Z';
    const ranged = await readTable(eventsTable, { filters: eventTimeFilters(from, to) });
    expect(ranged.files.length).toBeLessThanOrEqual(4);
    expect(ranged.files.length).toBeLessThan(files.length);
    expect(ranged.rows.map((r) => r.id).sort()).toEqual(
      rows
        .filter(
          (r) =>
            Date.parse(String(r.occurred_at)) >= Date.parse(from) &&
            Date.parse(String(r.occurred_at)) < Date.parse(to),
        )
        .map((r) => r.id)
        .sort(),
    );
    expect(ranged.rows.length).toBeGreaterThan(0);

    // seq 2: one event re-categorised (newer updatedAt); the lake keeps one row per id.
    const changed = {
      ...(events[3] as CrimeEvent),
      category: 'robbery' as const,
      updatedAt: '2026-11-25T13:00:00.000Z',
    };
    const second = await sink.writeBatch({ ...batch, seq: 2, events: [changed], windows: [] });
    expect(second.events?.skipped).toBe(false);
    expect(second.windows_hourly).toBeUndefined();
    const after = await readTable(eventsTable);
    expect(after.rows).toHaveLength(events.length);
    expect(after.rows.filter((r) => r.id === changed.id).map((r) => r.category)).toEqual(['robbery']);

    expect(await lakeVersions(lake, 'w1')).toEqual({
      events: 2,
      windows_hourly: 1,
      windows_daily: 0,
      windows_monthly: 0,
      anomalies: 0,
    });
    const windowsSnap = await loadSnapshot(lakeTablePath(lake, 'windows_hourly'));
    expect(windowsSnap.txns.get(lakeAppId('windows_hourly', 'w1'))?.version).toBe(1);
    const windows = await readTable(lakeTablePath(lake, 'windows_hourly'));
    expect(windows.rows.reduce((s, r) => s + Number(r.event_count), 0)).toBe(events.length);
  });
});
