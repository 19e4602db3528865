/**
 * A sink wrapper that merges consecutive committed batches before handing them to a slow sink (the
 * Delta lake: one commit and a few parquet files per write, so writing every 500-event batch would
 * make thousands of tiny files and cap throughput).
 *
 * Guarantees: the merged batch carries the newest version of every row (events by id, windows by
 * series and start, anomalies by id) and the LAST sequence number of the group, so the inner sink's
 * idempotence by `seq` (the Delta `txn` version) still holds: a version V in the lake means every batch
 * up to V is in it. Buffered batches are already committed in the store, so a crash loses nothing:
 * the lake catches up from `store.batchesSince` on the next start.
 */
import type { CommittedBatch, Sink, WindowRow } from './sink.js';

export interface CoalescingOptions {
  /** Flush once this many events and window rows are buffered. Default 100 000 (fewer, larger lake commits: fewer files to write and to check for keys later). */
  maxRows?: number;
  /** Flush a buffer older than this. Default 2 000 ms. */
  maxDelayMs?: number;
  /**
   * Write a full group in the background while the caller goes on: `write` then waits
   * only for the PREVIOUS group, and rejects with its error. False (default): `write` waits for its own
   * group (on the shared 2-core bench machine overlapping measured no gain: both sides are CPU-bound).
   */
  overlap?: boolean;
  onError?: (err: unknown) => void;
}

export interface CoalescingSink extends Sink {
  /** Writes what is buffered and waits for it. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

const windowKey = (w: WindowRow) =>
  `${w.granularity}\u0000${w.source}\u0000${w.areaId}\u0000${w.category}\u0000${w.windowStart}`;

/** Merges batches in sequence order; later versions of a row win. */
export function mergeBatches(batches: readonly CommittedBatch[]): CommittedBatch {
  const last = batches[batches.length - 1];
  if (!last) throw new Error('mergeBatches needs at least one batch');
  const events = new Map<string, CommittedBatch['events'][number]>();
  const windows = new Map<string, WindowRow>();
  const anomalies = new Map<string, CommittedBatch['anomalies'][number]>();
  for (const b of batches) {
    for (const e of b.events) events.set(e.id, e);
    for (const w of b.windows) windows.set(windowKey(w), w);
    for (const a of b.anomalies) anomalies.set(a.id, a);
  }
  return {
    workerId: last.workerId,
    seq: last.seq,
    committedAt: last.committedAt,
    events: [...events.values()],
    windows: [...windows.values()],
    anomalies: [...anomalies.values()],
  };
}

export function coalescingSink(inner: Sink, options: CoalescingOptions = {}): CoalescingSink {
  const maxRows = options.maxRows ?? 100_000;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const overlap = options.overlap ?? false;
  let buffer: CommittedBatch[] = [];
  let rows = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const flush = async (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // One write at a time, in order: the inner sink's txn versions must rise. The group is taken from
    // the buffer only when the previous write has finished, and a failed group goes back to the front
    // of the buffer, so it is retried merged with the next one and no later version can be committed
    // without it (also when a group was queued while the failed one was still being written).
    inFlight = inFlight
      .catch(() => undefined)
      .then(async () => {
        if (buffer.length === 0) return;
        const merged = mergeBatches(buffer);
        buffer = [];
        rows = 0;
        try {
          await inner.write(merged);
        } catch (err) {
          buffer = [merged, ...buffer];
          rows += merged.events.length + merged.windows.length;
          options.onError?.(err);
          throw err;
        }
      });
    return inFlight;
  };

  return {
    name: `${inner.name} (coalesced)`,
    async write(batch) {
      buffer.push(batch);
      rows += batch.events.length + batch.windows.length;
      if (rows >= maxRows) {
        if (!overlap) {
          await flush();
          return;
        }
        // Overlap: this group is written while the caller goes on with its next batches; waiting for
        // the previous group bounds memory to two groups, and its failure surfaces here.
        const previous = inFlight;
        flush().catch(() => undefined); // reported through onError and by the next write/flush
        await previous;
        return;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        flush().catch(() => undefined); // reported through onError
      }, maxDelayMs);
    },
    flush,
    async close() {
      await flush();
    },
  };
}
