/**
 * Replay: publishes a recorded portal file as if it were arriving live, in event-time order, with the
 * records' own timestamps (never shifted), at a chosen speed.
 *
 * Guarantees: the order is deterministic (occurredAt, then file order), so the cursor — the number of
 * events already emitted from this file — identifies the resume point after a crash; a `state` message
 * follows each chunk of records it covers, and the consumer commits it with them. Rejected rows are
 * emitted as `reject` messages (dead letters), once, in the same sequence.
 *
 * Pacing: at speed S, the wall delay between two events is their event-time gap / S. Gaps longer than
 * `maxGapMs` of wall time are cut to it, so sparse data (UK month files, one instant a month) does not
 * stall a demo for hours; `backfillFraction` plays the first part of the file at full speed, so a system
 * starting empty has history at once and then a live tail.
 */

import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrimeEvent } from '../core/crime-event.js';
import type { NormaliseResult, RawRow, RowNormaliser } from './normalise.js';
import type { RecordedFileOptions } from './recorded-file.js';
import { readRecordedFile } from './recorded-file.js';
import type { Cursor, SourceMessage } from './source.js';

export interface ReplayFile {
  path: string;
  read?: RecordedFileOptions;
  /** Rows passed to the normaliser in one call: `file` (whole file, e.g. a UK month) or a row count. */
  batch?: 'file' | number;
}

export interface ReplayOptions {
  source: string;
  files: ReplayFile[];
  normaliser: RowNormaliser;
  /** Event-time speed-up; `Infinity` plays as fast as the consumer takes it. */
  speed: number;
  /** Share of the events (0..1) played at full speed before pacing starts. Default 0. */
  backfillFraction?: number;
  /** Longest wall-clock pause between two events. Default 5 s. */
  maxGapMs?: number;
  /** Records between two `state` messages. Default 500. */
  stateEvery?: number;
  /** Resume point from the last committed cursor. */
  cursor?: Cursor | undefined;
  signal?: AbortSignal;
  /**
   * The portal's usual reporting lag: a recording whose newest record is older than twice that is
   * reported stale, because the data it shows is (LA's frozen dataset, and any old recording).
   */
  expectedLagMs?: number;
  /** Called once the backfill part has been emitted (at once when there is none left). */
  onBackfilled?: () => void;
  /** Injected for tests. */
  now?: () => Date;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Item {
  at: number;
  order: number;
  result: NormaliseResult;
}

/** The replay stream name, `replay:<file names>`, used as the cursor's stream. */
export function replayStream(files: ReplayFile[]): string {
  return `replay:${files.map((f) => basename(f.path)).join('+')}`;
}

/** Loads, normalises and orders the files; exported for tests and benchmarks. */
export async function loadReplayItems(
  options: Pick<ReplayOptions, 'files' | 'normaliser' | 'now'>,
): Promise<Item[]> {
  const items: Item[] = [];
  const ingestedAt = (options.now?.() ?? new Date()).toISOString();
  let order = 0;
  for (const file of options.files) {
    const size = file.batch === undefined ? 5000 : file.batch;
    let rows: RawRow[] = [];
    const flush = () => {
      const results = options.normaliser.normaliseRows(rows, { ingestedAt, origin: basename(file.path) });
      for (const result of results) {
        // Rejected rows keep their file position so they are emitted once, in a stable place.
        const at = result.ok ? Date.parse(result.event.occurredAt) : Number.NEGATIVE_INFINITY;
        items.push({ at, order: order++, result });
      }
      rows = [];
    };
    for await (const row of readRecordedFile(file.path, file.read)) {
      rows.push(row);
      if (size !== 'file' && rows.length >= size) flush();
    }
    if (rows.length > 0) flush();
  }
  items.sort((a, b) => a.at - b.at || a.order - b.order);
  return items;
}

/** Replays the files as source messages, resuming after `cursor.emitted` items. */
export async function* replayFiles(options: ReplayOptions): AsyncGenerator<SourceMessage> {
  const stream = replayStream(options.files);
  const wait = options.wait ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const items = await loadReplayItems(options);
  const start = typeof options.cursor?.emitted === 'number' ? options.cursor.emitted : 0;
  const backfillEnd = Math.floor(items.length * Math.min(1, Math.max(0, options.backfillFraction ?? 0)));
  const maxGapMs = options.maxGapMs ?? 5000;
  const stateEvery = options.stateEvery ?? 500;
  let sinceState = 0;
  let prevAt: number | undefined;
  let newest: string | undefined;
  const state = (emitted: number): SourceMessage => ({
    kind: 'state',
    source: options.source,
    stream,
    cursor: { emitted, total: items.length, newestOccurredAt: newest ?? null },
    recordCount: sinceState,
  });
  let backfilled = false;
  const backfillDone = () => {
    if (backfilled) return;
    backfilled = true;
    options.onBackfilled?.();
  };
  for (let i = start; i < items.length; i++) {
    if (options.signal?.aborted) return;
    const item = items[i]!;
    if (item.result.ok && i >= backfillEnd && Number.isFinite(options.speed)) {
      if (prevAt !== undefined && Number.isFinite(prevAt) && item.at > prevAt) {
        const delay = Math.min(maxGapMs, (item.at - prevAt) / options.speed);
        if (delay >= 1) {
          if (sinceState > 0) {
            // Flush the cursor before pausing, so a crash while waiting loses nothing already sent.
            yield state(i);
            sinceState = 0;
          }
          // Everything before this pause is published (the state message flushed it): history is in.
          backfillDone();
          try {
            await wait(delay, options.signal);
          } catch {
            return;
          }
        }
      }
    }
    if (item.result.ok) {
      const ev: CrimeEvent = item.result.event;
      if (Number.isFinite(item.at)) prevAt = item.at;
      if (!newest || ev.occurredAt > newest) newest = ev.occurredAt;
      yield { kind: 'record', event: ev };
    } else {
      yield {
        kind: 'reject',
        source: options.source,
        reason: item.result.reason,
        payload: item.result.payload,
      };
    }
    sinceState++;
    if (sinceState >= stateEvery) {
      yield state(i + 1);
      sinceState = 0;
    }
  }
  if (sinceState > 0 || start === items.length) yield state(items.length);
  backfillDone();
  yield {
    kind: 'status',
    status: {
      source: options.source,
      mode: 'replay',
      lastSuccessAt: (options.now?.() ?? new Date()).toISOString(),
      ...(newest ? { newestRecordAt: newest } : {}),
      expectedLagMs: options.expectedLagMs ?? 0,
      stale: isStale(newest, options.expectedLagMs ?? 0, options.now?.() ?? new Date()),
      complete: true,
      message: `replayed ${items.length} rows from ${options.files.length} recorded file(s); newest record ${newest ?? 'none'}`,
    },
  };
}

/** A recording is stale when its newest record is older than twice the usual lag (at least two days). */
export function isStale(newest: string | undefined, expectedLagMs: number, now: Date): boolean {
  if (!newest) return false;
  return now.getTime() - Date.parse(newest) > Math.max(2 * expectedLagMs, 2 * 86_400_000);
}
