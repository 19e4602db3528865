/**
 * A real store built the way the system builds it: events published on a bus and committed by the
 * pipeline, with the deterministic threshold scorer filling `anomalies`. Shared by the API and chat tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '../../src/bus/bus.js';
import type { CrimeEvent } from '../../src/core/crime-event.js';
import { silentLogger } from '../../src/core/logger.js';
import { runPipeline } from '../../src/pipeline/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { eventMessages, TestBus } from '../pipeline/helpers.js';
import { thresholdScorer } from './threshold-scorer.js';

export interface EventStore {
  store: Store;
  close(): Promise<void>;
}

export async function storeFromEvents(events: CrimeEvent[], groupId: string): Promise<EventStore> {
  const dir = mkdtempSync(join(tmpdir(), `cp-${groupId}-`));
  const store = await openStore(join(dir, 'store.duckdb'), silentLogger);
  const bus = new TestBus();
  await bus.publish(TOPICS.incidents, eventMessages(events));
  bus.seal();
  await runPipeline({
    bus,
    store,
    scorer: thresholdScorer,
    config: { allowedLatenessMs: 400 * 86400_000 },
    log: silentLogger,
    signal: new AbortController().signal,
    groupId,
    maxBatchSize: 5000,
  });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
