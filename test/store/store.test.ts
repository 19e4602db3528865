import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/bus/bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { runPipeline } from '../../src/pipeline/index.js';
import {
  categoryMix,
  compStat,
  gridHeatmap,
  hourOfWeekHeatmap,
  openStore,
  queryEvents,
  type Store,
  sourcesSummary,
  topAreas,
  windowSeries,
} from '../../src/store/index.js';
import { chicagoEvents, eventMessages, TestBus, ukEvents } from '../pipeline/helpers.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cp-store-'));
  store = await openStore(join(dir, 'store.duckdb'), silentLogger);
  const bus = new TestBus();
  await bus.publish(
    TOPICS.incidents,
    eventMessages([...(await chicagoEvents()), ...(await ukEvents('2020-04'))]),
  );
  await bus.publish(TOPICS.incidents, [
    {
      key: 'chicago:state',
      value: {
        kind: 'state',
        source: 'chicago',
        stream: 'replay',
        cursor: { next: 9999 },
        recordCount: 9999,
      },
    },
  ]);
  bus.seal();
  await runPipeline({
    bus,
    store,
    config: { allowedLatenessMs: 30 * 86400_000 },
    log: silentLogger,
    signal: new AbortController().signal,
    groupId: 'g',
    maxBatchSize: 5000,
  });
}, 60_000);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('applies migrations once and keeps committed cursors and offsets', async () => {
    expect(await store.schemaVersion()).toBe(1);
    expect(await store.cursors()).toEqual({ chicago: { replay: { next: 9999 } } });
    expect(await store.busOffsets('g')).toEqual([
      { groupId: 'g', topic: TOPICS.incidents, partition: 0, nextOffset: '10236' },
    ]);
    expect(await store.lastBatchSeq('g')).toBe(3);
    await store.recordLakeCommit('events', 'g', 2);
    await store.recordLakeCommit('events', 'g', 1);
    expect(await store.lakeCommits()).toEqual({ events: { g: 2 } });
  });

  it('refuses a store file locked by another process with CP_ERR_STORE_LOCKED', async () => {
    const path = join(dir, 'locked.duckdb');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(path)}); console.log('open'); setTimeout(() => {}, 60000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      await expect(openStore(path, silentLogger)).rejects.toMatchObject({
        code: 'CP_ERR_STORE_LOCKED',
        message: expect.stringContaining('locked by another process'),
      });
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('queries', () => {
  it('pages events newest first with a stable keyset token and filters', async () => {
    const p1 = await queryEvents(store.reader, {
      source: 'chicago',
      from: '2015-02-01T06:00:00.000Z',
      to: '2015-02-02T06:00:00.000Z',
      limit: 300,
    });
    expect(p1.events).toHaveLength(300);
    expect(p1.nextPageToken).not.toBeNull();
    const p2 = await queryEvents(store.reader, {
      source: 'chicago',
      from: '2015-02-01T06:00:00.000Z',
      to: '2015-02-02T06:00:00.000Z',
      limit: 300,
      pageToken: p1.nextPageToken ?? '',
    });
    expect(p2.events).toHaveLength(97);
    expect(p2.nextPageToken).toBeNull();
    const ids = new Set([...p1.events, ...p2.events].map((e) => e.id));
    expect(ids.size).toBe(397);
    expect((p1.events[0]?.occurredAt ?? '') >= (p2.events[0]?.occurredAt ?? '')).toBe(true);
    const box = await queryEvents(store.reader, { bbox: [-87.7, 41.85, -87.6, 41.95], limit: 1000 });
    expect(box.events.every((e) => e.lon !== undefined && e.lon >= -87.7 && e.lon <= -87.6)).toBe(true);
    await expect(queryEvents(store.reader, { pageToken: 'nope' })).rejects.toMatchObject({
      code: 'CP_ERR_API_VALIDATION',
    });
  });

  it('window series, top areas, category mix, heatmaps, compstat and sources summary', async () => {
    const days = await windowSeries(store.reader, 'day', {
      source: 'chicago',
      from: '2015-02-01T06:00:00.000Z',
      to: '2015-02-02T06:00:00.000Z',
    });
    expect(days.reduce((n, w) => n + w.eventCount, 0)).toBe(397);
    const months = await windowSeries(store.reader, 'month', { source: 'uk-police' });
    expect(months.reduce((n, w) => n + w.eventCount, 0)).toBe(236);
    const top = await topAreas(store.reader, { source: 'chicago' }, 3);
    expect(top).toHaveLength(3);
    expect(top[0]?.events).toBeGreaterThanOrEqual(top[1]?.events ?? 0);
    const mix = await categoryMix(store.reader, { source: 'chicago' });
    expect(mix.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
    expect(mix.reduce((s, c) => s + c.events, 0)).toBe(9999);
    const how = await hourOfWeekHeatmap(store.reader, { source: 'chicago' });
    expect(how.reduce((s, b) => s + b.events, 0)).toBe(9999);
    const grid = await gridHeatmap(store.reader, { source: 'chicago' }, 0.05);
    expect(grid.reduce((s, b) => s + b.events, 0)).toBe(9999 - 162);
    const cs = await compStat(store.reader, {
      source: 'chicago',
      from: '2015-02-01T06:00:00.000Z',
      to: '2015-02-08T06:00:00.000Z',
    });
    const cur = cs.reduce((s, r) => s + r.current, 0);
    const prev = cs.reduce((s, r) => s + r.previous, 0);
    expect(cur).toBe(397 + 413 + 470 + 530 + 527 + 628 + 649);
    expect(prev).toBe(733 + 614 + 625 + 642 + 606 + 669 + 672 - 733 + 602); // 01-25 .. 01-31
    expect(cs.every((r) => r.lastYear === 0)).toBe(true);
    const src = await sourcesSummary(store.reader);
    expect(src.map((s) => [s.source, s.events])).toEqual([
      ['chicago', 9999],
      ['uk-police', 236],
    ]);
    expect(src[0]?.newestOccurredAt).toBe('2015-02-09T05:43:40.000Z');
  });

  it('series statistics, profiles and sliding views', async () => {
    const r = await store.reader.runAndReadAll(
      `SELECT windows, total, round(mean, 6) AS mean, variance > 0 AS v FROM series_stats WHERE granularity = 'day' AND source = 'chicago' AND area_id = '25' AND category = 'violence'`,
    );
    const row = r.getRowObjectsJS()[0];
    expect(Number(row?.windows)).toBe(17);
    expect(Number(row?.mean)).toBeCloseTo(Number(row?.total) / 17, 5);
    const share = await store.reader.runAndReadAll(
      `SELECT sum(category_share) AS s FROM series_stats WHERE granularity = 'month' AND source = 'chicago' AND area_id = '25'`,
    );
    expect(Number(share.getRowObjectsJS()[0]?.s)).toBeCloseTo(1, 9);
    const prof = await store.reader.runAndReadAll(
      `SELECT sum(event_count) AS n FROM profile_hour_of_day WHERE source = 'chicago'`,
    );
    expect(Number(prof.getRowObjectsJS()[0]?.n)).toBe(9999);
    const s24 = await store.reader.runAndReadAll(
      `SELECT sum(event_count) AS n FROM sliding_24h WHERE source = 'chicago'`,
    );
    expect(Number(s24.getRowObjectsJS()[0]?.n)).toBeGreaterThan(400);
    const roll = await store.reader.runAndReadAll(
      `SELECT count(*) AS n FROM window_stats_daily WHERE rolling_mean IS NULL`,
    );
    expect(Number(roll.getRowObjectsJS()[0]?.n)).toBe(0);
  });
});
