/**
 * The `Sink` seam: what happens to a batch after the store committed it (src/lake implements the
 * Delta sink; cli.ts passes it in). A sink is called after the store's transaction and the bus
 * commit, so it must be idempotent by `seq`: the lake records `(workerId, seq)` as its Delta `txn`
 * version and skips versions it already has. After a crash, `store.batchesSince(workerId, seq)`
 * rebuilds the batches newer than the sink's version; DuckDB is the source of truth.
 */
import type { CrimeEvent } from '../core/crime-event.js';
import type { Granularity } from './event-time.js';
import type { AnomalyRow } from './scorer.js';

/** One row of `windows_hourly` / `windows_daily` / `windows_monthly`. */
export interface WindowRow {
  granularity: Granularity;
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  windowEnd: string;
  /** Local calendar label: `YYYY-MM-DDTHH` (hour), `YYYY-MM-DD` (day), `YYYY-MM` (month). */
  localLabel: string;
  eventCount: number;
  incidentCount: number;
  arrestCount: number;
  domesticCount: number;
  /** Rows whose attributes say anything about arrest / domestic (the share denominators). */
  arrestKnown: number;
  domesticKnown: number;
  /** Closed: window end ≤ watermark, scored once. */
  closed: boolean;
  batchSeq: number;
}

/** Everything one committed batch changed: the latest versions of the rows it touched. */
export interface CommittedBatch {
  workerId: string;
  /** Batch sequence number of this worker, 1, 2, 3, ... (the Delta `txn` version). */
  seq: number;
  committedAt: string;
  /** Events inserted or replaced (an update carries the new version). */
  events: CrimeEvent[];
  /** Window rows recomputed (a window emptied by an update is kept with zero counts). */
  windows: WindowRow[];
  anomalies: AnomalyRow[];
}

export interface Sink {
  readonly name: string;
  /** Writes one committed batch; idempotent by `(workerId, seq)`. */
  write(batch: CommittedBatch): Promise<void>;
}
