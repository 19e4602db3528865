import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/bus/bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { activeFiles, createDeltaSink, lakeTablePath } from '../../src/lake/index.js';
import { runPipeline } from '../../src/pipeline/index.js';
import { buildLakeMirror, openStore, type Store, windowSeries } from '../../src/store/index.js';
import { chicagoEvents, eventMessages, TestBus } from '../pipeline/helpers.js';

// The read-only `serve` role answers from a mirror of the Delta tables: it must hold what the store holds.
describe('buildLakeMirror', () => {
  let dir: string;
  let store: Store;
  let mirror: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cp-mirror-'));
    store = await openStore(join(dir, 'store.duckdb'), silentLogger);
    const lake = join(dir, 'lake');
    const bus = new TestBus();
    const events = (await chicagoEvents()).slice(0, 3000);
    await bus.publish(TOPICS.incidents, eventMessages(events));
    bus.seal();
    await runPipeline({
      bus,
      store,
      sinks: [createDeltaSink(lake)],
      config: { allowedLatenessMs: 7 * 86_400_000 },
      log: silentLogger,
      signal: new AbortController().signal,
      groupId: 'mirror-test',
    });
    const files = (t: Parameters<typeof lakeTablePath>[1]) =>
      activeFiles(lakeTablePath(lake, t)).catch(() => []);
    mirror = (await buildLakeMirror(files, silentLogger)).store;
  }, 120_000);

  afterAll(async () => {
    await mirror?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has every event and the same daily and hourly windows as the store', async () => {
    const count = async (s: Store) =>
      Number((await s.reader.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]?.n);
    expect(await count(mirror)).toBe(3000);
    for (const g of ['day', 'hour'] as const) {
      const a = await windowSeries(store.reader, g, { source: 'chicago' });
      const b = await windowSeries(mirror.reader, g, { source: 'chicago' });
      const key = (w: { areaId: string; category: string; windowStart: string; eventCount: number }) =>
        `${w.areaId}|${w.category}|${w.windowStart}|${w.eventCount}`;
      expect(b.map(key).sort()).toEqual(a.map(key).sort());
    }
  });

  it('rebuilds the local calendar columns the lake does not keep', async () => {
    const row = (s: Store) =>
      s.reader
        .runAndReadAll(
          "SELECT strftime(day_start, '%Y-%m-%dT%H:%M') AS d, strftime(month_start, '%Y-%m-%dT%H:%M') AS m, local_month FROM events ORDER BY id LIMIT 1",
        )
        .then((r) => r.getRowObjectsJS()[0]);
    expect(await row(mirror)).toEqual(await row(store));
  });
});
