/**
 * Runs every enabled source and publishes what it says to `crime-incidents`.
 *
 * Modes (ARCHITECTURE.md): `live` polls the portal (one `read` pass, then a pause, forever); `replay`
 * plays the shipped sample once and reports itself complete; `auto` probes each portal with a short
 * timeout and picks live where it answers, replay where it does not, and logs which.
 *
 * Delivery: at-least-once. Records, rejects and cursors travel in one ordered stream per source; the
 * consumer commits cursors with the rows before them, so a restart resumes from the last committed
 * cursor and re-sends at most the uncommitted tail (ids make it harmless). A source that throws is
 * logged, counted, and retried after a pause: one bad portal never stops the others.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, OutgoingMessage } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import { eventKey } from '../core/crime-event.js';
import type { IncidentMessage } from '../core/incident-message.js';
import type { Logger } from '../core/logger.js';
import { counter } from '../core/metrics.js';
import type { RowNormaliser } from './normalise.js';
import type { ReplayFile } from './replay.js';
import { replayFiles, replayStream } from './replay.js';
import type { Cursor, Source, SourceMessage } from './source.js';
import type { SourceStatusBoard } from './status-board.js';

/** One entry of the source registry: the live connector (if any) and the shipped sample for replay. */
export interface SourceEntry {
  id: string;
  description: string;
  timeZone: string;
  expectedLagMs: number;
  normaliser: RowNormaliser;
  samples: ReplayFile[];
  /** Live connector and its config; absent for sources that only replay. */
  live?: { source: Source<unknown>; config: unknown; pollIntervalMs: number };
}

export interface IngestOptions {
  entries: SourceEntry[];
  bus: Bus;
  mode: 'auto' | 'live' | 'replay';
  speed: number;
  backfillFraction: number;
  maxGapMs?: number;
  /** Last committed cursors per source, per stream. */
  cursors: Record<string, Record<string, Cursor>>;
  board: SourceStatusBoard;
  log: Logger;
  signal: AbortSignal;
  probeTimeoutMs?: number;
  /** Backfill start for live sources with no cursor (`ingest --since`). */
  since?: Date;
  /** Messages per publish call. */
  publishBatch?: number;
  /**
   * Called once per source when its history is in: a replay's backfill part has been published, or a
   * live source's first poll pass is complete (or failed).
   */
  onCaughtUp?: (source: string) => void;
  /** Called after each publish with the messages just accepted (ingest-state saving on Kafka). */
  onPublished?: (source: string, messages: IncidentMessage[]) => Promise<void> | void;
}

const published = counter('crimepulse_ingest_events_total', 'Events published to crime-incidents', [
  'source',
  'mode',
]);
const rejected = counter('crimepulse_ingest_rejected_total', 'Rows rejected by normalisers (dead letters)', [
  'source',
]);
const sourceErrors = counter('crimepulse_ingest_errors_total', 'Source passes that failed', [
  'source',
  'kind',
]);

/** Decides live or replay for one source. */
export async function chooseMode(
  entry: SourceEntry,
  mode: IngestOptions['mode'],
  timeoutMs: number,
): Promise<{ mode: 'live' | 'replay'; reason: string }> {
  if (mode === 'replay') return { mode: 'replay', reason: 'CRIMEPULSE_MODE=replay' };
  if (!entry.live) return { mode: 'replay', reason: 'no live connector for this source' };
  if (mode === 'live') return { mode: 'live', reason: 'CRIMEPULSE_MODE=live' };
  try {
    const res = await entry.live.source.check(entry.live.config, AbortSignal.timeout(timeoutMs));
    return res.ok
      ? { mode: 'live', reason: `probe ok: ${res.message}` }
      : { mode: 'replay', reason: `probe failed: ${res.message}` };
  } catch (err) {
    return { mode: 'replay', reason: `probe failed: ${(err as Error).message}` };
  }
}

/** Runs all sources until the signal aborts (live) or every replay is complete. */
export async function runIngest(options: IngestOptions): Promise<void> {
  await Promise.all(options.entries.map((entry) => runOne(entry, options)));
}

