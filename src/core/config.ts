/**
 * Configuration: one zod schema, merged from an optional JSON file (`crimepulse.config.json` in the
 * working directory, or the path in `CRIMEPULSE_CONFIG`) and environment variables, validated and
 * frozen at start. Environment wins over the file. This is the only module that reads `process.env`
 * (callers pass `env` in, so tests never touch the real environment).
 *
 * Names: `CRIMEPULSE_` + the upper-case key, non-alphanumerics as `_`; per source,
 * `CRIMEPULSE_<SOURCE>_URL` and `CRIMEPULSE_<SOURCE>_ENABLED` (source `uk-police` →
 * `CRIMEPULSE_UK_POLICE_URL`). Hosting conventions `PORT` and `HOST`, and MLflow's own
 * `MLFLOW_TRACKING_URI`, are honoured as is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const Speed = z
  .union([z.literal('max'), z.string().regex(/^\d+(\.\d+)?x$/), z.number().positive()])
  .transform((v) =>
    v === 'max' ? Number.POSITIVE_INFINITY : typeof v === 'number' ? v : Number.parseFloat(v),
  )
  .describe('Replay speed: `60x` plays an hour of event time in a minute; `max` as fast as possible.');

/** A comma-separated list (`a, b,c`) as an array of trimmed, non-empty names. */
const CommaList = z.string().transform((s) =>
  s
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean),
);

const BoolLike = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

export const SourceSettings = z
  .object({
    enabled: BoolLike.default(true).describe('Run this source.'),
    url: z.url().optional().describe('Base URL of the portal (tests point it at a local server).'),
    pollIntervalMs: z.coerce.number().int().positive().optional().describe('Delay between live polls.'),
  })
  .strict();
export type SourceSettings = z.infer<typeof SourceSettings>;

export const Config = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port (`PORT`).'),
    host: z.string().min(1).default('0.0.0.0').describe('HTTP bind address (`HOST`).'),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe('All state: store.duckdb, lake/, mlruns/, cursors.'),
    mode: z
      .enum(['auto', 'live', 'replay'])
      .default('auto')
      .describe('Sources: probe then live or replay, or force one.'),
    replaySpeed: Speed.default(60),
    samplesDir: z.string().min(1).default('./samples').describe('Shipped recorded data used by replay.'),
    sources: z.record(z.string(), SourceSettings).default({}).describe('Per-source settings by source id.'),
    kafkaBrokers: CommaList.optional().describe(
      'Comma-separated Kafka bootstrap list; unset means the in-process bus.',
    ),
    adminToken: z
      .string()
      .min(8)
      .optional()
      .describe('Bearer token for /admin routes; unset turns them off.'),
    socrataAppToken: z.string().optional().describe('Socrata X-App-Token for higher rate limits.'),
    chatUrl: z
      .string()
      .optional()
      .describe('Where the dashboard chat button points (default: this server /chat).'),
    tileUrl: z.string().optional().describe('Map tile URL template; unset: outline maps without tiles.'),
    mlflowTrackingUri: z
      .string()
      .optional()
      .describe('MLflow tracking: file path or http(s) server (`MLFLOW_TRACKING_URI`).'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level.'),
    allowedLatenessMs: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600 * 1000)
      .describe('Late events within this update their windows.'),
    regions: CommaList.optional().describe('Pipeline filter: keep only these source ids (comma-separated).'),
    categories: CommaList.optional().describe(
      'Pipeline filter: keep only these canonical categories (comma-separated).',
    ),
    retrainCron: z
      .string()
      .default('0 3 * * *')
      .describe('When the long-running process retrains the models (cron, croner syntax); `off` disables.'),
    userAgent: z
      .string()
      .default('CrimePulse/0.1 (+https://github.com/crimepulse/crimepulse)')
      .describe('User-Agent sent to the portals (be polite: name a contact).'),
  })
  .strict();
export type Config = z.infer<typeof Config>;

/** Top-level keys read from `CRIMEPULSE_<KEY>` (camelCase → SNAKE_CASE). */
export const ENV_KEYS: readonly (keyof Config)[] = [
  'dataDir',
  'mode',
  'replaySpeed',
  'samplesDir',
  'kafkaBrokers',
  'adminToken',
  'socrataAppToken',
  'chatUrl',
  'tileUrl',
  'logLevel',
  'allowedLatenessMs',
  'regions',
  'categories',
  'userAgent',
  'retrainCron',
];

/** `dataDir` → `CRIMEPULSE_DATA_DIR`; `uk-police` + `url` → `CRIMEPULSE_UK_POLICE_URL`. */
export function envName(...parts: string[]): string {
  return `CRIMEPULSE_${parts
    .map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]/g, '_'))
    .join('_')
    .toUpperCase()}`;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** Source ids known to the registry; their `CRIMEPULSE_<SOURCE>_*` variables are read. */
  sourceIds?: readonly string[];
  /** Explicit config file; default `CRIMEPULSE_CONFIG` or `./crimepulse.config.json` if present. */
  file?: string;
  /** Overrides from CLI flags, applied last. */
  overrides?: Record<string, unknown>;
}

/** Reads, merges and validates the configuration; throws a ConfigError naming the bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const file =
    options.file ??
    env.CRIMEPULSE_CONFIG ??
    (existsSync('crimepulse.config.json') ? 'crimepulse.config.json' : undefined);
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(resolve(file), 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(
        'CP_ERR_CONFIG_INVALID',
        `cannot read config file ${file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError('CP_ERR_CONFIG_INVALID', `config file ${file} must hold a JSON object`);
    }
  }
  const merged: Record<string, unknown> = { ...raw };
  for (const key of ENV_KEYS) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  if (env.PORT) merged.port = env.PORT;
  if (env.HOST) merged.host = env.HOST;
  if (env.MLFLOW_TRACKING_URI) merged.mlflowTrackingUri = env.MLFLOW_TRACKING_URI;
  const sources: Record<string, Record<string, unknown>> = {
    ...((raw.sources as Record<string, Record<string, unknown>>) ?? {}),
  };
  for (const id of options.sourceIds ?? []) {
    for (const field of ['url', 'enabled', 'pollIntervalMs'] as const) {
      const v = env[envName(id, field)];
      if (v !== undefined && v !== '') sources[id] = { ...sources[id], [field]: v };
    }
  }
  merged.sources = sources;
  Object.assign(merged, options.overrides ?? {});
  const parsed = Config.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const hint = path ? ` (${describeKey(path)})` : '';
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      `invalid configuration at "${path}"${hint}: ${issue?.message}`,
      {
        details: { issues: parsed.error.issues },
      },
    );
  }
  return Object.freeze(parsed.data);
}

function describeKey(path: string): string {
  const [top, id, field] = path.split('.');
  if (top === 'port') return 'PORT';
  if (top === 'host') return 'HOST';
  if (top === 'mlflowTrackingUri') return 'MLFLOW_TRACKING_URI';
  if (top === 'sources' && id && field) return envName(id, field);
  return top ? envName(top) : path;
}
