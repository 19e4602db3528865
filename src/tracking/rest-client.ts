/**
 * MLflow tracking over its REST API (2.0 endpoints, as documented in MLflow's "REST API" reference),
 * used when `MLFLOW_TRACKING_URI` is an http(s) URL. MLflow's file store is deprecated upstream, so
 * this is the path a production deployment takes (a tracking server with a database backend).
 *
 * Endpoints used (relative to `<tracking uri>/api/2.0/`):
 *   GET  mlflow/experiments/get-by-name?experiment_name=   POST mlflow/experiments/create
 *   POST mlflow/runs/create      POST mlflow/runs/log-batch      POST mlflow/runs/update
 *   GET  mlflow/runs/get?run_id=
 *   PUT|GET mlflow-artifacts/artifacts/<path>   (the server's artifact proxy, `--serve-artifacts`)
 * plus the registry endpoints in `rest-registry.ts`.
 *
 * Delivery: each call resolves after the server answered 2xx. Transient failures (network errors,
 * timeouts, 429 and 5xx) are retried with exponential backoff; a retried `log-batch` may therefore
 * record a metric point twice (as MLflow's own clients may), never zero times silently. Errors map
 * to `TrackingError`: `CP_ERR_TRACKING_NOT_FOUND` (RESOURCE_DOES_NOT_EXIST / 404),
 * `CP_ERR_TRACKING_REJECTED` (other 4xx; `details.errorCode` carries MLflow's code) and
 * `CP_ERR_TRACKING` (transient, after the retries).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TrackingError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { fromFileUri } from './mlflow-files.js';
import {
  checkMetric,
  MLFLOW_TAGS,
  type ParamValue,
  paramString,
  type Run,
  type RunEndStatus,
  type Tracker,
  validateArtifactPath,
  validateKey,
} from './tracker.js';

/** MLflow's `log-batch` limits (`MAX_METRICS_PER_BATCH`, `MAX_PARAMS_TAGS_PER_BATCH`). */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100 } as const;

export interface RestClientOptions {
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
  /** Attempts for transient failures; default 4. */
  attempts?: number;
  /** First backoff delay; doubled per attempt; default 200 ms. */
  backoffMs?: number;
  /** Extra headers, e.g. `{ authorization: 'Bearer …' }` for a server behind auth. */
  headers?: Record<string, string>;
  log?: Logger;
}

type Query = Record<string, string | number | undefined>;

const ErrorBody = z.object({ error_code: z.string().optional(), message: z.string().optional() });

