/**
 * `crimepulse process`: Kafka → pipeline → store and lake, as its own process (one consumer group;
 * start several to share the partitions, each with its own data dir). It serves the API and dashboard
 * on its own store, since DuckDB allows one writer per file.
 */
import { buildApp } from '../api/app.js';
import { createBus } from '../bus/index.js';
import { ConfigError } from '../core/errors.js';
import { enableDefaultMetrics } from '../core/metrics.js';
import { runPipeline } from '../pipeline/index.js';
import { knownSourceIds } from '../sources/registry.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { createContext } from './context.js';
import { openProcessing } from './processing.js';

export async function processCommand(opts: {
  group?: string;
  worker?: string;
  port?: number;
}): Promise<void> {
  const ctx = createContext(await knownSourceIds(), opts.port === undefined ? {} : { port: opts.port });
  const { config, log, signal } = ctx;
  if (!config.kafkaBrokers || config.kafkaBrokers.length === 0) {
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      'process as its own process needs Kafka: set CRIMEPULSE_KAFKA_BROKERS (or run `crimepulse start`)',
    );
  }
  enableDefaultMetrics();
  const groupId = opts.group ?? 'crimepulse-process';
  const workerId = opts.worker ?? groupId;
  const bus = createBus(config, log);
  const stack = await openProcessing(ctx, workerId);
  const pipeline = runPipeline({
    bus,
    store: stack.store,
    sinks: stack.sinks,
    config,
    log,
    signal,
    groupId,
    workerId,
  });
  const app = await buildApp({
    log,
    board: new SourceStatusBoard(),
    readiness: { bus: () => bus.healthy() },
  });
  await app.listen({ port: config.port, host: config.host });
  await pipeline;
  await app.close();
  await bus.close();
  await stack.close();
}
