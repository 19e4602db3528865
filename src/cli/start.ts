/**
 * `crimepulse start`: every role in one process (what `npm start` runs). In-process bus, one DuckDB
 * file, Delta tables and MLflow runs under the data dir; sources in auto mode (live where the portal
 * answers, the shipped sample replayed where it does not). The first part of each replay is played at
 * full speed (history), then the rest is paced live; once the history is committed, models are trained
 * if no champion exists, and retrained on `retrainCron`.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { Cron } from 'croner';
import { buildApp } from '../api/app.js';
import type { FeedBatch } from '../api/app-deps.js';
import { createBus } from '../bus/index.js';
import { chatPlugin, createChatBot, storeChatData } from '../chat/index.js';
import { ConfigError } from '../core/errors.js';
import { enableDefaultMetrics } from '../core/metrics.js';
import { runPipeline } from '../pipeline/index.js';
import type { SourceEntry } from '../sources/ingest-runner.js';
import { runIngest } from '../sources/ingest-runner.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { createContext, PACKAGE_ROOT } from './context.js';
import { openModels } from './models.js';
import { openProcessing } from './processing.js';
import { startStatusLog } from './status-log.js';

export interface StartOptions {
  port?: number;
  mode?: 'auto' | 'live' | 'replay';
  speed?: string;
  /** Share of each replayed sample played at full speed first (history), the rest paced live. */
  backfill?: number;
}

export async function startCommand(opts: StartOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (opts.port !== undefined) overrides.port = opts.port;
  if (opts.mode) overrides.mode = opts.mode;
  if (opts.speed) overrides.replaySpeed = opts.speed;
  const ctx = createContext(await knownSourceIds(), overrides);
  const { config, log, signal } = ctx;
  enableDefaultMetrics();
  const bus = createBus(config, log);
  const stack = await openProcessing(ctx, 'crimepulse-process');
  const { store } = stack;
  const board = new SourceStatusBoard();
  const entries = await loadRegistry({ config });
  const models = await openModels(ctx, entries);
  const listeners = new Set<(b: FeedBatch) => void>();

  let published = 0;
  let committed = 0;
  let training: Promise<unknown> | undefined;
  const train = (why: string) => {
    training ??= (async () => {
      log.info({ component: 'training', why }, `training models (${why})`);
      try {
        return await models.train({ store: store.reader });
      } catch (err) {
        log.error({ component: 'training', err }, 'training failed');
        return { error: (err as Error).message };
      } finally {
        training = undefined;
      }
    })();
    return training;
  };
  const caughtUp = new Set<string>();
  let firstTrainPending = !models.runtime.hasSeriesModels();
  const maybeFirstTrain = () => {
    if (firstTrainPending && caughtUp.size >= entries.length && committed >= published) {
      firstTrainPending = false;
      void train('first run: history is in and no champion exists');
    }
  };

  const pipeline = runPipeline({
    bus,
    store,
    sinks: stack.sinks,
    scorer: models.runtime,
    config,
    log,
    signal,
    groupId: 'crimepulse-process',
    maxBatchSize: 5000,
    onBatch: (s) => {
      committed += s.messages;
      if (listeners.size > 0) {
        const batch: FeedBatch = { counts: s.appliedBySource, anomalies: s.anomalies };
        for (const l of listeners) l(batch);
      }
      maybeFirstTrain();
    },
  });
  const ingest = runIngest({
    entries,
    bus,
    mode: config.mode,
    speed: config.replaySpeed,
    backfillFraction: opts.backfill ?? 0.5,
    cursors: await store.cursors(),
    board,
    log,
    signal,
    onPublished: (_s, messages) => {
      published += messages.length;
    },
    onCaughtUp: (source) => {
      caughtUp.add(source);
      maybeFirstTrain();
    },
  });
  const cron =
    config.retrainCron === 'off'
      ? undefined
      : new Cron(config.retrainCron, () => void train(`schedule ${config.retrainCron}`));

  const app = await buildApp({
    log,
    board,
    store,
    predictModel: () => models.runtime.predictModel,
    forecaster: {
      get version() {
        return models.runtime.seriesVersion ?? 'none';
      },
      forecast: async (q) => models.runtime.forecast(q),
    },
    models: models.reader,
    feed: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    admin: {
      retrain: async () => train('admin request'),
      promote: async (model, version) => models.runtime.promote(model, Number(version), 'admin'),
      replay: async (source, file) => {
        const entry = entries.find((e) => e.id === source);
        if (!entry) throw new ConfigError('CP_ERR_SOURCE_UNKNOWN', `unknown or disabled source: ${source}`);
        const files = file
          ? [replayFileFor(entry, file, [config.samplesDir, ctx.dataPath('replays')])]
          : entry.samples;
        // A fresh cursor: an admin replay re-sends on purpose; ids make repeats harmless.
        void runIngest({
          entries: [{ ...entry, samples: files }],
          bus,
          mode: 'replay',
          speed: Number.POSITIVE_INFINITY,
          backfillFraction: 0,
          cursors: {},
          board,
          log,
          signal,
          onPublished: (_s, messages) => {
            published += messages.length;
          },
        }).catch((err) => log.error({ err, source }, 'admin replay failed'));
        return { accepted: true, source, files: files.map((f) => relative(process.cwd(), f.path)) };
      },
    },
    readiness: {
      store: () => true,
      bus: () => bus.healthy(),
      model: () => models.runtime.predictModel !== undefined,
    },
    options: { ...(config.adminToken ? { adminToken: config.adminToken } : {}) },
    web: {
      root: resolve(PACKAGE_ROOT, 'web', 'dist'),
      ...(config.chatUrl ? { chatUrl: config.chatUrl } : {}),
      ...(config.tileUrl ? { tileUrl: config.tileUrl } : {}),
    },
    plugins: [
      {
        plugin: chatPlugin,
        options: { bot: createChatBot({ data: storeChatData({ reader: store.reader, board }), log }) },
      },
    ],
  });
  await app.listen({ port: config.port, host: config.host });
  log.info(
    { port: config.port, host: config.host },
    `CrimePulse is running: open http://localhost:${config.port}/ (metrics at /metrics)`,
  );
  startStatusLog(board, log.child({ component: 'status' }), 10_000, signal);
  await ingest;
  if (!signal.aborted)
    log.info('all sources finished their replays or stopped; the API keeps serving until Ctrl+C');
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  cron?.stop();
  await app.close();
  await pipeline.catch((err) => log.error({ err }, 'pipeline failed'));
  await training;
  models.runtime.close();
  await bus.close();
  await stack.close();
}

/** A replay file for the admin route: only files inside the samples folder or `<dataDir>/replays`. */
function replayFileFor(entry: SourceEntry, file: string, allowed: string[]) {
  for (const dir of allowed) {
    const path = resolve(dir, file);
    const rel = relative(resolve(dir), path);
    if (!rel.startsWith('..') && !isAbsolute(rel) && existsSync(path)) {
      return {
        path,
        batch: entry.samples[0]?.batch ?? ('file' as const),
        ...(entry.samples[0]?.read ? { read: entry.samples[0].read } : {}),
      };
    }
  }
  throw new ConfigError(
    'CP_ERR_SOURCE_CONFIG',
    `replay file not found in the samples folder or <dataDir>/replays: ${file}`,
  );
}
