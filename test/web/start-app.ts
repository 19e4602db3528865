/**
 * The real app on the shipped samples, for browser tests and the web benchmark: the in-process bus,
 * the DuckDB store in a temp data dir, the pipeline, the ingest runner in `replay` mode at max speed
 * (src/cli/start.ts wires the same pieces), the API (buildApp) with its live feed and admin replay,
 * and the dashboard plugin (src/api/plugins/web.ts).
 *
 * The dashboard is registered the way the CLI does it (`deps.web`), so the tests see the real
 * composition: helmet and the API's hooks plus the dashboard's own CSP.
 *
 * Anomalies come from a small Poisson scorer (below), so the tests do not depend on a trained model;
 * the count model has its own tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp, type EventFeed, type FeedBatch, type Forecaster } from '../../src/api/app.js';
import { type Bus, TOPICS } from '../../src/bus/bus.js';
import { createInProcessBus } from '../../src/bus/in-process/in-process-bus.js';
import { chatPlugin, createChatBot, storeChatData } from '../../src/chat/index.js';
import { loadConfig } from '../../src/core/config.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { fitSeriesModel, forecast } from '../../src/model/count/series-model.js';
import {
  type AnomalyRow,
  anomalyId,
  type ClosedWindow,
  runPipeline,
  type Scorer,
} from '../../src/pipeline/index.js';
import { runIngest, type SourceEntry } from '../../src/sources/ingest-runner.js';
import { knownSourceIds, loadRegistry } from '../../src/sources/registry.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';
import { openStore, type Store } from '../../src/store/index.js';

export const ADMIN_TOKEN = 'web-test-admin-token';

/** P(X ≥ k) for X ~ Poisson(mu). */
export function poissonUpper(k: number, mu: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-mu);
  let cdf = term;
  for (let i = 1; i < k; i++) {
    term *= mu / i;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/**
 * Flags a closed daily window whose count is improbably high against the mean of the series' own
 * earlier days (≥ 3 of them): p = P(X ≥ observed | Poisson(mean)) < 0.01. Contributors follow the
 * count model's shape (`top` rows of dimension/value/excess).
 */
export function poissonScorer(): Scorer {
  const history = new Map<string, number[]>();
  return {
    async scoreClosed(windows: ClosedWindow[]) {
      const out: AnomalyRow[] = [];
      for (const w of [...windows].sort((a, b) => a.windowStart.localeCompare(b.windowStart))) {
        if (w.granularity !== 'day') continue;
        const key = `${w.source}|${w.areaId}|${w.category}`;
        const past = history.get(key) ?? [];
        if (past.length >= 3) {
          const mean = Math.max(0.2, past.reduce((a, b) => a + b, 0) / past.length);
          const p = poissonUpper(w.eventCount, mean);
          if (w.eventCount >= 4 && p < 0.01) {
            const base = {
              granularity: w.granularity,
              source: w.source,
              areaId: w.areaId,
              category: w.category,
              windowStart: w.windowStart,
              modelVersion: 'web-test-poisson-1',
            };
            const sd = Math.sqrt(mean);
            out.push({
              ...base,
              id: anomalyId(base),
              windowEnd: w.windowEnd,
              observed: w.eventCount,
              expected: mean,
              lower: Math.max(0, mean - 2 * sd),
              upper: mean + 2 * sd,
              pValue: p,
              qValue: Math.min(1, p * 10),
              severity: p < 1e-4 ? 'high' : p < 1e-3 ? 'medium' : 'low',
              contributors: {
                direction: 'rise',
                ratio: w.eventCount / mean,
                top: [{ dimension: 'category', value: w.category, excess: w.eventCount - mean }],
              },
              detectedAt: new Date().toISOString(),
            });
          }
        }
        past.push(w.eventCount);
        history.set(key, past.slice(-28));
      }
      return out;
    },
  };
}

/**
 * Forecasts with the real count model (src/model/count) fitted on the store's windows of the one
 * requested series, at request time (the lead's wiring serves the registry's champion instead).
 */
export function storeForecaster(store: Store): Forecaster {
  return {
    version: 'series-anomaly@web-test',
    async forecast(q) {
      const table =
        q.granularity === 'hour'
          ? 'windows_hourly'
          : q.granularity === 'day'
            ? 'windows_daily'
            : 'windows_monthly';
      const where = ['source = $1'];
      const params: string[] = [q.source];
      if (q.area !== 'all') where.push(`area_id = $${params.push(q.area)}`);
      if (q.category !== 'all') where.push(`category = $${params.push(q.category)}`);
      const r = await store.reader.runAndReadAll(
        `SELECT strftime(window_start, '%Y-%m-%dT%H:%M:%S.000Z') AS s, sum(event_count)::DOUBLE AS n FROM ${table} WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY 1`,
        params,
      );
      const zone = await store.reader.runAndReadAll(
        'SELECT any_value(time_zone) AS z FROM events WHERE source = $1',
        [q.source],
      );
      const points = r.getRowObjects().map((row) => ({ start: String(row.s), count: Number(row.n) }));
      if (points.length < 7) return undefined;
      const model = fitSeriesModel(points, {
        granularity: q.granularity,
        key: { source: q.source, areaId: q.area, category: q.category },
        timeZone: String(zone.getRowObjects()[0]?.z ?? 'UTC'),
      });
      return forecast(model, q.horizon).map((p) => ({
        windowStart: p.start,
        expected: p.expected,
        lower: p.lower,
        upper: p.upper,
      }));
    },
  };
}

class Feed implements EventFeed {
  readonly #listeners = new Set<(b: FeedBatch) => void>();
  subscribe(listener: (b: FeedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(b: FeedBatch): void {
    for (const l of this.#listeners) l(b);
  }
}

export interface TestApp {
  url: string;
  store: Store;
  bus: Bus;
  feed: Feed;
  dataDir: string;
  /** Events the store holds now. */
  count(): Promise<number>;
  /** Resolves when the ingest is done and the pipeline has committed every message it published. */
  settle(): Promise<number>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Source ids to replay (default chicago, la, uk-police). */
  sources?: string[];
  /** Extra recorded files per source, replayed with the samples (hostile strings, bursts). */
  extraFiles?: Record<string, string[]>;
  /** Where `/admin/replay` resolves `file` (default samples/). */
  replayDir?: string;
  webRoot?: string;
  log?: Logger;
  /** Replace the store (benchmarks: a pre-built 1M-event store); skips ingest. */
  storePath?: string;
}

async function queryCount(store: Store): Promise<number> {
  const r = await store.reader.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events');
  return Number(r.getRowObjects()[0]?.n ?? 0);
}

export async function startTestApp(opts: StartOptions = {}): Promise<TestApp> {
  const log = opts.log ?? silentLogger;
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-web-'));
  const config = loadConfig({
    sourceIds: await knownSourceIds(),
    env: {},
    overrides: { mode: 'replay', replaySpeed: 'max', dataDir, samplesDir: resolve('samples') },
  });
  // Counts what reaches crime-incidents, so `settle` knows when the pipeline has consumed all of it.
  const inner = createInProcessBus();
  let published = 0;
  let consumed = 0;
  const bus: Bus = Object.assign(Object.create(inner) as Bus, {
    publish: async (topic: string, messages: Parameters<Bus['publish']>[1], signal?: AbortSignal) => {
      await inner.publish(topic, messages, signal);
      if (topic === TOPICS.incidents) published += messages.length;
    },
    consumer: inner.consumer.bind(inner),
    healthy: inner.healthy.bind(inner),
    close: inner.close.bind(inner),
  });
  const store = await openStore(opts.storePath ?? join(dataDir, 'store.duckdb'), log);
  const board = new SourceStatusBoard();
  const wanted = new Set(opts.sources ?? ['chicago', 'la', 'uk-police']);
  const all = await loadRegistry({ config });
  const entries: SourceEntry[] = all
    .filter((e) => wanted.has(e.id))
    .map((e) => ({
      ...e,
      samples: [
        ...e.samples,
        ...(opts.extraFiles?.[e.id] ?? []).map((f) => ({ ...e.samples[0]!, path: resolve(f) })),
      ],
    }));
  const controller = new AbortController();
  const feed = new Feed();
  const pipeline = runPipeline({
    bus,
    store,
    scorer: poissonScorer(),
    config: { allowedLatenessMs: 3_600_000 },
    log,
    signal: controller.signal,
    groupId: 'crimepulse-process',
    maxBatchSize: 5000,
    onBatch: (s) => {
      consumed += s.messages;
      feed.emit({ counts: s.appliedBySource, anomalies: s.anomalies });
    },
  });
  const replayDir = resolve(opts.replayDir ?? 'samples');
  const ingestOne = (list: SourceEntry[]) =>
    runIngest({
      entries: list,
      bus,
      mode: 'replay',
      speed: Number.POSITIVE_INFINITY,
      backfillFraction: 1,
      cursors: {},
      board,
      log,
      signal: controller.signal,
    });
  const ingest = opts.storePath ? Promise.resolve() : ingestOne(entries);
  const api = await buildApp({
    log,
    board,
    store,
    feed,
    forecaster: storeForecaster(store),
    admin: {
      async retrain() {
        return { skipped: 'no training in web tests' };
      },
      async promote() {
        return { skipped: 'no registry in web tests' };
      },
      async replay(source: string, file?: string) {
        const entry = all.find((e) => e.id === source);
        if (!entry) throw new Error(`unknown source ${source}`);
        const samples = file ? [{ ...entry.samples[0]!, path: join(replayDir, file) }] : entry.samples;
        await ingestOne([{ ...entry, samples }]);
        return { replayed: source, files: samples.map((s) => s.path) };
      },
    },
    options: { adminToken: ADMIN_TOKEN, streamIntervalMs: 200, rateLimitPerMinute: 100_000 },
    web: { root: resolve(opts.webRoot ?? 'web/dist') },
    // The chatbot as `start` registers it: answering from this store.
    plugins: [
      {
        plugin: chatPlugin,
        options: { bot: createChatBot({ data: storeChatData({ reader: store.reader, board }), log }) },
      },
    ],
  });
  const url = await api.listen({ port: 0, host: '127.0.0.1' });
  const count = () => queryCount(store);
  const settle = async () => {
    await ingest;
    const deadline = Date.now() + 180_000;
    while (consumed < published) {
      if (Date.now() > deadline)
        throw new Error(`pipeline consumed ${consumed} of ${published} messages in 180 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return count();
  };
  return {
    url,
    store,
    bus,
    feed,
    dataDir,
    count,
    settle,
    async close() {
      controller.abort();
      api.server.closeAllConnections();
      await api.close();
      await ingest.catch(() => undefined);
      await pipeline.catch(() => undefined);
      await bus.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
