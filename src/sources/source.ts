/**
 * The `Source` contract: what a connector can say (Airbyte's message vocabulary, Singer's bookmark
 * discipline). A source never writes its own state: it emits `state` messages after the records they
 * cover, and the consumer commits that state in the same transaction as the rows derived from those
 * records (ARCHITECTURE.md, "Topics and exactly-once").
 */
import type { z } from 'zod';
import type { CrimeEvent } from '../core/crime-event.js';
import type { Logger } from '../core/logger.js';

/** A source's bookmark in its portal (never called a watermark). JSON only. */
export type Cursor = Record<string, string | number | boolean | null>;

export interface SourceStatus {
  source: string;
  mode: 'live' | 'replay';
  /** Last time a poll or replay step succeeded (ISO). */
  lastSuccessAt?: string;
  /** The portal's own `Last-Modified` for the dataset, when it sends one (ISO). */
  lastModified?: string;
  /** Newest `occurredAt` (or `updatedAt`) the portal holds (ISO). */
  newestRecordAt?: string;
  /** The usual delay between an incident and its appearance on the portal. */
  expectedLagMs: number;
  /** True when the portal's data is older than its expected lag allows. */
  stale: boolean;
  /** For replays: true once the whole file has been published. */
  complete?: boolean;
  message?: string;
}

export type SourceMessage =
  | { kind: 'record'; event: CrimeEvent }
  | { kind: 'reject'; source: string; reason: string; payload: unknown }
  | { kind: 'state'; source: string; stream: string; cursor: Cursor; recordCount: number }
  | { kind: 'status'; status: SourceStatus }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> };

export interface CheckResult {
  ok: boolean;
  message: string;
}

export interface ReadContext {
  /** The last committed cursor per stream, or undefined on the first run. */
  state: Record<string, Cursor> | undefined;
  signal: AbortSignal;
  log: Logger;
  /** Backfill start (`ingest --since`); only used when there is no state. */
  since?: Date;
}

export interface Source<C = unknown> {
  /** Source id (`[a-z0-9-]+`). */
  readonly id: string;
  readonly description: string;
  readonly timeZone: string;
  /** The usual reporting lag, used for freshness and watermarks. */
  readonly expectedLagMs: number;
  readonly defaultPollIntervalMs: number;
  readonly config: z.ZodType<C>;
  /** A short reachability probe (auto mode); must honour the signal's timeout. */
  check(config: C, signal: AbortSignal): Promise<CheckResult>;
  /** One pass from the cursor to the portal's present; finite. The poller calls it again later. */
  read(config: C, ctx: ReadContext): AsyncIterable<SourceMessage>;
}
