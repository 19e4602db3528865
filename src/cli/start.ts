/**
 * `crimepulse start`: every role in one process (what `npm start` runs). In-process bus, one DuckDB
 * file, Delta tables and MLflow runs under the data dir; sources in auto mode (live where the portal
 * answers, the shipped sample replayed where it does not).
 */

import { buildApp } from '../api/app.js';
import { createBus } from '../bus/index.js';
import { enableDefaultMetrics } from '../core/metrics.js';
import { runPipeline } from '../pipeline/index.js';
import { runIngest } from '../sources/ingest-runner.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { createContext } from './context.js';
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
  const pipeline = runPipeline({ bus, store, sinks: stack.sinks, config, log, signal, groupId: 'crimepulse-process' });
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
  });
  const app = await buildApp({ log, board, readiness: { bus: () => bus.healthy() } });
  await app.listen({ port: config.port, host: config.host });
  log.info(
    { port: config.port, host: config.host },
    `CrimePulse is running: open http://localhost:${config.port}/ (metrics at /metrics)`,
  );
  startStatusLog(board, log.child({ component: 'status' }), 10_000, signal);
  await ingest;
  log.info('all sources finished their replays or stopped; the API keeps serving until Ctrl+C');
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await app.close();
  await pipeline.catch((err) => log.error({ err }, 'pipeline failed'));
  await bus.close();
  await stack.close();
}
