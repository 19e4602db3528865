/**
 * `crimepulse replay --source S --file F`: one recorded file through the whole pipeline (in-process bus,
 * store, lake) into the data dir, then exit. It needs the data dir to itself; a running system replays
 * through `POST /admin/replay` instead.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInProcessBus } from '../bus/index.js';
import { ConfigError } from '../core/errors.js';
import { createProgress } from '../core/progress.js';
import { runPipeline } from '../pipeline/index.js';
import { runIngest } from '../sources/ingest-runner.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { replayStream } from '../sources/replay.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { createContext } from './context.js';
import { openProcessing } from './processing.js';

export interface ReplayCommandOptions {
  source: string;
  file: string;
  speed?: string;
}

export async function replayCommand(opts: ReplayCommandOptions): Promise<void> {
  const ctx = createContext(await knownSourceIds(), opts.speed ? { replaySpeed: opts.speed } : {});
  const { config, log } = ctx;
  const entry = (await loadRegistry({ config })).find((e) => e.id === opts.source);
  if (!entry) throw new ConfigError('CP_ERR_SOURCE_UNKNOWN', `unknown or disabled source: ${opts.source}`);
  const path = resolve(opts.file);
  if (!existsSync(path)) throw new ConfigError('CP_ERR_SOURCE_CONFIG', `no such file: ${opts.file}`);
  // The file replaces the shipped samples; keep the sample's batching rule (e.g. a UK month whole).
  const batch = entry.samples[0]?.batch ?? 'file';
  const file = { path, batch, ...(entry.samples[0]?.read ? { read: entry.samples[0].read } : {}) };
  const bus = createInProcessBus();
  const stack = await openProcessing(ctx, 'crimepulse-replay');
  const board = new SourceStatusBoard();
  const controller = new AbortController();
  ctx.signal.addEventListener('abort', () => controller.abort(), { once: true });
  const progress = createProgress({ label: `replay ${entry.id}`, total: 0, log });
  let published = 0;
  let committed = 0;
  const pipeline = runPipeline({
    bus,
    store: stack.store,
    sinks: stack.sinks,
    config,
    log,
    signal: controller.signal,
    groupId: 'crimepulse-replay',
    onBatch: (s) => {
      committed += s.messages;
      progress.tick(s.messages);
      if (ingestDone && committed >= published) controller.abort();
    },
  });
  let ingestDone = false;
  const cursors = await stack.store.cursors();
  await runIngest({
    entries: [{ ...withoutLive(entry), samples: [file] }],
    bus,
    mode: 'replay',
    speed: config.replaySpeed,
    backfillFraction: 0,
    cursors,
    board,
    log,
    signal: controller.signal,
    onPublished: (_s, messages) => {
      published += messages.length;
      progress.setTotal(published);
    },
  });
  ingestDone = true;
  if (committed >= published) controller.abort();
  await pipeline;
  progress.stop();
  const view = board.get(entry.id);
  log.info(
    {
      source: entry.id,
      stream: replayStream([file]),
      events: view?.events ?? 0,
      rejected: view?.rejected ?? 0,
    },
    `replayed ${view?.events ?? 0} events (${view?.rejected ?? 0} rejected) from ${opts.file} into ${config.dataDir}`,
  );
  await bus.close();
  await stack.close();
}

function withoutLive<T extends { live?: unknown }>(entry: T): Omit<T, 'live'> {
  const { live: _live, ...rest } = entry;
  return rest;
}
