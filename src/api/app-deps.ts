/**
 * What the HTTP app needs from the rest of the system. Everything but the logger and the source
 * board is optional: a route whose dependency is absent answers 503 (`CP_ERR_API_UNAVAILABLE`, or
 * `{detail}` under /predict) with a message saying what is missing, so `serve` can start before a
 * model exists and tests can build the app with only what they exercise.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CrimeEvent } from '../core/crime-event.js';
import type { Logger } from '../core/logger.js';
import type { AnomalyRow } from '../pipeline/index.js';
import type { SourceStatusBoard } from '../sources/status-board.js';
import type { Store } from '../store/index.js';
import type { WebPluginOptions } from './plugins/web.js';

/** The `/predict` model: the `champion` of `predict-iforest`. */
export interface PredictModel {
  /** Registry version, sent back in the `x-model-version` header. */
  readonly version: string;
  /** Number of features a vector must have (4: PREDICT_FEATURES). */
  readonly nFeatures: number;
  /** Scores `nRows` row-major vectors of `data`; higher = more anomalous. */
  score(data: Float64Array, nRows: number): ArrayLike<number>;
}

/**
 * A model, or a getter returning the current one (so a promotion swaps the served model without
 * rebuilding the app); `undefined` means none is loaded yet (503).
 */
export type PredictModelSource = PredictModel | (() => PredictModel | undefined);

export interface ForecastQuery {
  source: string;
  area: string;
  category: string;
  granularity: 'hour' | 'day' | 'month';
  /** Number of windows ahead (1..366). */
  horizon: number;
}

export interface ForecastPoint {
  windowStart: string;
  expected: number;
  lower: number;
  upper: number;
}

/** Forecasts of one series (the count model); `undefined` when no model covers the series. */
export interface Forecaster {
  readonly version: string;
  forecast(q: ForecastQuery): Promise<ForecastPoint[] | undefined>;
}

export interface ModelVersionInfo {
  version: string;
  /** Evaluation metrics by name (e.g. `auc`, `nab_standard`). */
  metrics: Record<string, number>;
  createdAt?: string;
  aliases: string[];
  runId?: string;
}

export interface RegisteredModelInfo {
  name: string;
  /** The version the `champion` alias points at, when set. */
  champion: string | null;
  versions: ModelVersionInfo[];
}

/** Read side of the model registry (src/tracking), injected by cli.ts. */
export interface ModelRegistryReader {
  list(): Promise<RegisteredModelInfo[]>;
}

/** One pipeline batch as the live stream sees it (cli.ts maps the pipeline's `onBatch` to this). */
export interface FeedBatch {
  /** Applied events by source (inserted + updated). */
  counts: Record<string, number>;
  /** A few of the batch's events, when the producer has them at hand. */
  sample?: CrimeEvent[];
  anomalies?: AnomalyRow[];
}

export interface EventFeed {
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: (batch: FeedBatch) => void): () => void;
}

/** Admin actions (`/admin/*`), each resolving to a JSON-able result shown to the caller. */
export interface AdminActions {
  retrain(model?: string): Promise<unknown>;
  promote(model: string, version: string): Promise<unknown>;
  replay(source: string, file?: string): Promise<unknown>;
}

export interface ApiOptions {
  /** Bearer token for /admin; unset turns the admin routes off (404). */
  adminToken?: string;
  /** CORS origins: `true` reflects any origin, a list allows those, `false`/unset sends no CORS headers. */
  corsOrigins?: boolean | string[];
  /** Requests per minute per client on expensive routes (default 600). */
  rateLimitPerMinute?: number;
  /** Live stream: at most one `events` message per this many ms (default 1000). */
  streamIntervalMs?: number;
  /** Live stream: messages kept for `Last-Event-ID` resume (default 1000). */
  streamBuffer?: number;
  /** Live stream: heartbeat period in ms (default 15000). */
  heartbeatMs?: number;
}

export interface AppDeps {
  log: Logger;
  board: SourceStatusBoard;
  /** Readiness checks by name (store open, model loaded, bus reachable). */
  readiness?: Record<string, () => Promise<boolean> | boolean>;
  store?: Pick<Store, 'reader'>;
  predictModel?: PredictModelSource;
  forecaster?: Forecaster;
  models?: ModelRegistryReader;
  feed?: EventFeed;
  admin?: AdminActions;
  options?: ApiOptions;
  /** Serve the dashboard (web/dist) at `/` and `/config.json` (src/api/plugins/web.ts). */
  web?: WebPluginOptions;
  /**
   * Extra route plugins registered beside the API (the chatbot's Rasa REST channel and page). They are
   * passed in by cli.ts so the API never imports a stage beside it.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each plugin has its own option type
  plugins?: { plugin: FastifyPluginAsync<any>; options?: Record<string, unknown> }[];
}
