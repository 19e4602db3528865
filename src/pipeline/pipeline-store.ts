/**
 * What the pipeline needs from its store (src/store implements it with DuckDB). The pipeline owns
 * this interface so that it never imports a later stage (STYLE.md, conventions 1 and 9).
 */
import type { CrimeEvent } from '../core/crime-event.js';
import type { Cursor } from '../sources/source.js';
import type { WindowAssignment } from './event-time.js';
import type { AnomalyRow, ClosedWindow } from './scorer.js';
import type { CommittedBatch } from './sink.js';
import type { Lateness, SourceWatermark } from './watermark.js';

/** A valid, filtered event with its windows and its lateness verdict. */
export interface StagedEvent {
  event: CrimeEvent;
  windows: WindowAssignment;
  lateness: Lateness;
  /** Watermark of its source when it arrived (epoch ms), for late_events. */
  watermarkMs: number;
}

export interface DeadLetter {
  source: string;
  reason: string;
  payload: unknown;
  topic?: string;
  partition?: number;
  offset?: string;
}

export interface CursorUpdate {
  source: string;
  stream: string;
  cursor: Cursor;
  recordCount: number;
}

export interface OffsetUpdate {
  groupId: string;
  topic: string;
  partition: number;
  /** The next offset to read, decimal string. */
  nextOffset: string;
}

export interface BatchInput {
  workerId: string;
  seq: number;
  /** In arrival order; the store deduplicates by id (newest updatedAt wins, then the later one). */
  events: StagedEvent[];
  deadLetters: DeadLetter[];
  cursors: CursorUpdate[];
  offsets: OffsetUpdate[];
  watermarks: [string, SourceWatermark][];
}

export interface BatchOutcome {
  inserted: number;
  updated: number;
  /** Same id and no newer updatedAt (re-delivery, overlap, repeats inside the batch). */
  duplicates: number;
  /** Late but within allowed lateness: applied, windows re-aggregated. */
  lateApplied: number;
  /** Beyond allowed lateness: written to late_events. */
  sideOutput: number;
  deadLetters: number;
  closedWindows: number;
  anomalies: AnomalyRow[];
  /** Per source: inserted + updated, for metrics. */
  appliedBySource: Record<string, number>;
}

export interface PipelineStore {
  /** Committed watermarks per source. */
  watermarks(): Promise<Record<string, SourceWatermark>>;
  /** Committed bus positions of a consumer group (for `startAt`). */
  busOffsets(groupId: string): Promise<OffsetUpdate[]>;
  /** Last committed batch sequence of a worker (0 when none). */
  lastBatchSeq(workerId: string): Promise<number>;
  /**
   * Commits one batch in ONE transaction: events (dedup, updates), re-aggregated windows,
   * late_events, dead_letters, cursors, offsets, watermarks, closed windows and their anomalies.
   * `score` is called inside the transaction with the windows that closed.
   */
  commitBatch(
    input: BatchInput,
    score?: (closed: ClosedWindow[]) => Promise<AnomalyRow[]>,
  ): Promise<BatchOutcome>;
  /** The rows a committed batch changed (latest versions), for sinks and for recovery. */
  readBatch(workerId: string, seq: number): Promise<CommittedBatch | undefined>;
}
