/**
 * `crimepulse serve`: the API and dashboard read-only on the Delta tables (another process owns the
 * store file). The lake is mirrored into an in-memory store at start and every `--refresh` seconds.
 */

import { resolve } from 'node:path';
import { buildApp } from '../api/app.js';
import { chatPlugin, createChatBot, storeChatData } from '../chat/index.js';
import { enableDefaultMetrics } from '../core/metrics.js';
import { activeFiles, lakeTablePath } from '../lake/index.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { SourceStatusBoard } from '../sources/status-board.js';
import { buildLakeMirror, type Store } from '../store/index.js';
import { createContext, PACKAGE_ROOT } from './context.js';
import { openModels } from './models.js';

export async function serveCommand(opts: { lake?: string; refresh?: number; port?: number }): Promise<void> {
  const ctx = createContext(await knownSourceIds(), opts.port === undefined ? {} : { port: opts.port });
  const { config, log, signal } = ctx;
  enableDefaultMetrics();
  const lakeRoot = opts.lake ? resolve(opts.lake) : ctx.dataPath('lake');
  const files = (table: Parameters<typeof lakeTablePath>[1]) =>
    activeFiles(lakeTablePath(lakeRoot, table)).catch(() => []);
  let current: Store | undefined;
  const mirror = async () => {
    const t0 = Date.now();
    const built = await buildLakeMirror(files, log, current);
    log.info({ component: 'serve', files: built.rows, durationMs: Date.now() - t0 }, 'lake mirrored');
    return built.store;
  };
  const store = await mirror();
  current = store;
  const entries = await loadRegistry({ config });
  const models = await openModels(ctx, entries);
  const board = new SourceStatusBoard();
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
    readiness: { model: () => models.runtime.predictModel !== undefined },
    web: {
      root: resolve(PACKAGE_ROOT, 'web', 'dist'),
      ...(config.chatUrl ? { chatUrl: config.chatUrl } : {}),
    },
    plugins: [
      {
        plugin: chatPlugin,
        options: { bot: createChatBot({ data: storeChatData({ reader: store.reader, board }), log }) },
      },
    ],
  });
  await app.listen({ port: config.port, host: config.host });
  log.info(`CrimePulse (read-only on ${lakeRoot}) at http://localhost:${config.port}/`);
  const timer = setInterval(
    () => {
      mirror().catch((err) => log.error({ err }, 'lake refresh failed; still serving the previous mirror'));
    },
    (opts.refresh ?? 60) * 1000,
  );
  await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  clearInterval(timer);
  await app.close();
  models.runtime.close();
  await store.close();
}
