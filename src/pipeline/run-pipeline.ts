/**
 * The stream processor: consumes `crime-incidents` as a consumer group and, per delivered batch,
 * validates, filters (config `regions`, `categories`), assigns event-time windows, classifies
 * lateness against per-source watermarks, and commits everything with the batch's position in one
 * store transaction (the store deduplicates by id and re-aggregates what changed).
 *
 * Order after each batch: store transaction (rows + cursors/offsets + watermarks + anomalies) →
 * `consumer.commit()` → sinks (lake; idempotent by batch seq) → `crime-anomalies` and
 * `crime-dead-letter` (at-least-once; consumers dedup by id). A crash anywhere re-reads what was not
 * committed (Kafka from `bus_offsets`, in-process sources from `source_cursors`), and ids make the
 * overlap harmless. A sink failure is logged and counted, never stops the pipeline: the sink catches
 * up from `store.batchesSince` on its next start.
 */
import type { Bus, BusBatch, Position } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import type { Config } from '../core/config.js';
import { CrimeEvent } from '../core/crime-event.js';
import { IncidentMessage } from '../core/incident-message.js';
import type { Logger } from '../core/logger.js';
import { counter, gauge, histogram } from '../core/metrics.js';
import { fastEventCheck, fullCheckDue } from '../sources/fast-event-check.js';
import { finestWindowEnd, WindowAssigner } from './event-time.js';
import type { BatchOutcome, CursorUpdate, DeadLetter, PipelineStore, StagedEvent } from './pipeline-store.js';
import type { Scorer } from './scorer.js';
import type { Sink } from './sink.js';
import { Watermarks } from './watermark.js';

/**
 * Default batch bound: each store transaction has a fixed cost (a dozen statements, the WAL sync, the
 * window re-aggregation over the touched time range), so small batches (the buses deliver 500 by
 * default) cap throughput; 10,000 keeps a batch well under a second on 2 cores.
 */
export const DEFAULT_MAX_BATCH = 10_000;

export interface PipelineOptions {
  bus: Bus;
  store: PipelineStore;
  sinks?: Sink[];
  scorer?: Scorer;
  config: Pick<Config, 'allowedLatenessMs' | 'regions' | 'categories'>;
  log: Logger;
  signal: AbortSignal;
  /** Consumer group id, e.g. `crimepulse-process`. */
  groupId: string;
  /** This worker's id: names its batch sequence (and the lake's txn appId). Default `groupId`. */
  workerId?: string;
  /** Per-source out-of-orderness subtracted from the newest occurredAt to make the watermark (ms). Default 0. */
  watermarkLagMs?: Record<string, number>;
  /** Events per store transaction, at most (default {@link DEFAULT_MAX_BATCH}). */
  maxBatchSize?: number;
  /** Called after each batch is committed (tests, progress bars, replay completion). */
  onBatch?: (summary: BatchSummary) => void | Promise<void>;
}

export interface BatchSummary extends BatchOutcome {
  seq: number;
  /** Invalid records and source rejects of this batch (also in `dead_letters`), for `crime-dead-letter`. */
  rejected: DeadLetter[];
  messages: number;
  filtered: number;
  invalid: number;
  commitMs: number;
  positions: Position[];
}

