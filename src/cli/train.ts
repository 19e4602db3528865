/**
 * `crimepulse train`: trains both models from the store's window history (or the lake's, `--from
 * lake`), logs the runs in MLflow format and promotes a version only when it beats the champion.
 */
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { openStore } from '../store/index.js';
import { createContext } from './context.js';
import { openModels } from './models.js';

export async function trainCommand(opts: { from?: 'store' | 'lake' }): Promise<void> {
  const ctx = createContext(await knownSourceIds());
  const entries = await loadRegistry({ config: ctx.config });
  const models = await openModels(ctx, entries);
  let result: Awaited<ReturnType<typeof models.train>>;
  if (opts.from === 'lake') {
    result = await models.train({ lakeRoot: ctx.dataPath('lake') });
  } else {
    const store = await openStore(ctx.dataPath('store.duckdb'), ctx.log);
    try {
      result = await models.train({ store: store.reader });
    } finally {
      await store.close();
    }
  }
  models.runtime.close();
  const line = (m: {
    name: string;
    version: { version: number };
    promoted: boolean;
    reason: string;
    metrics: Record<string, number>;
  }) =>
    `${m.name} v${m.version.version}: ${m.promoted ? 'promoted to champion' : 'not promoted'} (${m.reason}); ${Object.entries(
      m.metrics,
    )
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
      .join(' ')}`;
  if (result.seriesAnomaly) process.stdout.write(`${line(result.seriesAnomaly)}\n`);
  else process.stdout.write('series-anomaly: not enough window history yet (replay or ingest first)\n');
  process.stdout.write(`${line(result.predictIforest)}\n`);
  process.stdout.write(`runs and registry: ${models.tracker.uri}\n`);
}
