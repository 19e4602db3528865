import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/bus/bus.js';
import type { CrimeEvent } from '../../src/core/crime-event.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  type AnomalyRow,
  anomalyId,
  type BatchSummary,
  type ClosedWindow,
  type CommittedBatch,
  runPipeline,
  type Scorer,
} from '../../src/pipeline/index.js';
import { openStore, type Store, windowSeries } from '../../src/store/index.js';
import { chicagoEvents, eventMessages, TestBus, ukEvents } from './helpers.js';

const DAY = 24 * 3600 * 1000;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cp-pipeline-'));
  store = await openStore(join(dir, 'store.duckdb'), silentLogger);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  events: CrimeEvent[] | unknown[],
  opts: {
    allowedLatenessMs?: number;
    scorer?: Scorer;
    sinks?: { name: string; write(b: CommittedBatch): Promise<void> }[];
    maxBatchSize?: number;
    raw?: boolean;
    regions?: string[];
    categories?: string[];
  } = {},
): Promise<BatchSummary[]> {
  const bus = new TestBus();
  const messages = opts.raw
    ? (events as unknown[]).map((v) => ({ key: 'x:y', value: v }))
    : eventMessages(events as CrimeEvent[]);
  await bus.publish(TOPICS.incidents, messages);
  bus.seal();
  const summaries: BatchSummary[] = [];
  await runPipeline({
    bus,
    store,
    config: {
      allowedLatenessMs: opts.allowedLatenessMs ?? 30 * DAY,
      ...(opts.regions ? { regions: opts.regions } : {}),
      ...(opts.categories ? { categories: opts.categories } : {}),
    },
    log: silentLogger,
    signal: new AbortController().signal,
    groupId: 'test',
    maxBatchSize: opts.maxBatchSize ?? 2000,
    ...(opts.scorer ? { scorer: opts.scorer } : {}),
    ...(opts.sinks ? { sinks: opts.sinks } : {}),
    onBatch: (s) => {
      summaries.push(s);
    },
  });
  return summaries;
}

async function rows(
  sql: string,
  params: Record<string, string | number> = {},
): Promise<Record<string, unknown>[]> {
  const r = await store.reader.runAndReadAll(sql, params);
  return r
    .getRowObjectsJS()
    .map((o) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
    );
}

const dailyTotals = (): Promise<Record<string, unknown>[]> =>
  rows(
    `SELECT local_label AS day, sum(event_count) AS n FROM windows_daily WHERE source = 'chicago' GROUP BY 1 ORDER BY 1`,
  );