const processed = counter('crimepulse_pipeline_events_total', 'Events by outcome', ['source', 'outcome']);
const deadLetters = counter('crimepulse_pipeline_dead_letters_total', 'Invalid records and source rejects', [
  'source',
]);
const commitSeconds = histogram(
  'crimepulse_pipeline_batch_commit_seconds',
  'Store transaction time per batch',
  [],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
const latencySeconds = histogram(
  'crimepulse_pipeline_latency_seconds',
  'ingestedAt to committed, per event',
  ['source'],
  [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600],
);
const watermarkGauge = gauge(
  'crimepulse_pipeline_watermark_seconds',
  'Event-time watermark per source (epoch s)',
  ['source'],
);
const sinkErrors = counter(
  'crimepulse_pipeline_sink_errors_total',
  'Sink writes that failed (recovered from the store later)',
  ['sink'],
);

/** Runs until the signal aborts or the bus ends the consumer; resolves after closing the consumer. */
export async function runPipeline(options: PipelineOptions): Promise<void> {
  const { bus, store, config, signal, groupId } = options;
  const workerId = options.workerId ?? groupId;
  const log = options.log.child({ component: 'pipeline', groupId, workerId });
  const lag = options.watermarkLagMs ?? {};
  const watermarks = new Watermarks(config.allowedLatenessMs, (s) => lag[s] ?? 0);
  for (const [source, wm] of Object.entries(await store.watermarks())) watermarks.restore(source, wm);
  let seq = await store.lastBatchSeq(workerId);
  const startAt = bus.capabilities.seek
    ? (await store.busOffsets(groupId)).map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.nextOffset,
      }))
    : [];
  const consumer = await bus.consumer({
    groupId,
    topics: [TOPICS.incidents],
    fromBeginning: true,
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH,
    ...(startAt.length > 0 ? { startAt } : {}),
  });
  log.info({ resumeFromSeq: seq, startAt }, 'pipeline started');
  const assigner = new WindowAssigner();
  const regions = config.regions && config.regions.length > 0 ? new Set(config.regions) : undefined;
  const categories =
    config.categories && config.categories.length > 0 ? new Set(config.categories) : undefined;
  const scorer = options.scorer;
  try {
    for await (const batch of consumer.batches(signal)) {
      if (batch.messages.length === 0) continue;
      seq += 1;
      const summary = await processBatch(batch, seq);
      await consumer.commit(summary.positions);
      await afterCommit(summary);
      if (options.onBatch) await options.onBatch(summary);
      if (signal.aborted) break;
    }
  } finally {
    await consumer.close();
    log.info({ lastSeq: seq }, 'pipeline stopped');
  }

  async function processBatch(batch: BusBatch, batchSeq: number): Promise<BatchSummary> {
    const staged: StagedEvent[] = [];
    const dead: DeadLetter[] = [];
    const cursors = new Map<string, CursorUpdate>();
    let filtered = 0;
    let invalid = 0;
    for (const m of batch.messages) {
      const where = { topic: m.topic, partition: m.partition, offset: m.offset };
      // The common envelope (`{kind:'event', event}`) needs no zod pass: its payload is checked below.
      const msg = isEventEnvelope(m.value)
        ? ({ success: true, data: { kind: 'event', event: m.value.event } } as const)
        : IncidentMessage.safeParse(m.value);
      if (!msg.success) {
        invalid++;
        dead.push({
          source: sourceOfKey(m.key),
          reason: `invalid message: ${msg.error.issues[0]?.message ?? 'unknown'}`,
          payload: m.value,
          ...where,
        });
        continue;
      }
      const v = msg.data;
      if (v.kind === 'state') {
        cursors.set(`${v.source}\u0000${v.stream}`, {
          source: v.source,
          stream: v.stream,
          cursor: v.cursor,
          recordCount: v.recordCount,
        });
        continue;
      }
      if (v.kind === 'reject') {
        dead.push({ source: v.source, reason: v.reason, payload: v.payload, ...where });
        continue;
      }
      // Fast path: a check compiled from the CrimeEvent schema itself vouches for most events (≈1 µs
      // instead of ≈23 µs of zod); anything it cannot vouch for, and one event in FULL_CHECK_EVERY, goes
      // through zod, so rejects and their reasons are exactly zod's (see src/sources/fast-event-check.ts).
      const candidate = v.event;
      const parsed =
        isRecord(candidate) && fastEventCheck(candidate) && !fullCheckDue()
          ? ({ success: true, data: candidate } as const)
          : CrimeEvent.safeParse(candidate);
      if (!parsed.success) {
        invalid++;
        const issue = parsed.error.issues[0];
        dead.push({
          source: sourceOfKey(m.key),
          reason: `invalid event at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unknown'}`,
          payload: v.event,
          ...where,
        });
        continue;
      }
      const e = parsed.data;
      if ((regions && !regions.has(e.source)) || (categories && !categories.has(e.category))) {
        filtered++;
        continue;
      }
      let windows: StagedEvent['windows'];
      try {
        windows = assigner.assignEvent(e);
      } catch (err) {
        invalid++;
        dead.push({
          source: e.source,
          reason: `cannot place event in time: ${(err as Error).message}`,
          payload: v.event,
          ...where,
        });
        continue;
      }
      const watermarkMs = watermarks.get(e.source).watermarkMs;
      const lateness = watermarks.observe(e.source, windows.occurredMs, finestWindowEnd(windows));
      staged.push({ event: e, windows, lateness, watermarkMs });
    }
    const last = batch.messages[batch.messages.length - 1];
    const positions: Position[] = last
      ? [{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]
      : [];
    const t0 = performance.now();
    const outcome = await store.commitBatch(
      {
        workerId,
        seq: batchSeq,
        events: staged,
        deadLetters: dead,
        cursors: [...cursors.values()],
        offsets: positions.map((p) => ({
          groupId,
          topic: p.topic,
          partition: p.partition,
          nextOffset: p.offset,
        })),
        watermarks: watermarks.entries(),
      },
      scorer ? (closed) => scorer.scoreClosed(closed) : undefined,
    );
    const commitMs = performance.now() - t0;
    commitSeconds.observe(commitMs / 1000);
    const now = Date.now();
    for (const s of staged)
      latencySeconds.observe(
        { source: s.event.source },
        Math.max(0, now - Date.parse(s.event.ingestedAt)) / 1000,
      );
    return {
      ...outcome,
      seq: batchSeq,
      rejected: dead,
      messages: batch.messages.length,
      filtered,
      invalid,
      commitMs,
      positions,
    };
  }

  async function afterCommit(s: BatchSummary): Promise<void> {
    for (const [source, n] of Object.entries(s.appliedBySource))
      processed.inc({ source, outcome: 'applied' }, n);
    if (s.duplicates) processed.inc({ source: 'all', outcome: 'duplicate' }, s.duplicates);
    if (s.updated) processed.inc({ source: 'all', outcome: 'updated' }, s.updated);
    if (s.lateApplied) processed.inc({ source: 'all', outcome: 'late-updated' }, s.lateApplied);
    if (s.sideOutput) processed.inc({ source: 'all', outcome: 'late-side-output' }, s.sideOutput);
    if (s.filtered) processed.inc({ source: 'all', outcome: 'filtered' }, s.filtered);
    if (s.deadLetters) deadLetters.inc({ source: 'all' }, s.deadLetters);
    for (const [source, wm] of watermarks.entries()) {
      if (Number.isFinite(wm.watermarkMs)) watermarkGauge.set({ source }, wm.watermarkMs / 1000);
    }
    const sinks = options.sinks ?? [];
    if (sinks.length > 0) {
      const committed = await store.readBatch(workerId, s.seq);
      if (committed) {
        for (const sink of sinks) {
          try {
            await sink.write(committed);
          } catch (err) {
            sinkErrors.inc({ sink: sink.name });
            log.error(
              { err, sink: sink.name, seq: s.seq },
              'sink write failed; it catches up from the store',
            );
          }
        }
      }
    }
    try {
      if (s.anomalies.length > 0) {
        await bus.publish(
          TOPICS.anomalies,
          s.anomalies.map((a) => ({ key: `${a.source}:${a.areaId}`, value: a })),
          signal,
        );
      }
    } catch (err) {
      log.error(
        { err, count: s.anomalies.length },
        'publishing anomalies failed; they are in the anomalies table',
      );
    }
    log.debug(
      {
        seq: s.seq,
        messages: s.messages,
        inserted: s.inserted,
        updated: s.updated,
        duplicates: s.duplicates,
        commitMs: Math.round(s.commitMs),
      },
      'batch committed',
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEventEnvelope(v: unknown): v is { kind: 'event'; event: unknown } {
  return isRecord(v) && v.kind === 'event' && 'event' in v;
}

function sourceOfKey(key: string): string {
  const i = key.indexOf(':');
  const s = i > 0 ? key.slice(0, i) : key;
  return /^[a-z0-9-]+$/.test(s) ? s : 'unknown';
}