async function runOne(entry: SourceEntry, options: IngestOptions): Promise<void> {
  const log = options.log.child({ component: 'ingest', source: entry.id });
  const { mode, reason } = await chooseMode(entry, options.mode, options.probeTimeoutMs ?? 3000);
  options.board.register(entry.id, entry.description, mode, reason, entry.expectedLagMs);
  log.info({ mode, reason }, `source ${entry.id}: ${mode} (${reason})`);
  const publisher = new Publisher(entry.id, mode, options, log);
  if (mode === 'replay') {
    if (entry.samples.length === 0) {
      log.warn('no shipped sample for this source; nothing to replay');
      options.onCaughtUp?.(entry.id);
      return;
    }
    const cursor = options.cursors[entry.id]?.[replayStream(entry.samples)];
    const messages = replayFiles({
      source: entry.id,
      files: entry.samples,
      normaliser: entry.normaliser,
      speed: options.speed,
      backfillFraction: options.backfillFraction,
      ...(options.maxGapMs === undefined ? {} : { maxGapMs: options.maxGapMs }),
      cursor,
      signal: options.signal,
      expectedLagMs: entry.expectedLagMs,
      onBackfilled: () => options.onCaughtUp?.(entry.id),
    });
    try {
      for await (const m of messages) await publisher.push(m);
      await publisher.flush();
      log.info(
        { events: publisher.events, rejected: publisher.rejected },
        `source ${entry.id}: replay complete`,
      );
    } catch (err) {
      if (!options.signal.aborted) {
        sourceErrors.inc({ source: entry.id, kind: 'replay' });
        log.error({ err }, 'replay failed');
      }
    }
    return;
  }
  const live = entry.live!;
  let state = options.cursors[entry.id];
  let first = true;
  while (!options.signal.aborted) {
    try {
      const ctx = { state, signal: options.signal, log, ...(options.since ? { since: options.since } : {}) };
      for await (const m of live.source.read(live.config, ctx)) {
        await publisher.push(m);
        if (m.kind === 'state') state = { ...state, [m.stream]: m.cursor };
      }
      await publisher.flush();
      log.info({ events: publisher.events, rejected: publisher.rejected }, 'poll pass complete');
    } catch (err) {
      if (options.signal.aborted) break;
      sourceErrors.inc({ source: entry.id, kind: (err as { kind?: string }).kind ?? 'unknown' });
      log.error({ err }, 'poll pass failed; will retry after the poll interval');
      await publisher.flush().catch(() => undefined);
    }
    try {
      if (first) {
        first = false;
        options.onCaughtUp?.(entry.id);
      }
      await sleep(live.pollIntervalMs, undefined, { signal: options.signal });
    } catch {
      break;
    }
  }
}

/** Buffers a source's messages into ordered publish calls; status and logs go to the board and log. */
class Publisher {
  events = 0;
  rejected = 0;
  #buffer: IncidentMessage[] = [];
  #keys: string[] = [];

  constructor(
    private readonly source: string,
    private readonly mode: 'live' | 'replay',
    private readonly options: IngestOptions,
    private readonly log: Logger,
  ) {}

  async push(m: SourceMessage): Promise<void> {
    switch (m.kind) {
      case 'record':
        this.#add({ kind: 'event', event: m.event }, eventKey(m.event));
        this.events++;
        break;
      case 'reject':
        this.#add(
          { kind: 'reject', source: m.source, reason: m.reason, payload: m.payload },
          `${this.source}:reject`,
        );
        this.rejected++;
        break;
      case 'state':
        this.#add(m, `${this.source}:state`);
        // A cursor is a natural flush point: everything before it is handed to the bus in order.
        await this.flush();
        return;
      case 'status':
        this.options.board.update(m.status);
        return;
      case 'log':
        this.log[m.level]({ ...m.fields }, m.message);
        return;
    }
    if (this.#buffer.length >= (this.options.publishBatch ?? 500)) await this.flush();
  }

  #add(msg: IncidentMessage, key: string): void {
    this.#buffer.push(msg);
    this.#keys.push(key);
  }

  async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const msgs = this.#buffer;
    const keys = this.#keys;
    this.#buffer = [];
    this.#keys = [];
    const out: OutgoingMessage[] = msgs.map((value, i) => ({ key: keys[i]!, value }));
    await this.options.bus.publish(TOPICS.incidents, out, this.options.signal);
    let ev = 0;
    let rej = 0;
    for (const m of msgs) {
      if (m.kind === 'event') ev++;
      else if (m.kind === 'reject') rej++;
    }
    if (ev) published.inc({ source: this.source, mode: this.mode }, ev);
    if (rej) rejected.inc({ source: this.source }, rej);
    this.options.board.count(this.source, 'events', ev);
    this.options.board.count(this.source, 'rejected', rej);
    await this.options.onPublished?.(this.source, msgs);
  }
}
