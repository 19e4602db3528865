/**
 * Experiment tracking: the `Tracker` and `Run` interfaces that `train` and `evaluate` log through, and
 * the validation both implementations share (MLflow's file store in `file-store.ts`, MLflow's REST
 * API in `rest-client.ts`; `create-tracking.ts` picks one from `MLFLOW_TRACKING_URI`).
 *
 * Guarantees: every call is durable when its promise resolves (file store: written to disk; REST: the
 * server answered 2xx). Params are immutable per run (MLflow's rule: logging the same key again with a
 * different value is refused). Metrics are append-only histories of `(timestamp, value, step)`.
 * Names follow MLflow's rule (letters, digits, `_ - . / space`), and never climb out of the run's
 * folder (`..` segments and leading `/` are refused), so a key is also a safe relative file path.
 */
import { randomUUID } from 'node:crypto';
import { TrackingError } from '../core/errors.js';

/** Terminal states a run can end in (MLflow `RunStatus` names). */
export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED';
/** Every MLflow run status. */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | RunEndStatus;

/** A param value; written as its string form, as MLflow does. */
export type ParamValue = string | number | boolean;

/** One run: an id, an artifact location, and append-only logging calls. */
export interface Run {
  /** MLflow run id (32 lowercase hex digits). */
  readonly id: string;
  /** Experiment the run belongs to (MLflow experiment ids are decimal strings). */
  readonly experimentId: string;
  /** The run name (`mlflow.runName` tag). */
  readonly name: string;
  /** Where the run's artifacts live (`file:///…/artifacts` or `mlflow-artifacts:/…`). */
  readonly artifactUri: string;
  /** Logs params; a key logged twice must keep its value. */
  logParams(params: Record<string, ParamValue>): Promise<void>;
  /** Appends one metric point; `step` defaults to 0 and `timestamp` (ms since epoch) to now. */
  logMetric(key: string, value: number, step?: number, timestamp?: number): Promise<void>;
  /** Appends one point per key, all at the same step and timestamp. */
  logMetrics(metrics: Record<string, number>, step?: number, timestamp?: number): Promise<void>;
  /** Sets (overwrites) run tags. */
  setTags(tags: Record<string, string>): Promise<void>;
  /** Writes one artifact at `path` (relative, `/`-separated) inside the run's artifact root. */
  logArtifact(path: string, content: Uint8Array | string): Promise<void>;
  /** Ends the run (default `FINISHED`) and records its end time. */
  end(status?: RunEndStatus): Promise<void>;
}

/** Starts runs in named experiments (created on first use). */
export interface Tracker {
  /** The tracking URI in MLflow's terms (`file:///…/mlruns` or `http(s)://host`). */
  readonly uri: string;
  /** Starts a run in `experiment` (created if missing), named `runName`, with optional tags. */
  startRun(experiment: string, runName: string, tags?: Record<string, string>): Promise<Run>;
}

/** Tags MLflow's own clients set on every run; the UI shows them in the run header. */
export const MLFLOW_TAGS = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
} as const;

/** MLflow's limit on a param value (`MAX_PARAM_VAL_LENGTH`). */
export const MAX_PARAM_VALUE_LENGTH = 6000;

// MLflow's `_validate_metric_name`/`_validate_param_name` character class; we additionally refuse
// path traversal because keys become file names in the file store.
const NAME_RE = /^[A-Za-z0-9_\-. /]+$/;

/** Throws `CP_ERR_TRACKING_INVALID` unless `name` is a valid MLflow key that is also a safe relative path. */
export function validateKey(kind: 'metric' | 'param' | 'tag', name: string): void {
  const bad =
    name.length === 0 ||
    name.length > 250 ||
    !NAME_RE.test(name) ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Invalid ${kind} name ${JSON.stringify(name)}`, {
      details: { kind, name },
    });
  }
}

/** Throws unless `path` is a relative artifact path that stays inside the run's artifact root. */
export function validateArtifactPath(path: string): void {
  const bad =
    path.length === 0 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    path.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Invalid artifact path ${JSON.stringify(path)}`, {
      details: { path },
    });
  }
}

/** Validates a metric point and returns its canonical (integer) step and timestamp. */
export function checkMetric(
  key: string,
  value: number,
  step: number | undefined,
  timestamp: number | undefined,
  now: () => number,
): { key: string; value: number; step: number; timestamp: number } {
  validateKey('metric', key);
  if (typeof value !== 'number') {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Metric ${key} value must be a number`);
  }
  const s = step ?? 0;
  const ts = timestamp ?? now();
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(ts)) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Metric ${key}: step and timestamp must be integers`, {
      details: { step: s, timestamp: ts },
    });
  }
  return { key, value, step: s, timestamp: ts };
}

/** The string MLflow stores for a param value (Python `str()` of it). */
export function paramString(key: string, value: ParamValue): string {
  validateKey('param', key);
  const s = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  if (s.length > MAX_PARAM_VALUE_LENGTH) {
    throw new TrackingError(
      'CP_ERR_TRACKING_INVALID',
      `Param ${key} is longer than ${MAX_PARAM_VALUE_LENGTH}`,
    );
  }
  return s;
}

/** A new MLflow run id: a UUID4 as 32 hex digits (what MLflow's `uuid.uuid4().hex` gives). */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * Runs `fn` inside a run and ends it `FINISHED`, or `FAILED` (with an `error` tag) when `fn` throws;
 * the error is rethrown. Use it so a crashed training never leaves a run `RUNNING` forever.
 */
export async function withRun<T>(
  tracker: Tracker,
  experiment: string,
  runName: string,
  fn: (run: Run) => Promise<T>,
  tags?: Record<string, string>,
): Promise<T> {
  const run = await tracker.startRun(experiment, runName, tags);
  try {
    const out = await fn(run);
    await run.end('FINISHED');
    return out;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await run.setTags({ 'crimepulse.error': message.slice(0, 5000) }).catch(() => undefined);
    await run.end('FAILED').catch(() => undefined);
    throw err;
  }
}
