/**
 * A minimal in-process `EventFeed` for cli.ts: pass `push` (or `fromBatchSummary`) to the pipeline's
 * `onBatch`, and `feed` to `buildApp`. Listeners run synchronously and must not throw into the
 * pipeline, so a failing listener is dropped from that one call and logged by the caller's logger.
 */
import type { BatchSummary } from '../pipeline/index.js';
import type { EventFeed, FeedBatch } from './app-deps.js';

export interface LocalEventFeed {
  feed: EventFeed;
  push(batch: FeedBatch): void;
  /** The pipeline's per-batch summary → a feed batch (counts by source and the anomalies). */
  fromBatchSummary(summary: Pick<BatchSummary, 'appliedBySource' | 'anomalies'>): void;
}

export function createEventFeed(onListenerError?: (err: unknown) => void): LocalEventFeed {
  const listeners = new Set<(b: FeedBatch) => void>();
  const push = (batch: FeedBatch): void => {
    for (const l of listeners) {
      try {
        l(batch);
      } catch (err) {
        onListenerError?.(err);
      }
    }
  };
  return {
    feed: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    push,
    fromBatchSummary: (s) => push({ counts: { ...s.appliedBySource }, anomalies: s.anomalies }),
  };
}
