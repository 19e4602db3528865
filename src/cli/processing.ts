/**
 * The processing stack shared by `start`, `process` and `replay`: the DuckDB store, the Delta sink
 * that follows it, and the lake catch-up after a crash (batches the store committed but the lake never
 * saw are written again from the store; the sink is idempotent by `txn` version).
 */

import type { Logger } from '../core/logger.js';
import { createDeltaSink, lakeVersions } from '../lake/index.js';
import { type CoalescingSink, coalescingSink, type Sink } from '../pipeline/index.js';
import { openStore, type Store } from '../store/index.js';
import type { CommandContext } from './context.js';

export interface ProcessingStack {
  store: Store;
  sinks: Sink[];
  lake: CoalescingSink;
  workerId: string;
  close(): Promise<void>;
}

export async function openProcessing(ctx: CommandContext, workerId: string): Promise<ProcessingStack> {
  const store = await openStore(ctx.dataPath('store.duckdb'), ctx.log);
  const lakeRoot = ctx.dataPath('lake');
  const sink = createDeltaSink(lakeRoot, { logger: ctx.log.child({ component: 'lake' }) });
  await catchUpLake(store, sink, lakeRoot, workerId, ctx.log);
  const log = ctx.log.child({ component: 'lake' });
  const lake = coalescingSink(sink, {
    onError: (err) => log.error({ err }, 'lake write failed; it is retried with the next group'),
  });
  return {
    store,
    sinks: [lake],
    lake,
    workerId,
    close: async () => {
      await lake
        .close()
        .catch((err) =>
          log.error({ err }, 'final lake flush failed; the next start catches up from the store'),
        );
      await store.close();
    },
  };
}

/** Re-sends to the lake every batch newer than the oldest table version the lake has recorded. */
export async function catchUpLake(
  store: Store,
  sink: Sink,
  lakeRoot: string,
  workerId: string,
  log: Logger,
): Promise<number> {
  const last = await store.lastBatchSeq(workerId);
  if (last === 0) return 0;
  const versions = await lakeVersions(lakeRoot, workerId);
  // Tables a batch does not touch get no commit, so a zero version usually means "never touched"
  // (e.g. no anomaly yet), not "behind"; an all-zero lake (deleted, or new) is rebuilt in full.
  const seen = Object.values(versions).filter((v) => v > 0);
  const behind = seen.length > 0 ? Math.min(...seen) : 0;
  if (behind >= last) return 0;
  let n = 0;
  for await (const batch of store.batchesSince(workerId, behind)) {
    await sink.write(batch);
    n++;
  }
  log
    .child({ component: 'lake' })
    .info({ from: behind, to: last, batches: n }, 'lake caught up with the store');
  return n;
}
