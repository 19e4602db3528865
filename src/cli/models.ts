/**
 * Model wiring shared by `start`, `train` and `serve`: tracking and registry from
 * `MLFLOW_TRACKING_URI` (default `<dataDir>/mlruns`), the serving runtime, and training from the
 * store's window history or the lake's window tables (`--from lake`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ModelRegistryReader } from '../api/app-deps.js';
import { LAKE_TABLES, lakeTablePath, readTable } from '../lake/index.js';
import { ModelRuntime } from '../model/serving/model-runtime.js';
import type { HistoryWindow } from '../model/training/series-history.js';
import { type TrainResult, trainModels } from '../model/training/train-models.js';
import type { SourceEntry } from '../sources/ingest-runner.js';
import { windowHistory } from '../store/index.js';
import { createTracking, MODEL_NAMES, type ModelRegistry, type Tracker } from '../tracking/index.js';
import type { CommandContext } from './context.js';

export interface ModelStack {
  tracker: Tracker;
  registry: ModelRegistry;
  runtime: ModelRuntime;
  reader: ModelRegistryReader;
  train(history: { store?: DuckDBConnection; lakeRoot?: string }): Promise<TrainResult>;
}

export async function openModels(ctx: CommandContext, entries: readonly SourceEntry[]): Promise<ModelStack> {
  const { tracker, registry } = createTracking(ctx.config.mlflowTrackingUri, ctx.config.dataDir);
  const runtime = new ModelRuntime(registry, ctx.log.child({ component: 'models' }));
  await runtime.loadChampions();
  const timeZones = Object.fromEntries(entries.map((e) => [e.id, e.timeZone]));
  const log = ctx.log.child({ component: 'training' });
  return {
    tracker,
    registry,
    runtime,
    reader: registryReader(registry),
    async train(history) {
      const windows = history.store
        ? await storeHistory(history.store)
        : await lakeHistory(history.lakeRoot ?? ctx.dataPath('lake'));
      const result = await trainModels({
        windows,
        timeZones,
        tracker,
        registry,
        log,
        historySource: history.store ? 'store' : 'lake',
      });
      runtime.adopt(result);
      return result;
    },
  };
}

async function storeHistory(conn: DuckDBConnection): Promise<HistoryWindow[]> {
  return [
    ...(await windowHistory(conn, 'hour')),
    ...(await windowHistory(conn, 'day')),
    ...(await windowHistory(conn, 'month')),
  ];
}

/** Window rows from the lake's Delta tables (the lake follows the store; closed rows only). */
export async function lakeHistory(lakeRoot: string): Promise<HistoryWindow[]> {
  const out: HistoryWindow[] = [];
  const tables = [
    ['hour', LAKE_TABLES.windows_hourly.name],
    ['day', LAKE_TABLES.windows_daily.name],
    ['month', LAKE_TABLES.windows_monthly.name],
  ] as const;
  for (const [granularity, name] of tables) {
    const { rows } = await readTable(lakeTablePath(lakeRoot, name));
    for (const r of rows) {
      if (r.closed === false || Number(r.event_count) === 0) continue;
      out.push({
        granularity,
        source: String(r.source),
        areaId: String(r.area_id),
        category: String(r.category),
        windowStart: String(r.window_start),
        windowEnd: String(r.window_end),
        eventCount: Number(r.event_count),
        incidentCount: Number(r.incident_count),
      });
    }
  }
  return out;
}

function registryReader(registry: ModelRegistry): ModelRegistryReader {
  return {
    async list() {
      const out = [];
      for (const name of Object.values(MODEL_NAMES)) {
        const versions = await registry.listVersions(name).catch(() => []);
        const champion = versions.find((v) => v.aliases.includes('champion'));
        out.push({
          name,
          champion: champion ? String(champion.version) : null,
          versions: versions.map((v) => ({
            version: String(v.version),
            metrics: v.metrics,
            aliases: v.aliases,
            ...(v.creationTimestamp ? { createdAt: new Date(v.creationTimestamp).toISOString() } : {}),
            ...(v.runId ? { runId: v.runId } : {}),
          })),
        });
      }
      return out;
    },
  };
}
