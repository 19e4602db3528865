/**
 * Picks the tracking and registry backends from `MLFLOW_TRACKING_URI` (config `mlflowTrackingUri`),
 * with MLflow's own rules: unset → the file store at `<dataDir>/mlruns`; a plain path or a `file:`
 * URI → the file store there; `http://` or `https://` → an MLflow tracking server over REST. Other
 * schemes MLflow knows (`databricks`, `sqlite:`, `postgresql:` …) need MLflow's Python stores and
 * are refused with `CP_ERR_TRACKING_UNSUPPORTED`.
 */
import { join, resolve } from 'node:path';
import { TrackingError } from '../core/errors.js';
import { FileModelRegistry } from './file-registry.js';
import { FileStoreTracker } from './file-store.js';
import { fromFileUri } from './mlflow-files.js';
import type { ModelRegistry } from './registry.js';
import { MlflowRestClient, type RestClientOptions, RestTracker } from './rest-client.js';
import { RestModelRegistry } from './rest-registry.js';
import type { Tracker } from './tracker.js';

export type TrackingTarget = { kind: 'file'; root: string } | { kind: 'rest'; baseUrl: string };

/** Resolves the tracking URI (see the module header). */
export function resolveTrackingUri(uri: string | undefined, dataDir: string): TrackingTarget {
  const u = uri?.trim();
  if (!u) return { kind: 'file', root: resolve(join(dataDir, 'mlruns')) };
  if (/^https?:\/\//i.test(u)) return { kind: 'rest', baseUrl: u.replace(/\/+$/, '') };
  if (u.startsWith('file:')) return { kind: 'file', root: resolve(fromFileUri(u)) };
  if (u === 'databricks' || u.startsWith('databricks:')) {
    throw new TrackingError(
      'CP_ERR_TRACKING_UNSUPPORTED',
      'MLFLOW_TRACKING_URI=databricks needs the Databricks SDK; use the workspace http(s) URL',
      {
        details: { uri: u },
      },
    );
  }
  // A Windows drive letter is a path, not a scheme.
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) && !/^[a-z]:[\\/]/i.test(u)) {
    throw new TrackingError(
      'CP_ERR_TRACKING_UNSUPPORTED',
      `Unsupported MLFLOW_TRACKING_URI ${u}: use a path, file:// or http(s)://`,
      {
        details: { uri: u },
      },
    );
  }
  return { kind: 'file', root: resolve(u) };
}

export interface TrackingOptions {
  now?: () => number;
  userId?: string;
  /** REST transport options (timeouts, retries, auth headers, logger). */
  rest?: RestClientOptions;
}

/** The tracker for a tracking URI (file store by default). */
export function createTracker(
  uri: string | undefined,
  dataDir: string,
  options: TrackingOptions = {},
): Tracker {
  return createTracking(uri, dataDir, options).tracker;
}

/** The model registry for a tracking URI (MLflow keeps the registry with the tracking store). */
export function createRegistry(
  uri: string | undefined,
  dataDir: string,
  options: TrackingOptions = {},
): ModelRegistry {
  return createTracking(uri, dataDir, options).registry;
}

/** Both, sharing one REST client when the URI is a server. */
export function createTracking(
  uri: string | undefined,
  dataDir: string,
  options: TrackingOptions = {},
): { target: TrackingTarget; tracker: Tracker; registry: ModelRegistry } {
  const target = resolveTrackingUri(uri, dataDir);
  const common = {
    ...(options.now ? { now: options.now } : {}),
    ...(options.userId ? { userId: options.userId } : {}),
  };
  if (target.kind === 'file') {
    return {
      target,
      tracker: new FileStoreTracker(target.root, common),
      registry: new FileModelRegistry(target.root, options.now ? { now: options.now } : {}),
    };
  }
  const client = new MlflowRestClient(target.baseUrl, options.rest ?? {});
  return { target, tracker: new RestTracker(client, common), registry: new RestModelRegistry(client) };
}
