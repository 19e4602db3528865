import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/bus/bus.js';
import type { CrimeEvent } from '../../src/core/crime-event.js';
import { silentLogger } from '../../src/core/logger.js';
import { runPipeline } from '../../src/pipeline/index.js';
import { openStore } from '../../src/store/index.js';
import { chicagoEvents, eventMessages, TestBus } from './helpers.js';

let dir: string;
let events: CrimeEvent[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cp-dedup-'));
  events = (await chicagoEvents()).filter(
    (e) => e.occurredAt >= '2015-02-01T06:00' && e.occurredAt < '2015-02-03T06:00',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function windowsAfter(deliveries: CrimeEvent[][], name: string): Promise<string> {
  const store = await openStore(join(dir, `${name}.duckdb`), silentLogger);
  try {
    for (const d of deliveries) {
      const bus = new TestBus();
      await bus.publish(TOPICS.incidents, eventMessages(d));
      bus.seal();
      await runPipeline({
        bus,
        store,
        config: { allowedLatenessMs: 30 * 86400_000 },
        log: silentLogger,
        signal: new AbortController().signal,
        groupId: 'g',
        maxBatchSize: 700,
      });
    }
    const r = await store.reader.runAndReadAll(
      `SELECT 'd' AS k, source, area_id, category, local_label, event_count, incident_count FROM windows_daily WHERE event_count > 0
       UNION ALL SELECT 'h', source, area_id, category, CAST(window_start AS VARCHAR), event_count, incident_count FROM windows_hourly WHERE event_count > 0
       UNION ALL SELECT 'e', 'n', '', '', '', count(*), count(DISTINCT id) FROM events ORDER BY ALL`,
    );
    return JSON.stringify(r.getRowObjectsJson());
  } finally {
    await store.close();
  }
}

describe('dedup by id', () => {
  it('is idempotent: re-delivering any subset, in any order, changes nothing (property)', async () => {
    const once = await windowsAfter([events], 'once');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(events.length - 1), { minLength: 1, maxLength: 800 }),
        fc.boolean(),
        async (picks, dupInBatch) => {
          const extra = picks.map((i) => events[i] as CrimeEvent);
          const again = await windowsAfter(
            [events, dupInBatch ? [...extra, ...extra] : extra.reverse()],
            `p${run++}`,
          );
          expect(again).toBe(once);
        },
      ),
      { numRuns: 3 },
    );
  });
});