describe('runPipeline on the Chicago sample (Groundhog Day blizzard 2015)', () => {
  it('daily windows follow the Chicago calendar and match PROVENANCE counts', async () => {
    const events = await chicagoEvents();
    const s = await run(events);
    expect(s.reduce((n, b) => n + b.inserted, 0)).toBe(9999);
    const byDay = Object.fromEntries((await dailyTotals()).map((r) => [r.day, r.n]));
    expect(byDay['2015-01-24']).toBe(733);
    expect(byDay['2015-02-01']).toBe(397);
    expect(byDay['2015-02-02']).toBe(413);
    expect(byDay['2015-02-03']).toBe(470);
    expect(byDay['2015-01-23']).toBe(642);
    // Hourly windows of a day add up to the day; day windows are 24 h (no DST in these weeks).
    const h = await rows(
      `SELECT sum(event_count) AS n, count(DISTINCT window_start) AS hours FROM windows_hourly WHERE source = 'chicago' AND local_label LIKE '2015-02-01T%'`,
    );
    expect(h[0]).toEqual({ n: 397, hours: 24 });
    const d = await rows(
      `SELECT DISTINCT date_diff('hour', window_start, window_end) AS h, CAST(window_start AS VARCHAR) AS s FROM windows_daily WHERE local_label = '2015-02-01'`,
    );
    expect(d).toEqual([{ h: 24, s: '2015-02-01 06:00:00' }]);
    // Distinct incidents never exceed rows; every row has an arrest flag known.
    const c = await rows(
      `SELECT sum(incident_count) <= sum(event_count) AS ok, sum(arrest_known) AS known FROM windows_daily`,
    );
    expect(c[0]).toEqual({ ok: true, known: 9999 });
    // Each event exactly once.
    expect(await rows('SELECT count(*) AS n, count(DISTINCT id) AS d FROM events')).toEqual([
      { n: 9999, d: 9999 },
    ]);
  });

  it('the same counts from the file order (newest first) when lateness allows it, and re-delivery changes nothing', async () => {
    const events = (await chicagoEvents()).reverse();
    await run(events);
    const first = await dailyTotals();
    const again = await run(events.slice(0, 3000));
    expect(again.reduce((n, b) => n + b.duplicates, 0)).toBe(3000);
    expect(again.reduce((n, b) => n + b.inserted, 0)).toBe(0);
    expect(await dailyTotals()).toEqual(first);
    expect(first.find((r) => r.day === '2015-02-01')?.n).toBe(397);
  });

  it('sends events beyond allowed lateness to late_events, never drops them', async () => {
    const events = (await chicagoEvents()).reverse(); // newest first: everything but the first hour is out of order
    const s = await run(events, { allowedLatenessMs: 2 * DAY });
    const side = s.reduce((n, b) => n + b.sideOutput, 0);
    const late = s.reduce((n, b) => n + b.lateApplied, 0);
    const stored = (await rows('SELECT count(*) AS n FROM events'))[0]?.n as number;
    const lateRows = (await rows('SELECT count(*) AS n FROM late_events'))[0]?.n as number;
    expect(side).toBeGreaterThan(5000);
    expect(late).toBeGreaterThan(0);
    expect(stored + lateRows).toBe(9999);
    expect(lateRows).toBe(side);
    // Nothing older than the last 2 days + the first hour made it into windows.
    const oldest = await rows(`SELECT min(local_label) AS d FROM windows_daily`);
    expect(String(oldest[0]?.d) >= '2015-02-06').toBe(true);
  });

  it('an updated record replaces the old version and re-aggregates both windows', async () => {
    const events = await chicagoEvents();
    await run(events);
    const target = events.find((e) => e.occurredAt.startsWith('2015-02-01T18')) as CrimeEvent;
    const before = await dailyTotals();
    const moved: CrimeEvent = {
      ...target,
      occurredAt: '2015-02-02T18:30:00.000Z',
      category: target.category === 'theft' ? 'robbery' : 'theft',
      updatedAt: '2015-03-01T00:00:00.000Z',
    };
    const stale: CrimeEvent = { ...target, category: 'arson', updatedAt: '2015-01-01T00:00:00.000Z' };
    const s = await run([moved, stale]);
    expect(s[0]?.updated).toBe(1);
    expect(s[0]?.duplicates).toBe(1);
    const after = Object.fromEntries((await dailyTotals()).map((r) => [r.day, r.n]));
    const prev = Object.fromEntries(before.map((r) => [r.day, r.n]));
    expect(after['2015-02-01']).toBe((prev['2015-02-01'] as number) - 1);
    expect(after['2015-02-02']).toBe((prev['2015-02-02'] as number) + 1);
    const ev = await rows(`SELECT category, CAST(occurred_at AS VARCHAR) AS t FROM events WHERE id = $id`, {
      id: target.id,
    });
    expect(ev).toEqual([{ category: moved.category, t: '2015-02-02 18:30:00' }]);
    expect(await rows('SELECT count(*) AS n FROM events')).toEqual([{ n: 9999 }]);
  });

  it('hands each closed window to the scorer once and stores and publishes its anomalies', async () => {
    const events = await chicagoEvents();
    const seen = new Map<string, number>();
    const scorer: Scorer = {
      async scoreClosed(windows: ClosedWindow[]): Promise<AnomalyRow[]> {
        for (const w of windows) {
          const k = `${w.granularity}|${w.source}|${w.areaId}|${w.category}|${w.windowStart}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        return windows
          .filter((w) => w.granularity === 'day' && w.eventCount >= 8)
          .map((w) => {
            const a = { ...w, modelVersion: 'test-1' };
            return {
              id: anomalyId(a),
              granularity: w.granularity,
              source: w.source,
              areaId: w.areaId,
              category: w.category,
              windowStart: w.windowStart,
              windowEnd: w.windowEnd,
              observed: w.eventCount,
              expected: 10,
              lower: 2,
              upper: 18,
              pValue: 0.001,
              qValue: 0.01,
              severity: 'high',
              contributors: { top: ['x'] },
              modelVersion: 'test-1',
              detectedAt: '2015-02-15T00:00:00.000Z',
            };
          });
      },
    };
    const written: CommittedBatch[] = [];
    const s = await run(events, {
      scorer,
      sinks: [{ name: 'mem', write: async (b) => void written.push(b) }],
    });
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // The last day stays open (its end is after the watermark).
    expect([...seen.keys()].some((k) => k.includes('2015-02-09T06:00'))).toBe(false);
    const anomalies = s.flatMap((b) => b.anomalies);
    expect(anomalies.length).toBeGreaterThan(0);
    const stored = await rows('SELECT count(*) AS n, min(severity) AS sev FROM anomalies');
    expect(stored[0]).toEqual({ n: anomalies.length, sev: 'high' });
    // Sinks got every batch with its changed rows; together they hold every event once.
    expect(written.map((b) => b.seq)).toEqual(s.map((b) => b.seq));
    expect(new Set(written.flatMap((b) => b.events.map((e) => e.id))).size).toBe(9999);
    expect(written.flatMap((b) => b.anomalies).length).toBe(anomalies.length);
    // And the store can rebuild them for a sink that fell behind.
    const replayed: CommittedBatch[] = [];
    for await (const b of store.batchesSince('test', 2)) replayed.push(b);
    expect(replayed.map((b) => b.seq)).toEqual(s.map((b) => b.seq).filter((q) => q > 2));
    expect(replayed[0]?.events).toEqual(written[2]?.events);
  });

  it('filters by region and category, and dead-letters invalid records', async () => {
    const events = (await chicagoEvents()).slice(0, 500);
    const bad = [
      { kind: 'event', event: { id: 'chicago:1', source: 'chicago' } },
      { nonsense: true },
      { kind: 'reject', source: 'chicago', reason: 'no date', payload: { id: 7 } },
    ];
    const s1 = await run([...events.map((e) => ({ kind: 'event', event: e })), ...bad], {
      raw: true,
      categories: ['theft'],
    });
    const theft = events.filter((e) => e.category === 'theft').length;
    expect(s1.reduce((n, b) => n + b.inserted, 0)).toBe(theft);
    expect(s1.reduce((n, b) => n + b.filtered, 0)).toBe(500 - theft);
    expect(await rows('SELECT count(*) AS n FROM dead_letters')).toEqual([{ n: 3 }]);
    expect(s1.flatMap((b) => b.rejected).map((d) => d.source)).toEqual(['x', 'x', 'chicago']);
    await run(bad, { raw: true });
    expect(await rows('SELECT count(*) AS n FROM dead_letters')).toEqual([{ n: 3 }]);
    const s2 = await run(events, { regions: ['uk-police'] });
    expect(s2.reduce((n, b) => n + b.inserted, 0)).toBe(0);
  });
});

describe('runPipeline validation (fast path and zod)', () => {
  it('dead-letters real events broken in one field each, naming that field, and keeps the valid ones', async () => {
    const events = (await chicagoEvents()).slice(0, 300);
    const broken: [string, (e: CrimeEvent) => unknown][] = [
      ['lat', (e) => ({ ...e, lat: 200 })],
      ['category', (e) => ({ ...e, category: 'not-a-category' })],
      ['occurredAt', (e) => ({ ...e, occurredAt: '2015-02-01 18:00' })],
      ['sourceKey', (e) => ({ ...e, sourceKey: '' })],
      ['id', (e) => ({ ...e, id: `${e.id}-x` })],
      ['timePrecision', (e) => ({ ...e, timePrecision: 'second' })],
      ['area', (e) => ({ ...e, area: { beat: 7 } })],
    ];
    const bad = broken.map(([, f], i) => f(events[i] as CrimeEvent));
    const unknownKey = { ...(events[10] as CrimeEvent), extra: 1 };
    const s = await run(
      [...events.slice(20), ...bad, unknownKey].map((e) => ({ kind: 'event', event: e })),
      { raw: true },
    );
    expect(s.reduce((n, b) => n + b.inserted, 0)).toBe(280);
    expect(s.reduce((n, b) => n + b.invalid, 0)).toBe(broken.length + 1);
    const reasons = s.flatMap((b) => b.rejected).map((d) => d.reason);
    for (const [field] of broken)
      expect(reasons.some((r) => r.startsWith(`invalid event at ${field}`))).toBe(true);
    expect(reasons.some((r) => /extra/.test(r))).toBe(true);
    expect(await rows('SELECT count(*) AS n FROM dead_letters')).toEqual([{ n: broken.length + 1 }]);
    expect(await rows('SELECT count(*) AS n FROM events')).toEqual([{ n: 280 }]);
  });
});

describe('runPipeline dedup against a large store batch', () => {
  it('a re-delivered batch larger than the point-lookup list is all duplicates, and its one newer version updates', async () => {
    const events = (await chicagoEvents()).slice(0, 3000);
    const first = await run(events, { maxBatchSize: 5000 });
    expect(first.reduce((n, b) => n + b.inserted, 0)).toBe(3000);
    const before = await dailyTotals();
    const target = events[1234] as CrimeEvent;
    const newer: CrimeEvent = { ...target, updatedAt: '2030-01-01T00:00:00.000Z' };
    const again = await run([...events.filter((e) => e.id !== target.id), newer], { maxBatchSize: 5000 });
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ inserted: 0, updated: 1, duplicates: 2999 });
    expect(await dailyTotals()).toEqual(before);
    expect(await rows('SELECT count(*) AS n, count(DISTINCT id) AS d FROM events')).toEqual([
      { n: 3000, d: 3000 },
    ]);
    expect(
      await rows(`SELECT CAST(updated_at AS VARCHAR) AS u FROM events WHERE id = $id`, { id: target.id }),
    ).toEqual([{ u: '2030-01-01 00:00:00' }]);
  });
});

describe('runPipeline across DST and precisions', () => {
  it('daily windows of DST days last 23 and 25 hours; day-precision events skip hourly windows', async () => {
    const [t] = await chicagoEvents();
    const base = t as CrimeEvent;
    const mk = (
      n: number,
      occurredAt: string,
      precision: CrimeEvent['timePrecision'] = 'minute',
    ): CrimeEvent => ({
      ...base,
      id: `chicago:dst${n}`,
      sourceKey: `dst${n}`,
      incidentKey: `dst${n}`,
      occurredAt,
      timePrecision: precision,
      timeFlags: precision === 'day' ? ['placeholder-time'] : [],
      areaId: '99',
    });
    await run([
      mk(1, '2015-03-08T07:30:00.000Z'), // 01:30 CST
      mk(2, '2015-03-08T08:30:00.000Z'), // 03:30 CDT (02:00 never happened)
      mk(3, '2015-03-08T06:00:00.000Z', 'day'),
      mk(4, '2015-11-01T06:30:00.000Z'), // 01:30 CDT
      mk(5, '2015-11-01T07:30:00.000Z'), // 01:30 CST, the repeated hour
      mk(6, '2015-11-01T05:00:00.000Z', 'day'),
    ]);
    const d = await rows(
      `SELECT local_label AS day, date_diff('hour', window_start, window_end) AS hours, event_count AS n FROM windows_daily WHERE area_id = '99' ORDER BY 1`,
    );
    expect(d).toEqual([
      { day: '2015-03-08', hours: 23, n: 3 },
      { day: '2015-11-01', hours: 25, n: 3 },
    ]);
    const h = await rows(
      `SELECT local_label AS l, event_count AS n FROM windows_hourly WHERE area_id = '99' ORDER BY window_start`,
    );
    expect(h).toEqual([
      { l: '2015-03-08T01', n: 1 },
      { l: '2015-03-08T03', n: 1 },
      { l: '2015-11-01T01', n: 1 },
      { l: '2015-11-01T01', n: 1 },
    ]);
    expect(await rows(`SELECT sum(event_count) AS n FROM windows_monthly WHERE area_id = '99'`)).toEqual([
      { n: 6 },
    ]);
  });
});

describe('runPipeline on UK month files', () => {
  it('month-only events land in monthly windows only', async () => {
    const events = [...(await ukEvents('2020-04')), ...(await ukEvents('2020-05'))];
    await run(events);
    const m = await windowSeries(store.reader, 'month', { source: 'uk-police' });
    const byMonth = (label: string) => m.filter((w) => w.localLabel === label);
    expect(byMonth('2020-04').reduce((n, w) => n + w.eventCount, 0)).toBe(236);
    expect(byMonth('2020-04').every((w) => w.closed && w.windowStart === '2020-03-31T23:00:00.000Z')).toBe(
      true,
    );
    expect(byMonth('2020-05').some((w) => w.closed)).toBe(false);
    expect(await rows(`SELECT count(*) AS n FROM windows_hourly WHERE source = 'uk-police'`)).toEqual([
      { n: 0 },
    ]);
    expect(await rows(`SELECT count(*) AS n FROM windows_daily WHERE source = 'uk-police'`)).toEqual([
      { n: 0 },
    ]);
  });
});
