/**
 * The live stream behind `GET /v1/stream` (Server-Sent Events). Pipeline batches arrive through the
 * injected `EventFeed`; events are aggregated (at most one `events` message per interval: counts by
 * source plus a sample of up to 10 events), each anomaly is one `anomaly` message. Every stored
 * message has a monotonically increasing id and sits in a bounded ring buffer, so a client that
 * reconnects with `Last-Event-ID` gets what it missed; if the buffer has moved past that id, it first
 * gets a `gap` message. `heartbeat` messages carry no id (they are not replayed).
 */
import type { CrimeEvent } from '../core/crime-event.js';
import { gauge } from '../core/metrics.js';
import type { AnomalyRow } from '../pipeline/index.js';
import type { EventFeed, FeedBatch } from './app-deps.js';

export type StreamEventName = 'events' | 'anomaly' | 'heartbeat' | 'gap';

/** The frozen SSE vocabulary (docs/api.md and the OpenAPI description are generated from it). */
export const STREAM_EVENTS: Record<StreamEventName, { id: boolean; payload: string; when: string }> = {
  events: {
    id: true,
    payload:
      '{ at: string; total: number; counts: { [source: string]: number }; sample: CrimeEvent[] /* ≤ 10 */ }',
    when: 'At most once per interval (default 1 s) while events arrive: applied events by source since the previous one.',
  },
  anomaly: {
    id: true,
    payload: 'AnomalyRow (an item of /v1/anomalies without explanation)',
    when: 'Each anomaly as soon as its batch commits.',
  },
  gap: {
    id: false,
    payload: '{ lastEventId: number; oldestAvailable: number }',
    when: 'First, on a resume whose Last-Event-ID is older than the buffer: messages were lost.',
  },
  heartbeat: {
    id: false,
    payload: '{ at: string }',
    when: 'Every 15 s by default, to keep proxies from closing an idle stream.',
  },
};

export interface StreamMessage {
  id?: number;
  event: StreamEventName;
  data: unknown;
}

export interface EventsPayload {
  at: string;
  total: number;
  counts: Record<string, number>;
  sample: CrimeEvent[];
}

export interface HubOptions {
  bufferSize: number;
  intervalMs: number;
  heartbeatMs: number;
}

const clientsGauge = gauge('crimepulse_api_stream_clients', 'Open /v1/stream connections');
const SAMPLE = 10;

export function formatSse(m: StreamMessage): string {
  const id = m.id === undefined ? '' : `id: ${m.id}\n`;
  return `${id}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

export class StreamHub {
  readonly #ring: StreamMessage[] = [];
  readonly #clients = new Set<(m: StreamMessage) => void>();
  readonly #opts: HubOptions;
  #nextId = 1;
  #counts: Record<string, number> = {};
  #sample: CrimeEvent[] = [];
  #timers: NodeJS.Timeout[] = [];
  #unsubscribe: (() => void) | undefined;

  constructor(opts: HubOptions) {
    this.#opts = opts;
  }

  /** Starts listening to the feed and the flush and heartbeat timers. */
  start(feed: EventFeed | undefined): void {
    if (feed) this.#unsubscribe = feed.subscribe((b) => this.ingest(b));
    const flush = setInterval(() => this.flush(), this.#opts.intervalMs);
    const beat = setInterval(
      () => this.broadcast({ event: 'heartbeat', data: { at: new Date().toISOString() } }),
      this.#opts.heartbeatMs,
    );
    flush.unref();
    beat.unref();
    this.#timers = [flush, beat];
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Adds one pipeline batch: counts and sample wait for the next flush, anomalies go out now. */
  ingest(batch: FeedBatch): void {
    for (const [s, n] of Object.entries(batch.counts))
      if (n > 0) this.#counts[s] = (this.#counts[s] ?? 0) + n;
    for (const e of batch.sample ?? []) {
      if (this.#sample.length >= SAMPLE) break;
      this.#sample.push(e);
    }
    for (const a of batch.anomalies ?? []) this.publish('anomaly', a satisfies AnomalyRow);
  }

  /** Emits the pending `events` aggregate, if any. */
  flush(): void {
    const counts = this.#counts;
    const total = Object.values(counts).reduce((s, n) => s + n, 0);
    if (total === 0) return;
    const payload: EventsPayload = { at: new Date().toISOString(), total, counts, sample: this.#sample };
    this.#counts = {};
    this.#sample = [];
    this.publish('events', payload);
  }

  publish(event: StreamEventName, data: unknown): StreamMessage {
    const m: StreamMessage = { id: this.#nextId++, event, data };
    this.#ring.push(m);
    if (this.#ring.length > this.#opts.bufferSize)
      this.#ring.splice(0, this.#ring.length - this.#opts.bufferSize);
    this.broadcast(m);
    return m;
  }

  broadcast(m: StreamMessage): void {
    for (const c of this.#clients) c(m);
  }

  /** Messages after `lastId` still in the buffer, preceded by a `gap` message when some were dropped. */
  since(lastId: number): StreamMessage[] {
    const out = this.#ring.filter((m) => (m.id ?? 0) > lastId);
    const oldest = this.#ring[0]?.id;
    if (oldest !== undefined && lastId < oldest - 1) {
      out.unshift({ event: 'gap', data: { lastEventId: lastId, oldestAvailable: oldest } });
    }
    return out;
  }

  get lastId(): number {
    return this.#nextId - 1;
  }

  /** Registers a client; returns its removal. */
  attach(send: (m: StreamMessage) => void): () => void {
    this.#clients.add(send);
    clientsGauge.inc();
    return () => {
      if (this.#clients.delete(send)) clientsGauge.dec();
    };
  }
}
