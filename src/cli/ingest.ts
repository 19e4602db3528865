/**
 * `crimepulse ingest`: sources → Kafka, as its own process. Cursors live in `ingest-state.duckdb` and
 * are saved after the broker acknowledges the records before them, so a restart resumes, not restarts.
 */
import { buildApp } from '../api/app.js';
import { createBus } from '../bus/index.js';
import { ConfigError } from '../core/errors.js';
import { enableDefaultMetrics } from '../core/metrics.js';
import { runIngest } from '../sources/ingest-runner.js';
import { openIngestState } from '../sources/ingest-state.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { createContext } from './context.js';
import { startStatusLog } from './status-log.js';

export interface IngestCommandOptions {
  mode?: 'auto' | 'live' | 'replay';
  since?: string;
  source?: string[];
  speed?: string;
}

export async function ingestCommand(opts: IngestCommandOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (opts.mode) overrides.mode = opts.mode;
  if (opts.speed) overrides.replaySpeed = opts.speed;
  const ctx = createContext(await knownSourceIds(), overrides);
  const { config, log, signal } = ctx;
  if (!config.kafkaBrokers || config.kafkaBrokers.length === 0) {
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      'ingest as its own process needs Kafka: set CRIMEPULSE_KAFKA_BROKERS (or run `crimepulse start` for one process)',
    );
  }
  const since = opts.since ? new Date(opts.since) : undefined;
  if (since && Number.isNaN(since.getTime()))
    throw new ConfigError('CP_ERR_CONFIG_INVALID', `--since: not a date: ${opts.since}`);
  enableDefaultMetrics();
  const bus = createBus(config, log);
  const state = await openIngestState(ctx.dataPath('ingest-state.duckdb'));
  const board = new SourceStatusBoard();
  let entries = await loadRegistry({ config });
  if (opts.source && opts.source.length > 0) entries = entries.filter((e) => opts.source!.includes(e.id));
  startStatusLog(board, log, 10_000, signal);
  // Health, metrics and source status for Prometheus and the orchestrator (no data routes here).
  const app = await buildApp({ log, board, readiness: { bus: () => bus.healthy() } });
  await app.listen({ port: config.port, host: config.host });
  await runIngest({
    entries,
    bus,
    mode: config.mode,
    speed: config.replaySpeed,
    backfillFraction: 0,
    cursors: await state.cursors(),
    board,
    log,
    signal,
    ...(since ? { since } : {}),
    onPublished: async (source, messages) => {
      for (const m of messages) if (m.kind === 'state') await state.save(source, m.stream, m.cursor);
    },
  });
  await app.close();
  await bus.close();
  await state.close();
}