/** Low-level MLflow REST transport: JSON calls and artifact-proxy transfers with retries. */
export class MlflowRestClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly headers: Record<string, string>;
  private readonly log: Logger | undefined;

  constructor(baseUrl: string, options: RestClientOptions = {}) {
    if (!/^https?:\/\//i.test(baseUrl)) {
      throw new TrackingError('CP_ERR_TRACKING_UNSUPPORTED', `Not an http(s) tracking URI: ${baseUrl}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.backoffMs = options.backoffMs ?? 200;
    this.headers = options.headers ?? {};
    this.log = options.log?.child({ component: 'tracking' });
  }

  /** Calls `<base>/api/2.0/mlflow/<endpoint>` and validates the JSON answer with `schema`. */
  async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    endpoint: string,
    args: { query?: Query; body?: unknown },
    schema: z.ZodType<T>,
  ): Promise<T> {
    const url = this.url(`/api/2.0/mlflow/${endpoint}`, args.query);
    const init: RequestInit = { method, headers: { ...this.headers } };
    if (args.body !== undefined) {
      init.body = JSON.stringify(args.body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await this.send(url, init, `${method} ${endpoint}`);
    const text = await res.text();
    let json: unknown = {};
    try {
      json = text.length ? JSON.parse(text) : {};
    } catch (err) {
      throw new TrackingError('CP_ERR_TRACKING', `${method} ${endpoint}: unreadable JSON answer`, {
        cause: err,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new TrackingError('CP_ERR_TRACKING_REJECTED', `${method} ${endpoint}: unexpected answer shape`, {
        details: { issues: parsed.error.issues.slice(0, 5) },
      });
    }
    return parsed.data;
  }

  /** Uploads through the artifact proxy: `PUT <base>/api/2.0/mlflow-artifacts/artifacts/<path>`. */
  async putArtifact(path: string, content: Uint8Array | string): Promise<void> {
    const body = typeof content === 'string' ? new TextEncoder().encode(content) : new Uint8Array(content);
    await this.send(
      this.url(`/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`),
      { method: 'PUT', headers: { ...this.headers, 'content-type': 'application/octet-stream' }, body },
      `PUT artifact ${path}`,
    );
  }

  /** Downloads through the artifact proxy. */
  async getArtifact(path: string): Promise<Uint8Array> {
    const res = await this.send(
      this.url(`/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`),
      { method: 'GET', headers: { ...this.headers } },
      `GET artifact ${path}`,
    );
    return new Uint8Array(await res.arrayBuffer());
  }

  private url(path: string, query?: Query): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async send(url: string, init: RequestInit, what: string): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        lastError = err;
        this.log?.warn({ what, attempt, err: (err as Error).message }, 'tracking request failed');
        await this.backoff(attempt);
        continue;
      }
      if (res.ok) return res;
      const text = await res.text().catch(() => '');
      const body = ErrorBody.safeParse(safeJson(text));
      const errorCode = body.success ? body.data.error_code : undefined;
      const message =
        (body.success ? body.data.message : undefined) ?? (text.slice(0, 300) || res.statusText);
      const details = { status: res.status, errorCode, message, what };
      if (res.status === 429 || res.status >= 500) {
        lastError = new TrackingError('CP_ERR_TRACKING', `${what}: HTTP ${res.status} ${message}`, {
          details,
        });
        this.log?.warn({ what, attempt, status: res.status }, 'tracking request failed');
        await this.backoff(attempt);
        continue;
      }
      if (res.status === 404 || errorCode === 'RESOURCE_DOES_NOT_EXIST') {
        throw new TrackingError('CP_ERR_TRACKING_NOT_FOUND', `${what}: ${message}`, { details });
      }
      throw new TrackingError('CP_ERR_TRACKING_REJECTED', `${what}: HTTP ${res.status} ${message}`, {
        details,
      });
    }
    if (lastError instanceof TrackingError) throw lastError;
    throw new TrackingError(
      'CP_ERR_TRACKING',
      `${what}: ${(lastError as Error | undefined)?.message ?? 'failed'}`,
      {
        cause: lastError,
      },
    );
  }

  private async backoff(attempt: number): Promise<void> {
    if (attempt >= this.attempts) return;
    await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map(encodeURIComponent)
    .join('/');
}

/** True when a TrackingError carries this MLflow `error_code`. */
export function hasErrorCode(err: unknown, code: string): boolean {
  return err instanceof TrackingError && err.details?.errorCode === code;
}

/** Proto3 JSON for a double: non-finite values travel as the strings `NaN`, `Infinity`, `-Infinity`. */
export function protoDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

const Int64 = z.union([z.number(), z.string()]).transform((v) => Number(v));

export const ExperimentSchema = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});

export const RunInfoSchema = z.object({
  run_id: z.string(),
  experiment_id: z.string(),
  run_name: z.string().optional(),
  status: z.string().optional(),
  start_time: Int64.optional(),
  end_time: Int64.optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});

const RunAnswer = z.object({ run: z.object({ info: RunInfoSchema }) });
const Empty = z.object({});

/**
 * Where a run's artifact at `path` goes, from the run's `artifact_uri`:
 * `mlflow-artifacts:/…` (the server proxies; the default of `mlflow server` since 2.0) → proxy path
 * on the tracking server (a host inside `mlflow-artifacts://host/…` is not dialled separately);
 * `file:///…` → a local path (only when the server shares this filesystem). Other stores (s3:, gs:…)
 * would need their own SDKs: refused with a message saying to run the server with `--serve-artifacts`.
 */
export function artifactTarget(
  artifactUri: string,
  path: string,
): { kind: 'proxy'; path: string } | { kind: 'file'; path: string } {
  const base = artifactUri.replace(/\/+$/, '');
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(base);
  if (proxied) {
    const rest = proxied[1] ?? '';
    return { kind: 'proxy', path: rest ? `${rest}/${path}` : path };
  }
  const viaHttp = /^https?:\/\/[^/]+.*?\/api\/2\.0\/mlflow-artifacts\/artifacts\/?(.*)$/.exec(base);
  if (viaHttp) return { kind: 'proxy', path: viaHttp[1] ? `${viaHttp[1]}/${path}` : path };
  if (base.startsWith('file:') || base.startsWith('/'))
    return { kind: 'file', path: join(fromFileUri(base), ...path.split('/')) };
  throw new TrackingError(
    'CP_ERR_TRACKING_UNSUPPORTED',
    `Artifact URI ${artifactUri} needs a cloud SDK; run the MLflow server with --serve-artifacts (mlflow-artifacts:/)`,
    { details: { artifactUri } },
  );
}

/** Writes or reads an artifact wherever `artifactTarget` says it lives. */
export async function putRunArtifact(
  client: MlflowRestClient,
  artifactUri: string,
  path: string,
  content: Uint8Array | string,
): Promise<void> {
  const t = artifactTarget(artifactUri, path);
  if (t.kind === 'proxy') return client.putArtifact(t.path, content);
  await mkdir(dirname(t.path), { recursive: true });
  await writeFile(t.path, content);
}

export async function getRunArtifact(
  client: MlflowRestClient,
  artifactUri: string,
  path: string,
): Promise<Uint8Array> {
  const t = artifactTarget(artifactUri, path);
  if (t.kind === 'proxy') return client.getArtifact(t.path);
  return new Uint8Array(await readFile(t.path));
}

export interface RestTrackerOptions {
  now?: () => number;
  userId?: string;
}

/** A tracker logging to an MLflow tracking server. */
export class RestTracker implements Tracker {
  readonly uri: string;
  readonly now: () => number;
  private readonly userId: string;
  private readonly experiments = new Map<string, Promise<string>>();

  constructor(
    readonly client: MlflowRestClient,
    options: RestTrackerOptions = {},
  ) {
    this.uri = client.baseUrl;
    this.now = options.now ?? Date.now;
    this.userId = options.userId ?? safeUser();
  }

  /** The id of the active experiment `name`, created when missing (a concurrent creator wins). */
  getOrCreateExperimentId(name: string): Promise<string> {
    let p = this.experiments.get(name);
    if (!p) {
      p = this.resolveExperiment(name);
      this.experiments.set(name, p);
      p.catch(() => this.experiments.delete(name));
    }
    return p;
  }

  private async getByName(name: string): Promise<string | undefined> {
    try {
      const res = await this.client.call(
        'GET',
        'experiments/get-by-name',
        { query: { experiment_name: name } },
        z.object({ experiment: ExperimentSchema }),
      );
      if (res.experiment.lifecycle_stage && res.experiment.lifecycle_stage !== 'active') {
        throw new TrackingError(
          'CP_ERR_TRACKING_INVALID',
          `Experiment '${name}' is deleted on the tracking server`,
        );
      }
      return res.experiment.experiment_id;
    } catch (err) {
      if (err instanceof TrackingError && err.code === 'CP_ERR_TRACKING_NOT_FOUND') return undefined;
      throw err;
    }
  }

  private async resolveExperiment(name: string): Promise<string> {
    const existing = await this.getByName(name);
    if (existing) return existing;
    try {
      const res = await this.client.call(
        'POST',
        'experiments/create',
        { body: { name } },
        z.object({ experiment_id: z.string() }),
      );
      return res.experiment_id;
    } catch (err) {
      if (!hasErrorCode(err, 'RESOURCE_ALREADY_EXISTS')) throw err;
      const raced = await this.getByName(name);
      if (!raced) throw err;
      return raced;
    }
  }

  async startRun(experiment: string, runName: string, tags: Record<string, string> = {}): Promise<Run> {
    const experimentId = await this.getOrCreateExperimentId(experiment);
    const allTags: Record<string, string> = {
      [MLFLOW_TAGS.runName]: runName,
      [MLFLOW_TAGS.user]: this.userId,
      [MLFLOW_TAGS.sourceName]: 'crimepulse',
      [MLFLOW_TAGS.sourceType]: 'LOCAL',
      ...tags,
    };
    for (const k of Object.keys(allTags)) validateKey('tag', k);
    const res = await this.client.call(
      'POST',
      'runs/create',
      {
        body: {
          experiment_id: experimentId,
          user_id: this.userId,
          run_name: runName,
          start_time: this.now(),
          tags: Object.entries(allTags).map(([key, value]) => ({ key, value })),
        },
      },
      RunAnswer,
    );
    const info = res.run.info;
    return new RestRun(this, info.run_id, info.experiment_id, runName, info.artifact_uri ?? '');
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'crimepulse';
  } catch {
    return 'crimepulse';
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

class RestRun implements Run {
  constructor(
    private readonly tracker: RestTracker,
    readonly id: string,
    readonly experimentId: string,
    readonly name: string,
    readonly artifactUri: string,
  ) {}

  private batch(body: { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] }): Promise<unknown> {
    return this.tracker.client.call('POST', 'runs/log-batch', { body: { run_id: this.id, ...body } }, Empty);
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    const items = Object.entries(params).map(([key, v]) => ({ key, value: paramString(key, v) }));
    for (const part of chunks(items, LOG_BATCH_LIMITS.params)) await this.batch({ params: part });
  }

  async logMetric(key: string, value: number, step?: number, timestamp?: number): Promise<void> {
    const m = checkMetric(key, value, step, timestamp, this.tracker.now);
    await this.batch({
      metrics: [{ key: m.key, value: protoDouble(m.value), timestamp: m.timestamp, step: m.step }],
    });
  }

  async logMetrics(metrics: Record<string, number>, step?: number, timestamp?: number): Promise<void> {
    const ts = timestamp ?? this.tracker.now();
    const items = Object.entries(metrics).map(([k, v]) => {
      const m = checkMetric(k, v, step, ts, this.tracker.now);
      return { key: m.key, value: protoDouble(m.value), timestamp: m.timestamp, step: m.step };
    });
    for (const part of chunks(items, LOG_BATCH_LIMITS.metrics)) await this.batch({ metrics: part });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const items = Object.entries(tags).map(([key, value]) => {
      validateKey('tag', key);
      return { key, value: String(value) };
    });
    for (const part of chunks(items, LOG_BATCH_LIMITS.tags)) await this.batch({ tags: part });
  }

  async logArtifact(path: string, content: Uint8Array | string): Promise<void> {
    validateArtifactPath(path);
    await putRunArtifact(this.tracker.client, this.artifactUri, path, content);
  }

  async end(status: RunEndStatus = 'FINISHED'): Promise<void> {
    await this.tracker.client.call(
      'POST',
      'runs/update',
      { body: { run_id: this.id, status, end_time: this.tracker.now() } },
      z.object({ run_info: RunInfoSchema.optional() }),
    );
  }
}
